import type { Kysely } from 'kysely';
import { DataTypes, type Model, type ModelStatic, Op, type Sequelize } from 'sequelize';
import { type DataSource, EntitySchema, LessThan } from 'typeorm';
import { expect } from 'vitest';
import type { TestCluster } from '../../../src/testing';
import type { EngineFixture } from './engine-fixture';
import { sleep } from './wait';
import { startWrites } from './write-workload';

/** The `writes` table as an ORM's schema sees it. */
export interface WritesDatabase {
  writes: { id: number };
}

/** What the scenario does through an ORM: one insert, two in a transaction, reading them back. */
export interface OrmWrites {
  insert(id: number): PromiseLike<unknown>;
  insertInTransaction(ids: readonly number[]): PromiseLike<unknown>;
  /** Every id below 0, ascending. */
  negativeIds(): Promise<number[]>;
}

/** Kysely on any dialect: its query builder is the same on every engine. */
export function kyselyWrites(db: Kysely<WritesDatabase>): OrmWrites {
  return {
    insert: (id) => db.insertInto('writes').values({ id }).execute(),
    insertInTransaction: (ids) =>
      db.transaction().execute(async (trx) => {
        for (const id of ids) await trx.insertInto('writes').values({ id }).execute();
      }),
    negativeIds: async () =>
      (await db.selectFrom('writes').select('id').where('id', '<', 0).orderBy('id').execute()).map((r) =>
        Number(r.id),
      ),
  };
}

/** What the scenario uses of a Drizzle database, whichever driver it is made on. */
interface DrizzleWritesDb<Table> {
  insert(table: Table): { values(row: { id: number }): PromiseLike<unknown> };
  select(): { from(table: Table): PromiseLike<Record<string, unknown>[]> };
  transaction<T>(work: (tx: { insert: DrizzleWritesDb<Table>['insert'] }) => Promise<T>): Promise<T>;
}

/** Drizzle on any driver: `table` is the `writes` table in that driver's schema flavour. */
export function drizzleWrites<Table>(db: DrizzleWritesDb<Table>, table: Table): OrmWrites {
  return {
    insert: (id) => db.insert(table).values({ id }),
    insertInTransaction: (ids) =>
      db.transaction(async (tx) => {
        for (const id of ids) await tx.insert(table).values({ id });
      }),
    negativeIds: async () =>
      (await db.select().from(table))
        .map((row) => Number(row.id))
        .filter((id) => id < 0)
        .sort((a, b) => a - b),
  };
}

/**
 * Libraries that take the driver's pool take ours unchanged: queries and a transaction through
 * `orm`, then a steady write stream through it across a planned switchover, in which nothing may
 * be lost or doubled and no error reach the app that the engine could have avoided.
 */
export async function ormAcrossSwitchover(
  label: string,
  orm: OrmWrites,
  fixture: EngineFixture,
  cluster: TestCluster,
): Promise<void> {
  await orm.insert(-1);
  await orm.insertInTransaction([-2, -3]);
  expect(await orm.negativeIds()).toEqual([-3, -2, -1]);

  const stream = startWrites({ query: async (_text, values) => orm.insert(Number(values?.[0])) });
  await sleep(400);
  await cluster.switchover('node2');
  await sleep(400);
  await stream.stop();
  const result = stream.history.check(await fixture.idsOn(cluster, 'node2'));
  const errors = [...stream.errors.keys()];
  console.log(
    `[${fixture.name}] ${label} across a switchover: ${JSON.stringify({ errors, ...result.counts })}`,
  );
  expect(result.lost).toEqual([]);
  expect(result.duplicates).toEqual([]);
  expect(errors.filter((code) => !fixture.switchoverErrors.includes(code))).toEqual([]);
}

/** TypeORM on a DataSource of any type: `entity` is the `writes` table as an EntitySchema. */
export function typeormWrites(dataSource: DataSource, entity: EntitySchema<{ id: number }>): OrmWrites {
  const writes = dataSource.getRepository(entity);
  return {
    insert: (id) => writes.insert({ id }),
    insertInTransaction: (ids) =>
      dataSource.transaction(async (manager) => {
        for (const id of ids) await manager.getRepository(entity).insert({ id });
      }),
    negativeIds: async () =>
      (await writes.find({ where: { id: LessThan(0) }, order: { id: 'ASC' } })).map((row) => Number(row.id)),
  };
}

/** Sequelize with any dialect: `model` is the `writes` table. */
export function sequelizeWrites(sequelize: Sequelize, model: ModelStatic<Model>): OrmWrites {
  return {
    insert: (id) => model.create({ id }),
    insertInTransaction: (ids) =>
      sequelize.transaction(async (transaction) => {
        for (const id of ids) await model.create({ id }, { transaction });
      }),
    negativeIds: async () =>
      (await model.findAll({ where: { id: { [Op.lt]: 0 } }, order: [['id', 'ASC']] })).map((row) =>
        Number(row.get('id')),
      ),
  };
}

/** The `writes` table as TypeORM's EntitySchema. */
export const typeormWritesEntity = new EntitySchema<{ id: number }>({
  name: 'writes',
  columns: { id: { type: 'bigint', primary: true } },
});

/** The `writes` table as a Sequelize model of `sequelize`. */
export function sequelizeWritesModel(sequelize: Sequelize): ModelStatic<Model> {
  return sequelize.define(
    'writes',
    { id: { type: DataTypes.BIGINT, primaryKey: true } },
    {
      tableName: 'writes',
      timestamps: false,
    },
  );
}
