import 'reflect-metadata';
import { Sequelize } from 'sequelize';
import { DataSource, EntitySchema } from 'typeorm';
import { describe, expect, it } from 'vitest';
import type { PoolHealth } from '../../src/core/health';
import { createMysql2Module } from '../../src/drivers/mysql2';
import { createPgModule, READ_REPLICAS } from '../../src/drivers/pg';
import type { TestCluster } from '../../src/testing';
import type { EngineFixture } from './support/engine-fixture';
import { oneFixturePerEngine } from './support/fixtures';
import {
  ormAcrossSwitchover,
  sequelizeWrites,
  sequelizeWritesModel,
  typeormWrites,
  typeormWritesEntity,
} from './support/orm-scenario';
import { clusterPorts, replicasMeasured } from './support/replica-nodes';
import { endedAfterEach } from './support/resources';
import { eventually } from './support/wait';

/**
 * The driver modules (`createPgModule`, `createMysql2Module`) stand in for `pg` / `mysql2` where an
 * ORM loads the driver itself: TypeORM's `driver` takes the module's pool; Sequelize's `dialectModule`
 * opens single connections (`new Client`, `createConnection`) and pools them itself, and those must
 * follow the primary: settings given again on the new primary, a transaction never split over nodes.
 */

type Row = Record<string, unknown>;

/** One single connection of a module, as the tests drive it on either engine. */
interface Single {
  query(sql: string): Promise<Row[]>;
  end(): Promise<void>;
}

interface EngineSql {
  readonly dialect: 'postgres' | 'mysql';
  readonly setZone: string;
  readonly zone: string;
  readonly port: string;
  readonly zoneValue: string;
  readonly insert: (id: number) => string;
}

const SQL: Record<EngineFixture['engine'], EngineSql> = {
  postgresql: {
    dialect: 'postgres',
    setZone: "SET TIME ZONE 'Asia/Tokyo'",
    zone: 'SELECT current_setting($$TimeZone$$) AS zone',
    port: 'SELECT inet_server_port() AS port',
    zoneValue: 'Asia/Tokyo',
    insert: (id) => `INSERT INTO writes(id) VALUES (${id})`,
  },
  mariadb: {
    dialect: 'mysql',
    setZone: "SET time_zone = '+09:00'",
    zone: 'SELECT @@session.time_zone AS zone',
    port: 'SELECT @@port AS port',
    zoneValue: '+09:00',
    insert: (id) => `INSERT INTO writes(id) VALUES (${id})`,
  },
};

function credentials(cluster: TestCluster) {
  const options = cluster.connectionOptions as {
    hosts: string[];
    user: string;
    password: string;
    database: string;
  };
  return options;
}

/** The engine's driver module on the cluster's nodes, and a single connection of it. */
function moduleOn(fixture: EngineFixture, cluster: TestCluster) {
  const { hosts, user, password, database } = credentials(cluster);
  if (fixture.engine === 'postgresql') {
    const module = createPgModule({ hosts });
    const single = async (): Promise<Single> => {
      const client = new module.Client({ user, password, database });
      await client.connect();
      return {
        query: async (sql) => ((await client.query(sql)) as { rows: Row[] }).rows,
        end: () => client.end(),
      };
    };
    return { module, single };
  }
  const module = createMysql2Module({ hosts });
  const single = async (): Promise<Single> => {
    const connection = module.createConnection({ user, password, database });
    await new Promise<void>((resolve, reject) => {
      connection.once('connect', () => resolve());
      connection.once('error', reject);
    });
    const promised = connection.promise();
    return {
      query: async (sql) => (await promised.query(sql))[0] as Row[],
      end: () => new Promise((resolve) => connection.end(() => resolve())),
    };
  };
  return { module, single };
}

