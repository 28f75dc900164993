/**
 * The fault proxy on raw TCP: a tiny echo / hold server behind it, real sockets in front.
 * No wall-clock upper bound anywhere: a delay is checked from below, and that a fault is off (or
 * does not apply) by the contrast with HOLD_MS, a delay far longer than any wait of these tests,
 * or by the order in which bytes arrive.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFaultProxy, type FaultProxy } from '../../src/testing';
import {
  connectError,
  connectOutcome,
  eventually,
  sleep,
  startServer,
  TestClient,
  type TestServer,
  tcpHandles,
} from '../support/fault-proxy-helpers';

let server: TestServer;
let proxy: FaultProxy;
const clients: TestClient[] = [];

async function client(): Promise<TestClient> {
  const c = await TestClient.connect(proxy.port, proxy.host);
  clients.push(c);
  return c;
}

/** A fault delay no test waits for: bytes it holds arrive only if the fault is off or does not apply. */
const HOLD_MS = 60_000;
/** The deadline of every wait for bytes, far below HOLD_MS and far above any healthy round trip. */
const WAIT_MS = 20_000;

/** Round trip of `message` through the proxy and the echo server, in ms. */
async function roundTrip(c: TestClient, message: string, timeoutMs = WAIT_MS): Promise<number> {
  const start = performance.now();
  const expected = c.received.length + Buffer.byteLength(message);
  c.write(message);
  await c.waitForBytes(expected, timeoutMs);
  return performance.now() - start;
}

beforeEach(async () => {
  server = await startServer('echo');
  proxy = await createFaultProxy({ target: { host: '127.0.0.1', port: server.port } });
});

afterEach(async () => {
  await proxy.close();
  for (const c of clients.splice(0)) await c.destroy();
  await server.close();
  // Nothing leaks: every socket and listener of this test is gone (libuv releases closed
  // handles a loop turn after their close callbacks, hence the polling).
  await eventually(() => tcpHandles() === 0, 1000, 'no TCP handle left');
});

describe('fault proxy: plumbing', () => {
  it('listens on a free loopback port and forwards both ways, counting bytes', async () => {
    expect(proxy.host).toBe('127.0.0.1');
    expect(proxy.port).toBeGreaterThan(0);
    const c = await client();
    await roundTrip(c, 'hello');
    expect(c.received.toString()).toBe('hello');
    const stats = proxy.stats();
    expect(stats).toMatchObject({ accepted: 1, open: 1, bytesFromClient: 5, bytesToServer: 5 });
    expect(stats.bytesFromServer).toBe(5);
    expect(stats.bytesToClient).toBe(5);
    const [info] = proxy.connections();
    expect(info).toMatchObject({ id: 1, serverConnected: true, bytesFromClient: 5, bytesToClient: 5 });
  });

  it('passes a half-close on and forgets the connection when both sides are closed', async () => {
    const c = await client();
    await roundTrip(c, 'x');
    c.socket.end();
    await c.waitClosed();
    await eventually(() => proxy.stats().open === 0, 2000, 'connection to be forgotten');
  });

  it('refuses cutOn on a raw proxy and validates arguments', () => {
    expect(() => proxy.cutOn('COMMIT', { when: 'after' })).toThrow(/protocol/);
    expect(() => proxy.latency(-1)).toThrow(RangeError);
    expect(() => proxy.bandwidth(0)).toThrow(RangeError);
    expect(() => proxy.closeAfter(1.5)).toThrow(RangeError);
  });
});

describe('fault proxy: latency', () => {
  it('delays each direction by at least the given time', async () => {
    const c = await client();
    await roundTrip(c, 'a');
    proxy.latency(100);
    expect(await roundTrip(c, 'b')).toBeGreaterThanOrEqual(190);
  });

  it('delays only the direction asked for', async () => {
    const c = await client();
    await roundTrip(c, 'a');
    proxy.latency(HOLD_MS, 0, { direction: 'toServer' });
    const [serverSide] = server.sockets;
    c.write('c');
    serverSide!.write('s');
    // The server's byte crosses at once; the client's is held.
    await c.waitForBytes(2, WAIT_MS);
    expect(c.received.toString()).toBe('as');
    expect(server.received().toString()).toBe('a');
  });

  it('stops delaying when switched off', async () => {
    const c = await client();
    const h = proxy.latency(HOLD_MS);
    await h.off();
    expect(h.active).toBe(false);
    await roundTrip(c, 'back to normal');
  });

  it('keeps byte order under jitter', async () => {
    proxy.latency(5, 40);
    const c = await client();
    let sent = '';
    for (let i = 0; i < 200; i++) {
      const piece = `${i},`;
      sent += piece;
      c.write(piece);
      if (i % 10 === 0) await sleep(1);
    }
    await c.waitForBytes(sent.length, WAIT_MS);
    expect(c.received.toString()).toBe(sent);
    expect(server.received().toString()).toBe(sent);
  });

  it('releases queued bytes when switched off, not when their delay ends', async () => {
    const c = await client();
    const h = proxy.latency(HOLD_MS);
    c.write('queued');
    await sleep(50);
    expect(c.received.length).toBe(0);
    await h.off();
    await c.waitForBytes(6, WAIT_MS);
    expect(c.received.toString()).toBe('queued');
  });
});

