import { describe, expect, it } from 'vitest';
import { parseStatementCall } from '../../src/drivers/mysql2/call-args';
import { carrierFor, deliver } from '../../src/drivers/mysql2/carrier';
import { isSqlAndValues } from '../../src/drivers/mysql2/statement';

/** What a caller with no callback sees: the events of the Query handed back, in order. */
async function eventsFor(result: unknown, fields: unknown): Promise<unknown[][]> {
  const call = parseStatementCall('query', ['SELECT whatever']);
  const carrier = carrierFor(call, {});
  const seen: unknown[][] = [];
  carrier.on('fields', (...args: unknown[]) => seen.push(['fields', ...args]));
  carrier.on('result', (...args: unknown[]) => seen.push(['result', ...args]));
  const ended = new Promise<void>((resolve) => carrier.on('end', () => resolve()));
  deliver(carrier, call, undefined, fields === undefined ? [result] : [result, fields]);
  await ended;
  return seen;
}

const FIELDS = [{ name: 'id' }];
const OK = { affectedRows: 1, insertId: 0 };

describe('mysql2 carrier: the Query a pool statement hands back', () => {
  it('replays rows as mysql2 emits them without a callback: fields, then each row with its result index', async () => {
    expect(await eventsFor([{ id: 1 }, { id: 2 }], FIELDS)).toEqual([
      ['fields', FIELDS],
      ['result', { id: 1 }, 0],
      ['result', { id: 2 }, 0],
    ]);
  });

  it('replays an OK packet: fields undefined, then the packet', async () => {
    expect(await eventsFor(OK, undefined)).toEqual([
      ['fields', undefined],
      ['result', OK],
    ]);
  });

  it('replays several result sets (multipleStatements) one after the other', async () => {
    expect(await eventsFor([OK, [{ id: 7 }]], [undefined, FIELDS])).toEqual([
      ['fields', undefined],
      ['result', OK],
      ['fields', FIELDS],
      ['result', { id: 7 }, 1],
    ]);
  });

  it('is a real mysql2 Query: it streams, and refuses to be awaited', async () => {
    const call = parseStatementCall('query', ['SELECT whatever']);
    const carrier = carrierFor(call, {});
    expect(carrier.sql).toBe('SELECT whatever');
    const stream = carrier.stream();
    deliver(carrier, call, undefined, [[{ id: 1 }], FIELDS]);
    const rows: unknown[] = [];
    for await (const row of stream) rows.push(row);
    expect(rows).toEqual([{ id: 1 }]);
  });

  it('hands an error to the callback, to error listeners, or to nobody (never crashing the process)', async () => {
    const failure = new Error('no primary');
    const withCallback = await new Promise<unknown>((resolve) => {
      const call = parseStatementCall('query', ['SELECT 1', (error: unknown) => resolve(error)]);
      deliver(carrierFor(call, {}), call, failure, undefined);
    });
    expect(withCallback).toBe(failure);

    const call = parseStatementCall('query', ['SELECT 1']);
    const listened = carrierFor(call, {});
    const heard = new Promise<unknown>((resolve) => listened.on('error', resolve));
    deliver(listened, call, failure, undefined);
    expect(await heard).toBe(failure);

    const unheard = carrierFor(call, {});
    const ended = new Promise<void>((resolve) => unheard.on('end', () => resolve()));
    deliver(unheard, call, failure, undefined);
    await ended; // an unheard 'error' would have thrown from emit before 'end'
  });

  it('carries the text, the values and any per-query option of the call, in either form', () => {
    type Carried = { sql: string; values?: unknown; _queryOptions: { rowsAsArray?: boolean } };
    const text = carrierFor(parseStatementCall('query', ['SELECT ?', [1]]), {}) as unknown as Carried;
    expect([text.sql, text.values]).toEqual(['SELECT ?', [1]]);
    const object = carrierFor(
      parseStatementCall('query', [{ sql: 'SELECT ?', rowsAsArray: true }, [2]]),
      {},
    ) as unknown as Carried;
    expect([object.sql, object.values]).toEqual(['SELECT ?', [2]]);
    expect(
      (object as unknown as { _queryOptions: { rowsAsArray?: boolean } })._queryOptions.rowsAsArray,
    ).toBe(true);
  });
});

describe("isSqlAndValues: which calls take mysql2's text form", () => {
  it('is true for text and values only, false when any other option is set', () => {
    expect(isSqlAndValues({ sql: 'SELECT 1' })).toBe(true);
    expect(isSqlAndValues({ sql: 'SELECT ?', values: [1] })).toBe(true);
    expect(isSqlAndValues({ sql: 'SELECT 1', rowsAsArray: true })).toBe(false);
    expect(isSqlAndValues({ sql: 'SELECT 1', nestTables: '_' })).toBe(false);
  });
});
