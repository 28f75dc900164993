import pg from 'pg';
import type { BenchClient } from '../types';
import { account, inserting } from './endpoints';

/**
 * The baseline most apps run today: one pg.Pool on the first host. pg has no multi-host support. An
 * `error` listener is added, as pg's docs tell apps to: without it an idle client's error crashes the
 * process, and the bench would measure that instead.
 */
export const rawPg: BenchClient = {
  name: 'pg.Pool (first host)',
  engine: 'postgres',
  setup: 'new pg.Pool({ host: first host }) with an error listener, defaults (max 10)',
  async open(endpoints) {
    const first = endpoints.hosts[0];
    if (!first) throw new Error('no hosts');
    const pool = new pg.Pool({ host: first.host, port: first.port, ...account(endpoints) });
    pool.on('error', () => undefined);
    return inserting(
      (id) => pool.query('INSERT INTO writes(id) VALUES ($1)', [id]),
      () => pool.end(),
    );
  },
};
