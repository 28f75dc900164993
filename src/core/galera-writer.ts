import type { ExclusionReason, GaleraState } from './node';
import type { NodeHealth } from './topology';

/**
 * The writer of a Galera cluster. Every node of the Primary component takes writes, but writes sent
 * to two nodes at once collide at COMMIT (certification failures, reported as deadlocks), so the
 * pool sends them to one, and every app instance must pick the same one without talking to the
 * others. The rule (docs/galera.md):
 *
 * 1. A node is usable when it answers its probes, no query failed on it since its last probe, and it
 *    says it is in the Primary component, Synced and ready (and not read-only).
 * 2. The writer is the usable node that started first: the oldest `wsrep_gcomm_uuid`. Galera makes
 *    that UUID when the node starts (a version-1 UUID: it holds its creation time), and every member
 *    reports each node's the same way. A node started afresh gets a newer one; a node that was cut
 *    off, or crashed and kept its gvwstate.dat, comes back with the old one (and may take the writes
 *    back).
 *
 * It is a function of what the nodes report now, with no memory of this instance's own: an earlier
 * version kept the current writer while it stayed usable, and two pools then disagreed for good
 * after one of them saw the writer Donor/Desynced for a moment (a joiner's state transfer) and the
 * other did not. Stateless, every instance comes to the same writer once their probes agree.
 *
 * Nodes outside the Primary component are never used: with no Primary component at all (no quorum)
 * there is no writer, and writes wait until an operator bootstraps one.
 */

/** The nodes are Galera nodes: some node's probe carried a wsrep state. */
export function isGaleraCluster(states: readonly NodeHealth[]): boolean {
  return states.some((s) => s.probe?.galera !== undefined);
}

export interface GaleraChoice {
  readonly writer: NodeHealth | undefined;
  /** Why a node that answers is not used at all (neither writer nor a usable member). */
  readonly exclusionOf: (state: NodeHealth) => ExclusionReason | undefined;
}

/**
 * The writer among `states`. While a query has just failed on the node the rule picks (suspect) and
 * no probe has answered since, there is no writer: moving on one failed query would put this
 * instance on another writer than the instances that did not see it fail.
 */
export function chooseGaleraWriter(states: readonly NodeHealth[]): GaleraChoice {
  const first = [...states.filter(saysUsable)].sort(byStart)[0];
  return { writer: first?.suspect ? undefined : first, exclusionOf: galeraExclusion };
}

/** Its last probe answered, and said Primary, Synced, ready and not read-only. */
function saysUsable(state: NodeHealth): boolean {
  return state.healthy && state.probe?.galera?.usable === true && state.probe.writable;
}

function galeraExclusion(state: NodeHealth): ExclusionReason | undefined {
  const galera = state.healthy ? state.probe?.galera : undefined;
  if (!galera) return undefined;
  if (galera.clusterStatus !== 'Primary') return 'non-primary-component';
  return galera.usable ? undefined : 'not-synced';
}

/**
 * The node that started first, by the creation time in its version-1 UUID; then by the UUID itself,
 * and a node that reports none (it should) last, by name, so that the order is the same for every
 * instance.
 */
function byStart(a: NodeHealth, b: NodeHealth): number {
  const [ta, tb] = [startedAt(a.probe?.galera), startedAt(b.probe?.galera)];
  if (ta !== tb) return ta === undefined ? 1 : tb === undefined ? -1 : ta < tb ? -1 : 1;
  return compare(uuidOf(a.probe?.galera), uuidOf(b.probe?.galera)) || compare(a.address.name, b.address.name);
}

/** The 60-bit creation time of a version-1 UUID (`tttttttt-mmmm-1hhh-...`); undefined for another. */
export function startedAt(galera: GaleraState | undefined): bigint | undefined {
  const match = /^([0-9a-f]{8})-([0-9a-f]{4})-1([0-9a-f]{3})-/i.exec(galera?.nodeUuid ?? '');
  if (!match) return undefined;
  const [, low, mid, high] = match as unknown as [string, string, string, string];
  return BigInt(`0x${high}${mid}${low}`);
}

function uuidOf(galera: GaleraState | undefined): string {
  // '~' sorts after every hexadecimal digit and '-'.
  return galera?.nodeUuid?.toLowerCase() ?? '~';
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
