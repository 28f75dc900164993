import type { Endpoints } from '../failover/types';
import { builtMysql2, builtPg } from '../lib/built-package';
import type { PromotionEmitter } from './events';

/** failover-pool of either engine, promotion by the library on, as the promotion benches drive it. */
export interface PromotingPool {
  readonly events: PromotionEmitter;
  /** `sql` with `?` placeholders (turned into `$1, $2, ...` on PostgreSQL). */
  query(sql: string, values: unknown[]): Promise<unknown>;
  end(): Promise<void>;
}

/** `?` placeholders as PostgreSQL numbers them. */
const numbered = (sql: string): string => {
  let n = 0;
  return sql.replaceAll('?', () => `$${++n}`);
};

/**
 * The pool an app instance runs: every node listed, the library's defaults (monitor, detectAfterMs,
 * cooldownMs), and the least-privileged promotion account. From dist/, as users run it.
 */
export async function openPromotingPool(endpoints: Endpoints): Promise<PromotingPool> {
  const { promotion: account, engine, user, password, database } = endpoints;
  if (!account) throw new Error('the cluster has no promotion account');
  const hosts = endpoints.hosts.map((h) => `${h.host}:${h.port}`);
  const promotion = { enabled: true, user: account.user, password: account.password };
  if (engine === 'postgres') {
    const { createPgPool } = await builtPg();
    const pool = createPgPool({ hosts, user, password, database, promotion });
    return { events: pool, query: (sql, values) => pool.query(numbered(sql), values), end: () => pool.end() };
  }
  const { createMysqlPromisePool } = await builtMysql2();
  const pool = createMysqlPromisePool({ hosts, user, password, database, promotion });
  return { events: pool, query: (sql, values) => pool.query(sql, values), end: () => pool.end() };
}
