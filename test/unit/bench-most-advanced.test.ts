import { describe, expect, it } from 'vitest';
import { covers, pickMostAdvanced, positionOf } from '../../bench/failover/mariadb/most-advanced';

/** The failover bench's choice of the MariaDB replica to promote (bench/failover/mariadb/most-advanced.ts). */
describe('bench: the most advanced MariaDB replica', () => {
  const at = (node: string, ...lists: string[]) => ({ node, position: positionOf(...lists) });

  it('takes the highest of received and applied, per domain', () => {
    expect([...positionOf('0-1-7,1-3-2', '0-1-5,1-3-4')]).toEqual([
      [0, 7n],
      [1, 4n],
    ]);
    expect(positionOf('', '').size).toBe(0);
  });

  it('compares sequences, whichever server wrote them (gtid_strict_mode: one stream per domain)', () => {
    expect(covers(positionOf('0-2-105'), positionOf('0-1-104'))).toBe(true);
    expect(covers(positionOf('0-1-104'), positionOf('0-2-105'))).toBe(false);
    expect(covers(positionOf('0-1-5'), positionOf(''))).toBe(true);
    expect(covers(positionOf(''), positionOf('0-1-1'))).toBe(false);
  });

  it('promotes the replica that received more, never one another replica is ahead of', () => {
    expect(pickMostAdvanced([at('node2', '0-1-40'), at('node3', '0-1-41')])).toBe('node3');
    expect(pickMostAdvanced([at('node2', '0-1-41'), at('node3', '0-1-40')])).toBe('node2');
  });

  it('breaks a tie by the order given', () => {
    expect(pickMostAdvanced([at('node2', '0-1-9'), at('node3', '0-1-9')])).toBe('node2');
  });

  it('refuses diverged histories: each ahead in a domain', () => {
    expect(() => pickMostAdvanced([at('node2', '0-1-9,1-1-1'), at('node3', '0-1-8,1-1-2')])).toThrow(
      /No replica holds everything/,
    );
  });
});
