import { builtPg } from '../../lib/built-package';
import type { BenchClient } from '../types';
import { account, hostList, inserting } from './endpoints';

const { createPgPool } = await builtPg();

/** failover-pool with its defaults: every host listed, nothing tuned for the bench. */
export const failoverPoolPg: BenchClient = {
  name: 'failover-pool',
  engine: 'postgres',
  setup: 'createPgPool({ hosts: [all three] }), defaults (max 10, monitor 1 s / fast 50 ms)',
  async open(endpoints) {
    const pool = createPgPool({ hosts: hostList(endpoints), ...account(endpoints) });
    return inserting(
      (id) => pool.query('INSERT INTO writes(id) VALUES ($1)', [id]),
      () => pool.end(),
    );
  },
};
