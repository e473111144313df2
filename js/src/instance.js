// The checkout's instance (docs/instances.md, "When a checkout is given an
// instance" and "Choosing the identity"): --instance, else
// $STABLEPORT_INSTANCE, else the checkout's own .stableport-instance beside
// the configuration, else, in a linked git worktree of a project that
// declares instances (and not in CI), one given on first use; else none (the
// plain map). One place for the identity rule, as the Python library's
// apply_instance, read_identity and _checkout_identity.

import { closeSync, constants, lstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError, excerpt, shown } from './errors.js';
import { readBytes } from './files.js';
import { MAX_INSTANCES } from './defaults.js';
import { pythonStrip } from './text.js';

export const INSTANCE_VARIABLE = 'STABLEPORT_INSTANCE';
export const INSTANCE_FILE_NAME = '.stableport-instance';
// The line after the number naming the checkout an identity was made for (a JSON string).
const MADE_FOR = 'for: ';
// node:child_process loads Node's streams, net and dgram (about 3 ms): only a
// worktree's first use runs a command, so only it pays for them.
const require = createRequire(import.meta.url);
// What may surround an identity's digits: ASCII white space only, in every implementation.
const SPACE = ' \t\n\r\f\v';
const stripSpace = (text) => {
  let start = 0;
  let end = text.length;
  while (start < end && SPACE.includes(text[start])) start += 1;
  while (end > start && SPACE.includes(text[end - 1])) end -= 1;
  return text.slice(start, end);
};

/** An identity file that is there but cannot be read: whose it is cannot be told. */
export class UnreadableIdentityError extends ConfigError {}

const lexists = (path) => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

/**
 * The instance chosen for a configuration: {number, source}, or null for the
 * plain map. inputs.instances is the room the configuration declares; label
 * names the configuration in messages.
 */
export function instanceOf({ option = null, variables, configPath, inputs, label }) {
  let value = option === null ? null : String(option);
  let source = '--instance';
  if (value === null && variables[INSTANCE_VARIABLE] !== undefined) {
    [value, source] = [variables[INSTANCE_VARIABLE], INSTANCE_VARIABLE];
  }
  const room = inputs.instances ?? 0;
  if (value === null && configPath !== null) {
    [value, source] = checkoutIdentity(configPath, room, variables);
  }
  if (value === null) return null;
  return { number: checkedInstance(value, source, room, label), source };
}

function checkedInstance(value, source, room, label) {
  const number = parseInstance(value, source);
  if (number > room) {
    throw new ConfigError(room
      ? `instance ${number} (from ${source}) is beyond instances = ${room} in ${label}; instances are 1 to ${room} (0: the plain map). Raise instances, or run stableport instance new for a free one`
      : `instance ${number} (from ${source}) needs room: ${label} declares no instances; add instances = N (N >= ${number}) to it, or remove ${source}`);
  }
  return number;
}

/** An instance identity as written: a decimal 0-1000, ASCII space around it allowed. */
export function parseInstance(value, source) {
  const text = stripSpace(value);
  if (!/^[0-9]+$/.test(text) || text.length > String(MAX_INSTANCES).length + 2) {
    throw new ConfigError(`instance ${excerpt(value)} (from ${source}) is not a whole number; write one from 0 (the plain map) to ${MAX_INSTANCES}`);
  }
  const number = Number(text);
  if (number > MAX_INSTANCES) throw new ConfigError(`instance ${number} (from ${source}) is above ${MAX_INSTANCES}, the most there are`);
  return number;
}

/** The checkout's instance as text and its source: its file's, else one given it now, else [null, '']. */
function checkoutIdentity(configPath, room, variables) {
  const path = join(dirname(configPath), INSTANCE_FILE_NAME);
  const found = readIdentity(path);
  const original = found === null ? null : copiedFrom(found, path);
  if (found !== null && original === null) return [found.value, shown(path)];
  if (!room) return found === null ? [null, ''] : [found.value, shown(path)];
  let ci = variables.CI;
  if (ci !== undefined && ['', '0', 'false', 'no'].includes(pythonStrip(ci).toLowerCase())) ci = undefined;
  const refused = !linkedWorktree(dirname(configPath))
    ? 'it is not in a linked git worktree'
    : ci === undefined ? null : `CI=${ci} is set`;
  if (refused !== null) {
    if (original === null) return [null, ''];
    throw new ConfigError(
      `${shown(path)} was made for ${shown(original)}, which still exists: this checkout is a copy of it and would get its ports. It is given no instance of its own here (${refused}): remove the file for the plain map, or set ${INSTANCE_VARIABLE}`,
    );
  }
  return firstUse(configPath, path, room, variables);
}

/**
 * A linked worktree without an identity of its own is given one on first use:
 * the lowest number no other checkout holds, chosen under git's common
 * directory's lock with git's list of worktrees and the live runs' claims.
 * That is the Python command line's one implementation; the package runs it
 * (`stableport instance`) and reads the file it wrote. Without it, an error:
 * never the plain map's ports, which are the main checkout's.
 */
