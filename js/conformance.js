#!/usr/bin/env node
// The package behind the conformance runner's protocol (tests/vectors/README.md):
//
//   python tests/vectors/runner.py --impl "node js/conformance.js"
//
// Each layer is answered by the code the package runs: its hash, jump, names,
// PortMap, and (the config layer) load() in a file tree the runner made, as
// bundled by scripts/bundle.js (dist/conformance.mjs: src/protocol.js built
// the way dist/stableport.mjs is).
import { createInterface } from 'node:readline';
import { answer } from './dist/conformance.mjs';

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  process.stdout.write(`${JSON.stringify(answer(JSON.parse(line)))}\n`);
}
