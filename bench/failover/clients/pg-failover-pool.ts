import { builtPg } from '../../lib/built-package';
import type { BenchClient } from '../types';

const { createPgPool } = await builtPg();

/** failover-pool with its defaults: every host listed, nothing tuned for the bench. */
export const failoverPoolPg: BenchClient = {
  name: 'failover-pool',
  engine: 'postgres',
  setup: 'createPgPool({ hosts: [all three] }), defaults (max 10, monitor 1 s / fast 50 ms)',
  async open(endpoints) {
    const pool = createPgPool({
      hosts: endpoints.hosts.map((h) => `${h.host}:${h.port}`),
      user: endpoints.user,
      password: endpoints.password,
      database: endpoints.database,
    });
    return {
      insert: async (id) => {
        await pool.query('INSERT INTO writes(id) VALUES ($1)', [id]);
      },
      close: () => pool.end(),
    };
  },
};
