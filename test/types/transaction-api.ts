/**
 * Type-level check, run by `npm run typecheck` (never executed): the example of
 * `pool.transaction` compiles as written on the pg pool and on both mysql2 promise pools.
 */
import type { ResultSetHeader, RowDataPacket } from 'mysql2';
import { createMysqlPool, createMysqlPromisePool } from '../../src/drivers/mysql2';
import { createPgPool } from '../../src/drivers/pg';
import type { TransactionRetryEvent } from '../../src/index';

export async function compiles(sku: string, cartId: string, total: number): Promise<void> {
  const pool = createPgPool({ hosts: ['db1', 'db2'], transactions: { idempotencyTable: 'shop.keys' } });
  const orderId: number = await pool.transaction(
    async (tx) => {
      await tx.query('UPDATE stock SET qty = qty - 1 WHERE sku = $1 AND qty > 0', [sku]);
      const { rows } = await tx.query<{ id: number }>(
        'INSERT INTO orders(cart_id, total) VALUES ($1, $2) RETURNING id',
        [cartId, total],
      );
      return rows[0]!.id;
    },
    { idempotencyKey: `checkout:${cartId}`, maxAttempts: 3, isolationLevel: 'serializable' },
  );
  pool.on('transactionRetry', (event: TransactionRetryEvent) => void event.reason);
  const removed: number = await pool.idempotency.purge({ olderThan: 7 * 24 * 3600 * 1000 });

  const mysql = createMysqlPromisePool({ hosts: ['db1', 'db2'] });
  const insertId: number = await mysql.transaction(async (tx) => {
    const [stock] = await tx.query<RowDataPacket[]>('SELECT qty FROM stock WHERE sku = ?', [sku]);
    const [result] = await tx.execute<ResultSetHeader>('INSERT INTO orders(cart_id, qty) VALUES (?, ?)', [
      cartId,
      stock[0]?.qty,
    ]);
    return result.insertId;
  });
  const fromCallbackPool = await createMysqlPool({ hosts: ['db1'] })
    .promise()
    .transaction(async () => 'ok', { idempotencyKey: 'k' });
  await mysql.idempotency.purge({ olderThan: 0 });
  void [orderId, removed, insertId, fromCallbackPool];
}
