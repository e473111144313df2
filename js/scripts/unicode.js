// Writes src/unicode-data.json, the Unicode data the names rule needs
// (docs/algorithm.md section 1), from the pinned @unicode/unicode-15.1.0
// package (a development dependency, 36 MB): full case folding (the C and F
// mappings) and the code points a name may not hold (Cc, Cf, Cs, Cn, Zl, Zp).
// The generated table is a few tens of kilobytes and ships in the package, so
// installing stableport downloads no Unicode database.
//
//   npm run unicode            write it
//   node scripts/unicode.js --check   exit 1 if the checked-in table differs
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const VERSION = '15.1.0';
const base = `@unicode/unicode-${VERSION}`;
const load = async (path) => (await import(`${base}/${path}`)).default;

const foldC = await load('Case_Folding/C/code-points.mjs');
const foldF = await load('Case_Folding/F/code-points.mjs');
const categories = ['Control', 'Format', 'Surrogate', 'Unassigned', 'Line_Separator', 'Paragraph_Separator'];

// Every rejected code point's range, merged: [first, last] inclusive.
const spans = [];
for (const category of categories) {
  for (const range of await load(`General_Category/${category}/ranges.mjs`)) {
    spans.push([range.begin, range.end - 1]);
  }
}
spans.sort((a, b) => a[0] - b[0]);
const merged = [];
for (const [first, last] of spans) {
  const top = merged.at(-1);
  if (top && first <= top[1] + 1) top[1] = Math.max(top[1], last);
  else merged.push([first, last]);
}

// Full case folding: F where there is one, else C.
const folding = new Map(foldC);
for (const [codePoint, target] of foldF) folding.set(codePoint, target);
const entries = [...folding].sort((a, b) => a[0] - b[0]).map(([codePoint, target]) => {
  const targets = Array.isArray(target) ? target : [target];
  return [codePoint, ...targets].map((value) => value.toString(36)).join(' ');
});

// JSON, not a module: names.js requires it on the first name that is not
// plain ASCII, so a lookup of an ASCII name never reads or parses it.
const text = `${JSON.stringify({
  generated: `by scripts/unicode.js from @unicode/unicode-${VERSION}: do not edit`,
  version: VERSION.split('.').slice(0, 2).join('.'),
  // The code points a name may not hold (Cc Cf Cs Cn Zl Zp), as inclusive
  // ranges: base-36 first and last, pairs separated by commas.
  rejected: merged.map(([a, b]) => `${a.toString(36)} ${b.toString(36)}`).join(','),
  // Full case folding (C and F): base-36 code point, then its folding's code
  // points, entries separated by commas.
  folding: entries.join(','),
}, null, 1)}\n`;

const target = fileURLToPath(new URL('../src/unicode-data.json', import.meta.url));
// names.js states the version without reading the table.
const names = readFileSync(new URL('../src/names.js', import.meta.url), 'utf8');
const stated = names.includes(`export const UNICODE_VERSION = '${VERSION.split('.').slice(0, 2).join('.')}';`);
if (!stated) console.error(`src/names.js's UNICODE_VERSION is not ${VERSION}'s`);
if (process.argv.includes('--check')) {
  const same = readFileSync(target, 'utf8') === text;
  if (!same) console.error('src/unicode-data.json differs from what scripts/unicode.js writes');
  process.exit(same && stated ? 0 : 1);
} else {
  writeFileSync(target, text);
}