describe('fault proxy: bandwidth', () => {
  it('limits throughput per direction', async () => {
    const c = await client();
    proxy.bandwidth(100_000, { direction: 'toServer' });
    const payload = 'x'.repeat(50_000);
    const took = await roundTrip(c, payload);
    // 50 kB at 100 kB/s: about 500 ms (the bucket starts empty).
    expect(took).toBeGreaterThanOrEqual(400);
    expect(c.received.toString()).toBe(payload);
  });
});

describe('fault proxy: blackhole', () => {
  it('swallows bytes both ways while the connection stays open; new connections get nothing', async () => {
    const c = await client();
    await roundTrip(c, 'before');
    const h = proxy.blackhole();
    c.write('lost');
    const late = await client(); // accepted, but nothing gets through
    late.write('also lost');
    await sleep(300);
    expect(c.received.toString()).toBe('before');
    expect(late.received.length).toBe(0);
    expect(c.closed || late.closed).toBe(false);
    expect(server.received().toString()).toBe('before');
    expect(proxy.stats().open).toBe(2);
    await h.off();
    await roundTrip(c, 'after');
    expect(c.received.toString()).toBe('beforeafter');
  });

  it('holds a FIN until the blackhole ends', async () => {
    const c = await client();
    await roundTrip(c, 'x');
    const h = proxy.blackhole({ direction: 'toServer' });
    c.socket.end();
    await sleep(200);
    expect(server.sockets.size).toBe(1); // the server did not hear the FIN
    await h.off();
    await eventually(() => server.sockets.size === 0, 2000, 'server to see the FIN');
    await c.waitClosed();
  });
});

describe('fault proxy: reset', () => {
  it('sends a real RST to existing connections, once', async () => {
    const c = await client();
    await roundTrip(c, 'x');
    const h = proxy.reset();
    await c.waitClosed();
    expect(c.error?.code).toBe('ECONNRESET');
    expect(h.resets).toBe(1);
    expect(h.active).toBe(false);
    const next = await client();
    expect((await roundTrip(next, 'ok')) >= 0).toBe(true);
    expect(proxy.stats().resets).toBe(1);
  });

  it("with scope 'new' resets connections accepted while on, and leaves existing ones", async () => {
    const old = await client();
    const h = proxy.reset({ scope: 'new' });
    // The RST may arrive before or after the client saw its connect complete.
    expect(await connectOutcome(proxy.port)).toBe('ECONNRESET');
    await roundTrip(old, 'still fine');
    await h.off();
    await roundTrip(await client(), 'fine again');
    expect(h.resets).toBe(1);
  });
});

describe('fault proxy: refuse', () => {
  it('refuses new connections at the TCP level and listens again on the same port', async () => {
    const c = await client();
    const port = proxy.port;
    const h = await proxy.refuse();
    expect(await connectError(port)).toBe('ECONNREFUSED');
    await roundTrip(c, 'existing connections live on');
    await h.off();
    expect(proxy.port).toBe(port);
    await roundTrip(await client(), 'accepted again');
  });

  it('listens again only when every refusal is off, and survives quick toggling', async () => {
    const port = proxy.port;
    const a = await proxy.refuse();
    const b = await proxy.refuse();
    await a.off();
    expect(await connectError(port)).toBe('ECONNREFUSED');
    await b.off();
    await Promise.all([(await proxy.refuse()).off(), proxy.refuse()]);
    expect(await connectError(port)).toBe('ECONNREFUSED');
    await proxy.clear();
    await roundTrip(await client(), 'listening');
    await b.off(); // a stale handle changes nothing
    await roundTrip(await client(), 'still listening');
  });

  it('clear() also ends refusing, and every other fault', async () => {
    await proxy.refuse();
    proxy.latency(HOLD_MS);
    await proxy.clear();
    const c = await client();
    await roundTrip(c, 'ok');
  });
});

describe('fault proxy: closeAfter', () => {
  it('closes a connection after exactly that many bytes', async () => {
    const c = await client();
    proxy.closeAfter(10, { direction: 'toServer' });
    c.write('0123456789abcdefghij');
    await c.waitClosed();
    await eventually(() => server.received().length === 10, 1000, 'server bytes');
    expect(server.received().toString()).toBe('0123456789');
    expect(proxy.stats().closedAfterBytes).toBe(1);
  });

  it('counts both directions by default, from when the fault applies', async () => {
    const c = await client();
    await roundTrip(c, 'abc'); // 6 bytes before the fault: not counted
    proxy.closeAfter(7);
    c.write('defg'); // 4 to the server + 3 of the echo back = 7
    await c.waitClosed();
    expect(c.received.toString()).toBe('abcdef');
    expect(c.error).toBeUndefined(); // a FIN
  });

  it("with how: 'reset' sends an RST", async () => {
    const c = await client();
    await roundTrip(c, 'abc');
    proxy.closeAfter(2, { how: 'reset', direction: 'toServer' });
    c.write('defg');
    await c.waitClosed();
    expect(c.error?.code).toBe('ECONNRESET');
    await eventually(() => server.received().toString() === 'abcde', 1000, 'server bytes');
  });
});

