/**
 * `npx failover-pool status ...`: the cluster as failover-pool sees it from this machine (args.ts
 * has the usage). The first thing to run to check a host list, and, with `--watch`, a failover
 * shown as it unfolds. docs/operations.md.
 */
import { parseStatusArgs, type StatusArgs, USAGE, UsageError } from './args';
import { discovered, openPool, type WatchedPool } from './open-pool';
import { paintFor, renderStatus } from './status-table';
import { clock, onClusterEvents, pictureKey, type ShownEvent } from './watch';

const ENGINE_NAMES = { pg: 'PostgreSQL', mysql: 'MySQL / MariaDB' } as const;
/** Events kept on screen under the table while watching on a terminal. */
const EVENTS_SHOWN = 15;

function snapshotJson(args: StatusArgs, pool: WatchedPool) {
  const health = pool.health();
  return {
    engine: args.engine,
    primary: health.primary,
    writable: health.writable,
    health,
    topology: pool.topology(),
  };
}

async function status(args: StatusArgs, out: NodeJS.WriteStream): Promise<number> {
  const pool = await openPool(args);
  try {
    await discovered(pool, args.timeoutMs);
    const paint = paintFor(out.isTTY === true && !process.env.NO_COLOR);
    const table = () => renderStatus(ENGINE_NAMES[args.engine], pool.topology(), pool.health(), paint);
    if (!args.watch) {
      out.write(args.json ? `${JSON.stringify(snapshotJson(args, pool), null, 2)}\n` : `${table()}\n`);
      return pool.health().writable ? 0 : 2;
    }
    await watch(args, pool, out, table);
    return pool.health().writable ? 0 : 2;
  } finally {
    await pool.end();
  }
}

/**
 * Until Ctrl-C: on a terminal the table redrawn every `--interval` with the latest events under it;
 * elsewhere (a pipe, a log) each event as a line and the table whenever the picture changes; with
 * `--json`, one JSON document per line for each.
 */
async function watch(args: StatusArgs, pool: WatchedPool, out: NodeJS.WriteStream, table: () => string) {
  const events: ShownEvent[] = [];
  const terminal = out.isTTY === true && !args.json;
  const redraw = () => {
    const recent = events.slice(-EVENTS_SHOWN).map((e) => `  ${clock(e.at)}  ${e.text}`);
    out.write(
      `\x1b[2J\x1b[H${table()}\n\n  events${recent.length ? '' : ' (none yet)'}\n${recent.join('\n')}\n`,
    );
  };
  let shown = '';
  const showIfChanged = () => {
    const key = pictureKey(pool);
    if (key === shown) return;
    shown = key;
    out.write(
      args.json ? `${JSON.stringify({ type: 'status', ...snapshotJson(args, pool) })}\n` : `\n${table()}\n\n`,
    );
  };
  onClusterEvents(pool, (event) => {
    events.push(event);
    if (terminal) return redraw();
    out.write(
      args.json
        ? `${JSON.stringify({ type: 'event', at: event.at.toISOString(), name: event.name, text: event.text })}\n`
        : `${clock(event.at)}  ${event.text}\n`,
    );
  });
  if (terminal) redraw();
  else showIfChanged();
  const timer = setInterval(() => (terminal ? redraw() : showIfChanged()), args.intervalMs);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: StatusArgs;
  try {
    args = parseStatusArgs(argv, process.env);
  } catch (error) {
    if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
      process.stdout.write(`${USAGE}\n`);
      return argv.length === 0 ? 1 : 0;
    }
    const message = error instanceof UsageError || error instanceof TypeError ? error.message : String(error);
    process.stderr.write(`${message}\n\n${USAGE}\n`);
    return 1;
  }
  try {
    return await status(args, process.stdout);
  } catch (error) {
    process.stderr.write(`failover-pool status: ${(error as Error).message}\n`);
    return 1;
  }
}
