import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

// The machine's own database services, and the ports their tooling assumes; a test cluster must never
// be mistaken for them.
const NEVER = new Set([3306, 3307, 4444, 4567, 4568, 5432, 5433, 6432, 33060]);

// Ports handed out in this process and not yet released, so two clusters started at once cannot both
// pick a port between its bind check and the server's own bind.
const reserved = new Set<number>();

/**
 * Picks below the kernel's ephemeral range: a port from that range may be taken at any moment as the
 * source port of some outgoing connection, between our check and the server's bind.
 */
function portRange(): { low: number; high: number } {
  let ephemeralLow = 32768;
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    if (low !== undefined && Number(low) > 0) ephemeralLow = Number(low);
  } catch {
    // Not Linux: keep the common default.
  }
  if (ephemeralLow > 21_000) return { low: 20_000, high: ephemeralLow - 1 };
  return { low: 40_000, high: 60_000 };
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** Reserves `count` distinct free loopback ports. */
export async function allocatePorts(count: number): Promise<number[]> {
  const { low, high } = portRange();
  const picked: number[] = [];
  for (let attempt = 0; picked.length < count; attempt++) {
    if (attempt > 2_000) {
      for (const port of picked) reserved.delete(port);
      throw new Error(`Could not find ${count} free loopback ports between ${low} and ${high}.`);
    }
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (NEVER.has(port) || reserved.has(port)) continue;
    reserved.add(port);
    if (await canBind(port)) {
      picked.push(port);
    } else {
      reserved.delete(port);
    }
  }
  return picked;
}

export function releasePorts(ports: readonly number[]): void {
  for (const port of ports) reserved.delete(port);
}
