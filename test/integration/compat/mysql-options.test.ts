import { expect, it } from 'vitest';
import { describeMysql } from './mysql-suite';

/** Options as mysql2's createPool takes them, untranslated: what mysql2 accepts must be accepted. */
describeMysql('options', ({ server, fromMysqlConfig }) => {
  it('takes host and port as mysql2 does, the port as a string too', async () => {
    const p = fromMysqlConfig({ ...server(), port: String(server().port) as unknown as number });
    expect(await p.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });

  it('accepts acquireTimeout (mysql2 only warns that it is not a pool option) and still works', async () => {
    const warn = console.warn;
    console.warn = () => undefined;
    try {
      const p = fromMysqlConfig({ ...server(), acquireTimeout: 1_000 } as Parameters<
        typeof fromMysqlConfig
      >[0]);
      expect(await p.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      console.warn = warn;
    }
  });

  it('passes connection options through to every connection (connectTimeout, dateStrings, charset)', async () => {
    const p = fromMysqlConfig({ ...server(), connectTimeout: 5_000, dateStrings: true, charset: 'utf8mb4' });
    expect(await p.query("SELECT DATE('2024-01-02') AS d, @@character_set_client AS cs")).toEqual([
      { d: '2024-01-02', cs: 'utf8mb4' },
    ]);
  });
});
