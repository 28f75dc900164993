#!/usr/bin/env node
// `npx failover-pool status ...`: see src/cli/main.ts (built into dist/cli.js).
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
