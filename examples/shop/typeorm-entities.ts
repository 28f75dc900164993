/**
 * The shop's tables as TypeORM entities, shared by typeorm-pg.ts and typeorm-mysql.ts. EntitySchema
 * rather than decorated classes: no `experimentalDecorators`, no reflect-metadata.
 */
import { EntitySchema } from 'typeorm';

export interface ProductRow {
  sku: string;
  stock: number;
}

export interface OrderRow {
  /** A bigint: TypeORM reads it as a string. */
  id: string;
  orderRef: number;
  sku: string;
}

export const Product = new EntitySchema<ProductRow>({
  name: 'Product',
  tableName: 'products',
  columns: {
    sku: { type: 'varchar', length: 64, primary: true },
    stock: { type: 'int' },
  },
});

export const Order = new EntitySchema<OrderRow>({
  name: 'Order',
  tableName: 'orders',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'increment' },
    orderRef: { name: 'order_ref', type: 'bigint' },
    sku: { type: 'varchar', length: 64 },
  },
});
