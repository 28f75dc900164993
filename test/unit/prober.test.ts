import { describe, expect, it } from 'vitest';
import type { Row } from '../../src/core/dialect';
import { ProbeAnswerError } from '../../src/core/probe-answer';
import type { ProbeSession } from '../../src/core/probe-session';
import { Prober } from '../../src/core/prober';
import { postgresDialect } from '../../src/dialects/postgres/dialect';

const node = { name: 'a:1', host: 'a', port: 1 };

/** A Prober over one session whose statements all answer with `answer`; counts the sessions opened and destroyed. */
function proberAnswering(answer: () => Promise<readonly Row[]>) {
  const sessions = { opened: 0, destroyed: 0, ended: 0 };
  const session = (): ProbeSession => ({
    ready: Promise.resolve(),
    run: answer,
    onFailure: () => undefined,
    destroy: () => {
      sessions.destroyed++;
    },
    end: () => {
      sessions.ended++;
      return Promise.resolve();
    },
  });
  const prober = new Prober({
    dialect: postgresDialect,
    openProbeSession: () => {
      sessions.opened++;
      return session();
    },
  });
  return { prober, sessions };
}

describe('Prober', () => {
  it('names the node and asks what it is when it answers what the dialect cannot read', async () => {
    // A server that answers every statement with one empty row: no column the dialect expects.
    const { prober, sessions } = proberAnswering(() => Promise.resolve([{}]));
    const error = await prober.probe(node, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProbeAnswerError);
    expect((error as Error).message).toMatch(
      /^a:1 answered the monitor's probe with something it cannot read/,
    );
    expect((error as Error).message).toContain('is it a server of the kind this pool is for?');
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(sessions.destroyed).toBe(1);
  });

  it("passes the driver's own errors through unchanged, even a TypeError", async () => {
    const fromDriver = new TypeError('the driver failed');
    const { prober, sessions } = proberAnswering(() => Promise.reject(fromDriver));
    await expect(prober.probe(node, new AbortController().signal)).rejects.toBe(fromDriver);
    // The failed session is dropped: the next probe opens a new one.
    await expect(prober.probe(node, new AbortController().signal)).rejects.toBe(fromDriver);
    expect(sessions).toEqual({ opened: 2, destroyed: 2, ended: 0 });
  });

  it('probes on a new connection after renew, closing the old one once its probe is done', async () => {
    let answer = (): void => undefined;
    const primaryRow = { in_recovery: false, read_only: 'off' };
    const { prober, sessions } = proberAnswering(
      () =>
        new Promise((resolve) => {
          answer = () => resolve([primaryRow]);
        }),
    );
    const signal = new AbortController().signal;
    const first = prober.probe(node, signal);
    await Promise.resolve();
    prober.renew(node.name); // the first probe is under way: its connection stays until it is done
    expect(sessions).toEqual({ opened: 1, destroyed: 0, ended: 0 });
    answer();
    await expect(first).resolves.toMatchObject({ role: 'primary' });
    expect(sessions.ended).toBe(1);
    const second = prober.probe(node, signal);
    await Promise.resolve();
    answer();
    await second;
    expect(sessions.opened).toBe(2);
    prober.renew(node.name); // idle: closed at once
    expect(sessions).toEqual({ opened: 2, destroyed: 0, ended: 2 });
  });
});
