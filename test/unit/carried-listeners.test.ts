import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CarriedListeners } from '../../src/drivers/carried-listeners';

describe('CarriedListeners', () => {
  it('moves the listeners added through it, in order, and forgets the removed ones', () => {
    const carried = new CarriedListeners();
    const from = new EventEmitter();
    const to = new EventEmitter();
    const self = {};
    const [a, b, c] = [() => 1, () => 2, () => 3];
    expect(carried.wrap(from, 'on', self)('error', a)).toBe(self);
    carried.wrap(from, 'prependListener', self)('error', b);
    carried.wrap(from, 'on', self)('notice', c);
    carried.wrap(from, 'removeListener', self)('notice', c);
    expect(from.listeners('error')).toEqual([b, a]);
    carried.move(from, to);
    expect(from.listenerCount('error')).toBe(0);
    expect(to.listeners('error')).toEqual([b, a]);
    expect(to.listenerCount('notice')).toBe(0);
  });

  it('forgets what removeAllListeners removed, for one event or all', () => {
    const carried = new CarriedListeners();
    const from = new EventEmitter();
    const to = new EventEmitter();
    carried.wrap(from, 'on', undefined)('error', () => 1);
    carried.wrap(from, 'once', undefined)('end', () => 2);
    carried.wrap(from, 'removeAllListeners', undefined)('error');
    carried.move(from, to);
    expect(to.listenerCount('error')).toBe(0);
    expect(to.listenerCount('end')).toBe(1);
    carried.wrap(to, 'removeAllListeners', undefined)();
    carried.clear();
    const third = new EventEmitter();
    carried.move(to, third);
    expect(third.eventNames()).toEqual([]);
  });
});
