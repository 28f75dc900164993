import { describe, expect, it } from 'vitest';
import { findFailoverError, NoPrimaryError, WriteOutcomeUnknownError } from '../../src/index';

describe('findFailoverError', () => {
  const unknown = new WriteOutcomeUnknownError('lost after sending', {});

  it('finds the error itself, and inside the wrappers ORMs put around it', () => {
    expect(findFailoverError(unknown)).toBe(unknown);
    // Sequelize: `original` and `parent`; Drizzle: `cause`; TypeORM: `driverError`; Knex: as is.
    expect(
      findFailoverError(Object.assign(new Error('Sequelize'), { original: unknown, parent: unknown })),
    ).toBe(unknown);
    expect(findFailoverError(new Error('Drizzle', { cause: unknown }))).toBe(unknown);
    expect(findFailoverError(Object.assign(new Error('TypeORM'), { driverError: unknown }))).toBe(unknown);
    expect(findFailoverError(new AggregateError([new Error('other'), unknown]))).toBe(unknown);
    const deep = new Error('outer', { cause: new Error('middle', { cause: { original: unknown } }) });
    expect(findFailoverError(deep)).toBe(unknown);
  });

  it('recognises an error of the other build (ESM or CommonJS) by its code', () => {
    const fromOtherBuild = { name: 'NoPrimaryError', code: 'NO_PRIMARY', message: 'no primary' };
    expect(findFailoverError(new Error('wrapped', { cause: fromOtherBuild }))).toBe(fromOtherBuild);
  });

  it('returns the outermost one when a failover error wraps another', () => {
    const outer = new NoPrimaryError('timeout', 'no primary', 0, { cause: unknown });
    expect(findFailoverError(outer)).toBe(outer);
  });

  it('finds nothing in a database error, a cycle, or what is not an error', () => {
    expect(findFailoverError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBeUndefined();
    const cyclic: { cause?: unknown; message: string } = { message: 'cycle' };
    cyclic.cause = cyclic;
    expect(findFailoverError(cyclic)).toBeUndefined();
    expect(findFailoverError(undefined)).toBeUndefined();
    expect(findFailoverError('NO_PRIMARY')).toBeUndefined();
  });
});