describe.each(oneFixturePerEngine())('ORMs through the driver modules (%s)', (_name, fixture) => {
  const started = endedAfterEach();
  const sql = SQL[fixture.engine];

  it('TypeORM (driver: the module) queries, transactions, and a switchover with no error', async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true }));
    const { module } = moduleOn(fixture, cluster);
    const { user, password, database } = credentials(cluster);
    const dataSource = new DataSource({
      type: sql.dialect,
      driver: module,
      username: user,
      password,
      database,
      entities: [typeormWritesEntity],
    });
    await dataSource.initialize();
    started.ends(async () => {
      await dataSource.destroy();
      await module.end();
    });
    expect(module.pools).toHaveLength(1); // TypeORM's pool, over every node
    expect(module.pools[0]?.topology().nodes).toHaveLength(cluster.nodes.length);
    await ormAcrossSwitchover('TypeORM', typeormWrites(dataSource, typeormWritesEntity), fixture, cluster);
  });

  it("TypeORM's replication: finds on the replicas through the reader, writes and the master's queries on the primary, one pool", async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true }));
    const { module } = moduleOn(fixture, cluster);
    const { user, password, database } = credentials(cluster);
    // A view whose row says which server read it: TypeORM's own find shows where it was sent.
    // MariaDB's views take no @@port, but may call a function that reads it (made by the admin).
    if (fixture.engine === 'postgresql') {
      await cluster.query('node1', 'CREATE VIEW served AS SELECT 1 AS id, inet_server_port() AS port', [], {
        as: 'app',
      });
    } else {
      await cluster.query(
        'node1',
        `CREATE FUNCTION ${database}.server_port() RETURNS INT DETERMINISTIC RETURN @@port`,
      );
      await cluster.query(
        'node1',
        `CREATE VIEW ${database}.served AS SELECT 1 AS id, ${database}.server_port() AS port`,
      );
    }
    const served = new EntitySchema<{ id: number; port: number }>({
      name: 'served',
      columns: { id: { type: 'int', primary: true }, port: { type: 'int' } },
    });
    const entry = { username: user, password, database };
    const dataSource = new DataSource({
      type: sql.dialect,
      driver: module,
      replication: { master: entry, slaves: [{ ...entry, host: READ_REPLICAS }] },
      entities: [typeormWritesEntity, served],
    });
    await dataSource.initialize();
    started.ends(async () => {
      await dataSource.destroy();
      await module.end();
    });
    // One pool: the primary entry's, whose reader the replica entry got.
    expect(module.pools).toHaveLength(1);
    await replicasMeasured(module.pools[0] as { health(): PoolHealth });
    const { primaryPort, replicaPorts } = clusterPorts(cluster);
    const ports = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const [row] = await dataSource.getRepository(served).find();
      ports.add(Number(row?.port));
    }
    expect([...ports].sort()).toEqual([...replicaPorts].sort());
    await dataSource.getRepository(typeormWritesEntity).save({ id: 41 });
    const [master] = (await dataSource.query(sql.port)) as Row[];
    expect(Number(master?.port)).toBe(primaryPort);
    await eventually(
      'the write read back through a replica',
      async () => (await dataSource.getRepository(typeormWritesEntity).findOneBy({ id: 41 })) !== null,
      10_000,
    );
  });

  it('Sequelize (dialectModule: the module) queries, transactions, and a switchover with no error', async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true }));
    const { module } = moduleOn(fixture, cluster);
    const { user, password, database } = credentials(cluster);
    const sequelize = new Sequelize(database, user, password, {
      dialect: sql.dialect,
      dialectModule: module,
      logging: false,
    });
    started.ends(async () => {
      await sequelize.close();
      await module.end();
    });
    const writes = sequelizeWritesModel(sequelize);
    await ormAcrossSwitchover('Sequelize', sequelizeWrites(sequelize, writes), fixture, cluster);
  });

  it('a single connection follows the primary with its session settings', async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true }));
    const { module, single } = moduleOn(fixture, cluster);
    started.ends(() => module.end());
    const connection = await single();
    await connection.query(sql.setZone);
    const portOf = async () => Number((await connection.query(sql.port))[0]?.port);
    expect(await portOf()).toBe(cluster.node('node1').port);
    await cluster.switchover('node2');
    // Until the pool's monitor has seen the switchover (its next probe, within a second), node1
    // still answers reads as a replica: the connection moves once the pool knows.
    const node2 = `127.0.0.1:${cluster.node('node2').port}`;
    await eventually(
      'the pool sees node2 as primary',
      () => module.pools[0]?.topology().primary === node2,
      10_000,
    );
    // The same connection object, now on node2, with the time zone the app set on node1.
    expect((await connection.query(sql.zone))[0]?.zone).toBe(sql.zoneValue);
    expect(await portOf()).toBe(cluster.node('node2').port);
    await connection.query(sql.insert(-1));
    expect(await fixture.idsOn(cluster, 'node2')).toContain('-1');
    await connection.end();
  });

  it('a transaction that had only run BEGIN when a switchover came moves to the new primary', async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true }));
    const { module, single } = moduleOn(fixture, cluster);
    started.ends(() => module.end());
    const connection = await single();
    await connection.query(sql.insert(-20)); // a connection in use for a while, as in an ORM's pool
    await connection.query('BEGIN');
    await cluster.switchover('node2');
    await connection.query(sql.insert(-21));
    await connection.query('COMMIT');
    const ids = await fixture.idsOn(cluster, 'node2');
    expect(ids.filter((id) => Number(id) < 0).sort()).toEqual(['-20', '-21']);
    await connection.end();
  });

  it('a transaction whose node is lost refuses every statement until ROLLBACK, then the connection follows', async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true }));
    const { module, single } = moduleOn(fixture, cluster);
    started.ends(() => module.end());
    const connection = await single();
    await connection.query('BEGIN');
    await connection.query(sql.insert(-10));
    await cluster.switchover('node2');
    // The transaction was on node1: its next statement fails, and so does every later one, so that
    // none runs outside the transaction on node2.
    await expect(connection.query(sql.insert(-11))).rejects.toMatchObject({ code: 'NODE_UNAVAILABLE' });
    await expect(connection.query(sql.insert(-12))).rejects.toThrow(/end the transaction with ROLLBACK/);
    await connection.query('ROLLBACK');
    await connection.query(sql.insert(-13));
    const ids = await fixture.idsOn(cluster, 'node2');
    expect(ids.filter((id) => Number(id) < 0)).toEqual(['-13']);
    await connection.end();
  });
});
