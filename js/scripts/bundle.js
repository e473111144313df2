#!/usr/bin/env node
// Builds dist/ from src/ with esbuild (a pinned devDependency): what the
// package's exports and bin run. src/ stays the readable truth; dist/ is
// committed, so `npm pack` and a fresh clone need no build step.
//
//   node scripts/bundle.js          write dist/
//   node scripts/bundle.js --check  fail when dist/ is not what src/ builds (npm test)
//
// Why a bundle: Node's ES module loader reads, resolves and links each module
// (about 0.5 to 0.7 ms each on a loaded 2-core machine, 13 on the lookup path),
// and smol-toml's CommonJS build cost about 3 ms more to require; one module
// holding both costs one load (benchmarks/README.md, JavaScript).
//
// Kept out: the native XXH3 addon (required at run time, as src/hash.js does),
// cross-spawn (required by the CLI), and src/unicode-data.json (read on first
// use of a name that is not ASCII, from ../src/ relative to either file).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// dist/stableport.mjs is the library (exports "."), dist/cli.mjs the command
// (bin/stableport-js.js), dist/conformance.mjs the conformance protocol
// (conformance.js; not published, built from the same sources the same way).
const ENTRIES = {
  stableport: 'src/index.js',
  cli: 'src/cli.js',
  conformance: 'src/protocol.js',
};

const result = await build({
  absWorkingDir: root,
  entryPoints: Object.entries(ENTRIES).map(([out, input]) => ({ out, in: input })),
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node18',
  // Readable output (no minification): a stack trace names the source's functions.
  minify: false,
  legalComments: 'inline',
  write: false,
  logLevel: 'warning',
});

const check = process.argv.includes('--check');
let stale = 0;
for (const file of result.outputFiles) {
  const name = relative(root, file.path);
  if (check) {
    let current = null;
    try {
      current = readFileSync(file.path, 'utf8');
    } catch {
      // missing: stale
    }
    if (current !== file.text) {
      stale += 1;
      console.error(`${name} is not what src/ builds: run npm run bundle and commit dist/`);
    }
  } else {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.text);
    console.log(`wrote ${name} (${file.text.length} bytes)`);
  }
}
process.exitCode = stale ? 1 : 0;
