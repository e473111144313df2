#!/usr/bin/env node
// stableport-js NAME | stableport-js run NAME -- COMMAND: see src/cli.js (bundled in dist/cli.mjs by scripts/bundle.js).
import { main } from '../dist/cli.mjs';

const status = await main();
if (typeof status === 'object' && status !== null) {
  // The command died of a signal: so does this process, as a shell would report it.
  process.kill(process.pid, status.signal);
} else {
  process.exitCode = status;
}
