import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A fresh directory holding files (path -> text). */
export function tree(files = {}) {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'stableport-js-')));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** The variables of this process without any STABLEPORT_* one, plus extra. */
export function clean(extra = {}) {
  const variables = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('STABLEPORT_')));
  return { ...variables, ...extra };
}
