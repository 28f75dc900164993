/**
 * The shop's tables as Sequelize models, and the checkout in Sequelize's style, shared by
 * sequelize-pg.ts and sequelize-mysql.ts (the dialect makes no difference to either).
 */
import { DataTypes, type Model, type ModelStatic, Op, type Sequelize, type Transaction } from 'sequelize';
import { OutOfStockError } from './shop';

interface ProductAttributes {
  sku: string;
  stock: number;
}

interface OrderAttributes {
  /** A bigint: Sequelize reads it as a string. */
  id: string;
  orderRef: number;
  sku: string;
}

export interface ShopModels {
  Product: ModelStatic<Model<ProductAttributes>>;
  Order: ModelStatic<Model<OrderAttributes, Omit<OrderAttributes, 'id'>>>;
}

/** The models, on one Sequelize instance (each shop has its own). */
export function defineShopModels(sequelize: Sequelize): ShopModels {
  const Product = sequelize.define<Model<ProductAttributes>>(
    'Product',
    {
      sku: { type: DataTypes.STRING(64), primaryKey: true },
      stock: { type: DataTypes.INTEGER, allowNull: false },
    },
    { tableName: 'products', timestamps: false },
  );
  const Order = sequelize.define<Model<OrderAttributes, Omit<OrderAttributes, 'id'>>>(
    'Order',
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      orderRef: { type: DataTypes.BIGINT, allowNull: false, field: 'order_ref' },
      sku: { type: DataTypes.STRING(64), allowNull: false },
    },
    { tableName: 'orders', timestamps: false },
  );
  return { Product, Order };
}

/** One checkout inside `transaction`: one unit taken from stock, one order recorded. */
export async function sellOne(
  { Product, Order }: ShopModels,
  sku: string,
  orderId: number,
  transaction: Transaction,
): Promise<void> {
  const [taken] = await Product.update(
    { stock: Product.sequelize!.literal('stock - 1') },
    { where: { sku, stock: { [Op.gt]: 0 } }, transaction },
  );
  if (taken !== 1) throw new OutOfStockError(sku);
  await Order.create({ orderRef: orderId, sku }, { transaction });
}
