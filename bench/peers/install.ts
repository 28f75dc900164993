import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { node22PeersMissing, PEER_PACKAGES, PEERS_DIR } from './paths';

/**
 * Installs the peers that need Node 22 into bench/.peers, a folder of its own
 * with its own package.json, so none of them becomes a dependency of failover-pool.
 */
export function installPeers(): void {
  mkdirSync(PEERS_DIR, { recursive: true });
  writeFileSync(
    join(PEERS_DIR, 'package.json'),
    `${JSON.stringify({ name: 'failover-pool-bench-peers', private: true, description: 'Installed by bench/peers/install.ts; git-ignored.' }, null, 2)}\n`,
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--no-save', ...PEER_PACKAGES], {
    cwd: PEERS_DIR,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`npm install in ${PEERS_DIR} failed (exit ${result.status}).`);
  const missing = node22PeersMissing();
  if (missing) throw new Error(`Installed, but the peers are still missing: ${missing}`);
}

// Run directly (`npx tsx bench/peers/install.ts`) it installs; `npm run bench:failover` also calls it when needed.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  installPeers();
  console.log(`Peers installed in ${PEERS_DIR}: ${PEER_PACKAGES.join(', ')}`);
}
