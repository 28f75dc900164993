import { builtMysql2 } from '../../lib/built-package';
import type { BenchClient } from '../types';
import { account, hostList, inserting } from './endpoints';

const { createMysqlPromisePool } = await builtMysql2();

/** failover-pool's mysql2 promise pool with its defaults: every host listed, nothing tuned for the bench. */
export const failoverPoolMysql: BenchClient = {
  name: 'failover-pool',
  engine: 'mysql',
  setup:
    'createMysqlPromisePool({ hosts: [all three] }), defaults (connectionLimit 10, monitor 1 s / fast 50 ms)',
  async open(endpoints) {
    const pool = createMysqlPromisePool({ hosts: hostList(endpoints), ...account(endpoints) });
    return inserting(
      (id) => pool.query('INSERT INTO writes(id) VALUES (?)', [id]),
      () => pool.end(),
    );
  },
};