describe('fault proxy: sliceWrites', () => {
  it('forwards data in fragments of 1-7 bytes, intact', async () => {
    const c = await client();
    await roundTrip(c, 'warm');
    server.chunks.length = 0;
    proxy.sliceWrites({ direction: 'toServer' });
    const payload = 'The quick brown fox jumps over the lazy dog. 0123456789';
    await roundTrip(c, payload);
    expect(c.received.toString()).toBe(`warm${payload}`);
    expect(server.received().toString()).toBe(payload);
    expect(server.chunks.length).toBeGreaterThan(5);
    // TCP may join two fragments into one read when the receiver is slow (a loaded CI machine): most
    // reads, not every one, are a single fragment of 1-7 bytes. Unsliced, the payload is one read.
    const small = server.chunks.filter((chunk) => chunk.length <= 7).length;
    expect(small / server.chunks.length).toBeGreaterThanOrEqual(0.8);
  });
});

describe('fault proxy: scope', () => {
  it("'new' faults leave existing connections alone, 'existing' ones leave new connections alone", async () => {
    const old = await client();
    const onNew = proxy.latency(HOLD_MS, 0, { scope: 'new' });
    const fresh = await client();
    await roundTrip(old, 'a');
    fresh.write('b');
    await sleep(200);
    expect(fresh.received.length).toBe(0);
    await onNew.off();

    const onExisting = proxy.blackhole({ scope: 'existing' });
    const newest = await client();
    await roundTrip(newest, 'c');
    old.write('swallowed');
    await sleep(200);
    expect(old.received.toString()).toBe('a');
    await onExisting.off();
  });
});

describe('fault proxy: abuse', () => {
  it('survives the server dying mid-stream: the client sees the reset', async () => {
    const c = await client();
    await roundTrip(c, 'x');
    for (const s of server.sockets) s.resetAndDestroy();
    await c.waitClosed();
    expect(c.error?.code).toBe('ECONNRESET');
    await eventually(() => proxy.stats().open === 0, 2000, 'connection forgotten');
  });

  it('survives the client dying mid-stream with data queued', async () => {
    const c = await client();
    proxy.latency(200);
    c.write('y'.repeat(100_000));
    await sleep(20);
    c.socket.resetAndDestroy();
    await eventually(() => server.sockets.size === 0, 2000, 'server side closed');
    await eventually(() => proxy.stats().open === 0, 2000, 'connection forgotten');
  });

  it('resets the client when the target is down', async () => {
    const dead = await startServer('hold');
    const port = dead.port;
    await dead.close();
    const p = await createFaultProxy({ target: { host: '127.0.0.1', port } });
    try {
      const c = await TestClient.connect(p.port);
      await c.waitClosed();
      expect(c.error?.code).toBe('ECONNRESET');
    } finally {
      await p.close();
    }
  });

  it('keeps a fault switched off while data is queued coherent (bandwidth, slicing)', async () => {
    const c = await client();
    const bw = proxy.bandwidth(2000);
    const sl = proxy.sliceWrites();
    const payload = 'z'.repeat(20_000);
    c.write(payload);
    await sleep(100);
    await bw.off();
    await sl.off();
    await c.waitForBytes(payload.length, WAIT_MS);
    expect(c.received.toString()).toBe(payload);
  });
});

describe('fault proxy: close', () => {
  it('closes the listener and every socket, leaving no TCP handle behind', async () => {
    const before = tcpHandles(); // the echo server and the proxy listener
    expect(before).toBe(2);
    const a = await client();
    const b = await client();
    await roundTrip(a, 'x');
    proxy.latency(1000);
    a.write('queued');
    proxy.blackhole({ scope: 'existing' });
    b.write('swallowed');
    expect(tcpHandles()).toBeGreaterThan(before);
    await proxy.close();
    await a.waitClosed();
    await b.waitClosed();
    await eventually(() => server.sockets.size === 0, 2000, 'server sockets closed');
    // Only the echo server's listener is left.
    await eventually(() => tcpHandles() === 1, 1000, 'only the echo server left');
    expect(await connectError(proxy.port)).toBe('ECONNREFUSED');
    await proxy.close(); // idempotent
    expect(() => proxy.latency(1)).toThrow(/closed/);
  });

  it('closes while refusing, with connections open', async () => {
    const before = tcpHandles();
    const p = await createFaultProxy({ target: { host: '127.0.0.1', port: server.port } });
    const c = await TestClient.connect(p.port);
    await p.refuse();
    p.blackhole();
    c.write('x');
    await p.close();
    await c.waitClosed();
    await eventually(() => tcpHandles() === before, 1000, 'handles back to the baseline');
  });
});