function firstUse(configPath, path, room, variables) {
  const environment = { ...variables };
  delete environment[INSTANCE_VARIABLE];
  const { spawnSync } = require('node:child_process');
  const result = spawnSync('stableport', ['instance', '--config', configPath], {
    env: environment, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8',
  });
  const directory = shown(dirname(configPath));
  if (result.error) {
    throw new ConfigError(
      `${directory} is a git worktree with no instance of its own, in a project that declares instances = ${room}: the stableport command (Python) gives it one on first use, and is not on PATH (${result.error.code}); run stableport instance new there once, or set ${INSTANCE_VARIABLE}=N`,
    );
  }
  // Its notes (the instance given, or why none could be) are the user's to see.
  if (result.stderr) process.stderr.write(result.stderr);
  if (result.status !== 0) {
    throw new ConfigError(`${directory}: stableport instance, giving this worktree an instance, failed: ${result.stderr.trim()}`);
  }
  const found = readIdentity(path);
  if (found === null || copiedFrom(found, path) !== null) return [null, '']; // read-only: the plain map, as noted
  return [found.value, shown(path)];
}

/** The identity file at path: {value, madeFor}, or null when there is none. */
export function readIdentity(path) {
  const text = identityText(path);
  if (text === null) return null;
  let start = 0;
  while (start < text.length && SPACE.includes(text[start])) start += 1;
  const body = text.slice(start);
  const newline = body.indexOf('\n');
  const value = newline < 0 ? body : body.slice(0, newline);
  const rest = newline < 0 ? '' : body.slice(newline + 1);
  let madeFor = null;
  for (const line of rest.split('\n')) {
    if (!stripSpace(line)) continue;
    if (line.startsWith(MADE_FOR) && madeFor === null) {
      try {
        madeFor = JSON.parse(line.slice(MADE_FOR.length).replace(/[ \t\n\r\f\v]+$/, ''));
      } catch {
        madeFor = null;
      }
      if (typeof madeFor === 'string' && isAbsolute(madeFor)) continue;
    }
    throw new ConfigError(
      `${shown(path)}: ${excerpt(line)} is not a line of an identity file, which holds the instance on its first line and at most a line ${MADE_FOR}"DIR"; remove the file, and run stableport instance new`,
    );
  }
  return { value, madeFor };
}

/** The text of the identity file at path, or null: only a regular file, never waited on. */
function identityText(path) {
  try {
    lstatSync(path);
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
    throw new UnreadableIdentityError(`cannot read ${shown(path, { quoted: true })}: ${error.message}`);
  }
  let descriptor;
  try {
    descriptor = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (error.code === 'ENOENT') {
      if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) readBytes(path); // names its target
      return null;
    }
    throw new UnreadableIdentityError(`cannot read ${shown(path, { quoted: true })}: ${error.message}`);
  }
  closeSync(descriptor);
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(readBytes(path));
}

/** The checkout an identity was made for, if another that still exists: a copy's. */
function copiedFrom(found, path) {
  if (found.madeFor === null) return null;
  let here;
  try {
    here = realpathSync(dirname(path));
  } catch {
    here = resolve(dirname(path));
  }
  if (here === found.madeFor || !lexists(found.madeFor)) return null;
  return found.madeFor;
}

/** Whether directory is in a linked git worktree: its nearest .git a file naming one. */
export function linkedWorktree(directory) {
  const found = checkoutOf(directory);
  if (found === null || found.gitdir === null) return false;
  const gitdir = isAbsolute(found.gitdir) ? found.gitdir : `${found.top}/${found.gitdir}`;
  try {
    return statSync(join(gitdir, 'commondir')).isFile();
  } catch {
    return false;
  }
}

/** The git checkout directory is in: {top, gitdir} (gitdir null: a .git directory), or null. */
function checkoutOf(directory) {
  let folder = resolve(directory);
  for (;;) {
    const dotGit = join(folder, '.git');
    let stats = null;
    try {
      stats = statSync(dotGit);
    } catch { /* nothing there */ }
    if (stats?.isDirectory()) return { top: folder, gitdir: null };
    if (stats?.isFile()) {
      let head;
      try {
        const descriptor = openSync(dotGit, 'r');
        try {
          const buffer = Buffer.alloc(4096);
          head = buffer.subarray(0, readSync(descriptor, buffer, 0, 4096, 0));
        } finally {
          closeSync(descriptor);
        }
      } catch {
        return null;
      }
      const newline = head.indexOf(0x0a);
      const text = stripSpace((newline < 0 ? head : head.subarray(0, newline)).toString());
      if (!text.startsWith('gitdir:')) return null;
      return { top: folder, gitdir: pythonStrip(text.slice('gitdir:'.length)) };
    }
    const parent = dirname(folder);
    if (parent === folder) return null;
    folder = parent;
  }
}
