import postgres from 'postgres';
import type { BenchClient } from '../types';
import { account, hostList, inserting } from './endpoints';

/**
 * postgres.js with every host and libpq's `target_session_attrs: 'primary'`: it checks the role when it
 * opens a connection, and only then. Its other settings are left at their defaults (connect_timeout
 * 30 s, no query timeout), as an app would have them.
 */
export const postgresJsPg: BenchClient = {
  name: 'postgres.js',
  engine: 'postgres',
  setup: "postgres({ host: 'h1:p1,h2:p2,h3:p3', target_session_attrs: 'primary' }), defaults (max 10)",
  async open(endpoints) {
    const { user, password, database } = account(endpoints);
    const sql = postgres({
      // 'h1:p1,h2:p2': postgres.js splits it into its host and port lists, as libpq does.
      host: hostList(endpoints).join(','),
      user,
      pass: password,
      database,
      target_session_attrs: 'primary',
      max: 10,
      onnotice: () => undefined,
    });
    return inserting(
      (id) => sql`INSERT INTO writes(id) VALUES (${id})`,
      () => sql.end({ timeout: 1 }),
    );
  },
};
