import type { PoolHealth } from '../core/health';
import type { NodeView } from '../core/node';
import type { Topology } from '../core/topology';

/** ANSI colours, or none (not a terminal, or NO_COLOR set). */
export interface Paint {
  readonly good: (text: string) => string;
  readonly bad: (text: string) => string;
  readonly dim: (text: string) => string;
}

export function paintFor(colour: boolean): Paint {
  const wrap = (code: number) => (text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { good: wrap(32), bad: wrap(31), dim: wrap(2) };
}

const HEADERS = ['NODE', 'ROLE', 'HEALTHY', 'WRITABLE', 'LAG', 'GENERATION', 'POSITION', 'NOTE'] as const;

/** The cluster as a table, then where writes go and why (or why not). */
export function renderStatus(engine: string, topology: Topology, health: PoolHealth, paint: Paint): string {
  const rows = topology.nodes.map((node) => cells(node, topology.primary));
  const widths = HEADERS.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] as string).length)),
  );
  const line = (row: readonly string[], colourOf?: (i: number, text: string) => string) =>
    `  ${row
      .map((cell, i) => {
        const padded = i === row.length - 1 ? cell : cell.padEnd(widths[i] as number);
        return colourOf ? colourOf(i, padded) : padded;
      })
      .join('  ')
      .trimEnd()}`;
  const colourCell = (i: number, text: string) =>
    i === 2 ? (text.startsWith('yes') ? paint.good(text) : paint.bad(text)) : text;
  const identity = topology.identity === undefined ? '' : `, cluster ${topology.identity}`;
  const writes = health.writable
    ? paint.good(`writes go to ${health.primary}: the one writable node of the newest generation`)
    : paint.bad(`no writes: ${health.message}`);
  return [
    `${engine}, ${topology.nodes.length} nodes, as failover-pool sees them from here${identity}`,
    paint.dim(line(HEADERS)),
    ...rows.map((row) => line(row, colourCell)),
    '',
    `  ${writes}`,
  ].join('\n');
}

function cells(node: NodeView, primary: string | null): string[] {
  return [
    node.name,
    node.role,
    node.healthy ? 'yes' : 'no',
    node.writable ? 'yes' : 'no',
    lagOf(node, primary),
    node.generation === undefined ? '-' : String(node.generation),
    node.position ?? '-',
    noteOf(node),
  ];
}

function lagOf(node: NodeView, primary: string | null): string {
  if (node.name === primary) return '-';
  const parts: string[] = [];
  if (node.lagBytes !== undefined) parts.push(`${node.lagBytes} B`);
  if (node.lagMs !== undefined) parts.push(`${node.lagMs} ms`);
  return parts.length ? parts.join(', ') : '-';
}

function noteOf(node: NodeView): string {
  if (!node.healthy) return `down: ${node.lastError ?? 'no answer'}`;
  if (node.excluded) return `not used: ${node.excluded}`;
  const link = node.replication;
  if (!link) return '';
  const source = link.sourceHost
    ? ` from ${link.sourceHost}${link.sourcePort ? `:${link.sourcePort}` : ''}`
    : '';
  return link.receiving ? `receiving${source}` : `not receiving${source}`;
}
