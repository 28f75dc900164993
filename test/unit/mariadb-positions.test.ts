import { describe, expect, it } from 'vitest';
import { covers, mostAdvancedOf, positionOf } from '../../src/testing/cluster/mariadb-positions';

/*
 * How the MariaDB harness's mostAdvanced() picks the replica to promote (for the chaos suite, the
 * failover benchmark and the tests): the one holding everything the others hold, by GTID sequence
 * per domain, whoever wrote it.
 */

describe('positionOf', () => {
  it('keeps the highest sequence of each domain over every list', () => {
    const position = positionOf(['0-1-100', '0-1-98,1-3-7', undefined, '', '1-3-5']);
    expect([...position]).toEqual([
      [0, 100n],
      [1, 7n],
    ]);
  });
});

describe('mostAdvancedOf', () => {
  const at = (name: string, ...lists: string[]) => ({ name, position: positionOf(lists) });

  it('picks the replica that received the most, even if another applied more than this one did', () => {
    // node3 received 0-1-105 (its IO position) although it applied only up to 101.
    expect(mostAdvancedOf([at('node2', '0-1-103', '0-1-103'), at('node3', '0-1-105', '0-1-101')])).toBe(
      'node3',
    );
  });

  it("counts a node's own binary log: a former primary holds writes it never received", () => {
    // node1 was the primary up to 0-1-9 and is now a replica whose IO thread has received nothing
    // yet; its gtid_slave_pos still says 0-1-3. node3 received up to 0-1-7.
    const formerPrimary = at('node1', '', '0-1-3', '0-1-9');
    expect(mostAdvancedOf([at('node3', '0-1-7', '0-1-7', '0-1-7'), formerPrimary])).toBe('node1');
  });

  it('compares sequences across servers: a new primary continues the numbering', () => {
    expect(mostAdvancedOf([at('node3', '0-1-104'), at('node4', '0-2-105')])).toBe('node4');
  });

  it('breaks ties by the order given', () => {
    expect(mostAdvancedOf([at('node2', '0-1-7'), at('node3', '0-1-7')])).toBe('node2');
    expect(mostAdvancedOf([at('node3', '0-1-7'), at('node2', '0-1-7')])).toBe('node3');
  });

  it('refuses to choose between diverged histories', () => {
    expect(() => mostAdvancedOf([at('node2', '0-1-9,1-2-1'), at('node3', '0-1-10')])).toThrow(/diverged/);
  });

  it('refuses an empty list', () => {
    expect(() => mostAdvancedOf([])).toThrow(/No replica/);
  });
});

describe('covers', () => {
  it('needs every domain of the other position', () => {
    expect(covers(positionOf(['0-1-10,1-1-2']), positionOf(['0-1-10']))).toBe(true);
    expect(covers(positionOf(['0-1-10']), positionOf(['0-1-10,1-1-2']))).toBe(false);
  });

  it('holds an empty position, and nothing else, with an empty one', () => {
    expect(covers(positionOf(['0-1-5']), positionOf(['']))).toBe(true);
    expect(covers(positionOf(['']), positionOf(['0-1-1']))).toBe(false);
  });
});
