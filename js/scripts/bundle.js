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
// use of a name that is not ASCII, from ../src/ relative to dist/). And out of
// dist/cli.mjs and dist/conformance.mjs: the library itself (below).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// dist/stableport.mjs is the library (exports "."), dist/cli.mjs the command
// (bin/stableport-js.js), dist/conformance.mjs the conformance protocol
// (conformance.js; not published, built from the same sources the same way).
// The library's code is in dist/stableport.mjs only: the command and the
// protocol import what they use of it from ./stableport.mjs, so the package
// ships one copy, and a process running both (the command, say, loading the
// configuration the library also reads) has one set of its classes and state.
const LIBRARY = 'src/index.js';
const SIBLINGS = {
  cli: 'src/cli.js',
  conformance: 'src/protocol.js',
};
// The export of dist/stableport.mjs through which the siblings reach the
// library's modules: a function giving, by module path, the names each
// exports. Not part of the API (src/index.d.ts leaves it out).
const INTERNALS = '__internals';

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node18',
  // Readable output (no minification): a stack trace names the source's functions.
  minify: false,
  legalComments: 'inline',
  write: false,
  logLevel: 'warning',
};

// The library's modules: everything src/index.js bundles.
const library = await build({ ...common, entryPoints: [LIBRARY], outdir: 'dist', metafile: true });
const libraryInputs = new Set(Object.keys(library.metafile.inputs));

// The siblings, each import of a library module replaced by the same names
// taken from the library's copy of that module (recorded in `shared`).
const shared = new Set();
const exported = new Map();
const siblings = await build({
  ...common,
  entryPoints: Object.entries(SIBLINGS).map(([out, input]) => ({ out, in: input })),
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  metafile: true,
  plugins: [
    {
      name: 'library-from-stableport.mjs',
      setup(plugin) {
        // One import of the library for all of them (esbuild repeats an external import per module).
        plugin.onResolve({ filter: /^library:internals$/ }, () => ({ path: 'internals', namespace: 'library' }));
        plugin.onResolve({ filter: /^\.\.?\// }, (args) => {
          if (args.namespace === 'library') return { path: './stableport.mjs', external: true };
          const path = relative(root, resolve(args.resolveDir, args.path)).split(sep).join('/');
          if (!libraryInputs.has(path)) return undefined;
          shared.add(path);
          return { path, namespace: 'library' };
        });
        plugin.onLoad({ filter: /./, namespace: 'library' }, async (args) => {
          const contents = args.path === 'internals'
            ? `import { ${INTERNALS} } from './stableport.mjs';\nexport default ${INTERNALS}();\n`
            : `import internals from 'library:internals';\n`
              + `export const { ${(await exportsOf(args.path)).join(', ')} } = internals[${JSON.stringify(args.path)}];\n`;
          return { contents, resolveDir: join(root, 'dist') };
        });
      },
    },
  ],
});
for (const input of Object.keys(siblings.metafile.inputs)) {
  if (libraryInputs.has(input)) throw new Error(`${input} was bundled again beside the library`);
}

// The library once more, now exporting the modules the siblings share: a
// function, so that a plain import of the library builds none of it.
const modules = await Promise.all([...shared].sort().map(async (path, index) => {
  const names = await exportsOf(path);
  return { path, names, alias: (name) => `${name} as module${index}_${name}`, local: (name) => `${name}: module${index}_${name}` };
}));
const entry = [
  `export * from './${LIBRARY}';`,
  ...modules.map(({ path, names, alias }) => `import { ${names.map(alias).join(', ')} } from './${path}';`),
  `export const ${INTERNALS} = () => ({`,
  ...modules.map(({ path, names, local }) => `  ${JSON.stringify(path)}: { ${names.map(local).join(', ')} },`),
  '});',
].join('\n');
const libraryWithInternals = await build({
  ...common,
  stdin: { contents: entry, resolveDir: root, sourcefile: 'stableport.mjs', loader: 'js' },
  outfile: 'dist/stableport.mjs',
});

/** The names a module exports, as esbuild reads them (once a module). */
function exportsOf(path) {
  if (!exported.has(path)) {
    exported.set(path, build({ ...common, bundle: false, entryPoints: [path], outdir: 'dist', metafile: true })
      .then((alone) => Object.values(alone.metafile.outputs)[0].exports));
  }
  return exported.get(path);
}

const check = process.argv.includes('--check');
let stale = 0;
for (const file of [...libraryWithInternals.outputFiles, ...siblings.outputFiles]) {
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
