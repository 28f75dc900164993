/**
 * The baseline of bench:orms: the same checkout as the examples' shops, on failover-pool's pools
 * with no ORM in between, written as an app does by hand (a pinned connection, BEGIN, two
 * statements, COMMIT). What an ORM adds to the outage is its gap divided by this one's.
 */
import { createMysqlPool } from 'failover-pool/mysql2';
import { createPgPool } from 'failover-pool/pg';
import type { ResultSetHeader } from 'mysql2';
import { OutOfStockError, type Shop, type ShopConfig } from '../../examples/shop/shop';

const TAKE_ONE = 'UPDATE products SET stock = stock - 1 WHERE sku = $1 AND stock > 0';
const RECORD = 'INSERT INTO orders (order_ref, sku) VALUES ($1, $2)';

export async function createRawPgShop({ sku, ...connection }: ShopConfig): Promise<Shop> {
  const pool = createPgPool({ ...connection, max: 10 });
  return {
    async checkout(orderId) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const taken = await client.query(TAKE_ONE, [sku]);
        if (taken.rowCount !== 1) throw new OutOfStockError(sku);
        await client.query(RECORD, [orderId, sku]);
        await client.query('COMMIT');
        client.release();
      } catch (error) {
        client.release(true); // a broken or mid-transaction client is not pooled again
        throw error;
      }
    },
    close: () => pool.end(),
  };
}

export async function createRawMysqlShop({ sku, ...connection }: ShopConfig): Promise<Shop> {
  const pool = createMysqlPool({ ...connection, connectionLimit: 10 }).promise();
  const mysql = (sql: string) => sql.replace(/\$\d+/g, '?');
  return {
    async checkout(orderId) {
      const connection = await pool.getConnection();
      try {
        await connection.beginTransaction();
        const [taken] = await connection.query<ResultSetHeader>(mysql(TAKE_ONE), [sku]);
        if (taken.affectedRows !== 1) throw new OutOfStockError(sku);
        await connection.query(mysql(RECORD), [orderId, sku]);
        await connection.commit();
        connection.release();
      } catch (error) {
        await connection.rollback().catch(() => undefined); // the server rolled back a lost one already
        connection.release();
        throw error;
      }
    },
    close: () => pool.end(),
  };
}
