// Configuration files (docs/configuration.md, "Where the map comes from"):
// which one applies, reading it within bounds, and its TOML, as the Python
// library's _files.py does.

import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { ConfigError, InvalidTypeError, excerpt, shown } from './errors.js';

export const CONFIG_VARIABLE = 'STABLEPORT_CONFIG';
export const STANDALONE_NAME = 'stableport.toml';
export const PYPROJECT_NAME = 'pyproject.toml';
// Far above any real configuration (a few kilobytes), far below trouble.
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
// Arrays and tables nested deeper than this are an error, as in the Python library.
export const MAX_NESTING = 100;

const kilo = (n) => n.toLocaleString('en-US');

/**
 * The first stableport.toml, or pyproject.toml with [tool.stableport], from
 * start upward: [path, parsed document or null], or [null, null].
 */
export function discover(start) {
  let directory = resolve(start);
  for (;;) {
    const standalone = join(directory, STANDALONE_NAME);
    if (candidateExists(standalone)) return [standalone, null];
    const pyproject = join(directory, PYPROJECT_NAME);
    if (candidateExists(pyproject)) {
      const document = stableportDocument(pyproject);
      if (document !== null) return [pyproject, document];
    }
    const parent = dirname(directory);
    if (parent === directory) return [null, null];
    directory = parent;
  }
}

/** Whether something is at path (a dangling link too); an error other than "none" is named. */
export function candidateExists(path) {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return false;
    const passedOver = `; a configuration there would be passed over, so none is used: name one with --config or ${CONFIG_VARIABLE}`;
    throw new ConfigError(cannot('look for', path, error, passedOver));
  }
}

function cannot(doing, path, error, advice = '') {
  const where = `cannot ${doing} ${shown(path, { quoted: true })}`;
  if (!error.code || error.code === 'ERR_INVALID_ARG_VALUE' || error.code === 'ERR_INVALID_ARG_TYPE') {
    return `${where}: not a valid path (${error.message})`;
  }
  return `${where}: ${strerror(error)}${advice}`;
}

// The C library's words for an errno, as Python's OSError.strerror gives them.
const STRERROR = {
  EACCES: 'Permission denied', ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long', ENOENT: 'No such file or directory', ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory', EIO: 'Input/output error', EPERM: 'Operation not permitted',
  ENXIO: 'No such device or address',
};
const strerror = (error) => STRERROR[error.code] ?? error.code ?? error.message;

/** The working directory; a deleted one is a ConfigError. */
export function workingDirectory() {
  try {
    return process.cwd();
  } catch (error) {
    throw new ConfigError(
      `cannot look for a configuration from the working directory: ${strerror(error)} (was it deleted?); change to an existing directory or name a file with ${CONFIG_VARIABLE}`,
    );
  }
}

export function pathArgument(path) {
  if (typeof path === 'string') return path;
  if (path instanceof URL) return path.protocol === 'file:' ? decodeURIComponent(path.pathname) : String(path);
  if (Buffer.isBuffer(path)) return path.toString();
  throw new InvalidTypeError(`the configuration path must be a str, bytes or os.PathLike, not ${typeof path}: ${excerpt(path)}`);
}

function lexists(path) {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The file STABLEPORT_CONFIG names (relative to cwd), or a ConfigError quoting the value. */
export function namedByVariable(value, cwd = null) {
  const path = cwd === null || !value ? value : resolve(cwd, value);
  if (!value || !lexists(path)) {
    throw new ConfigError(
      `${CONFIG_VARIABLE}=${excerpt(value)} names no file; point it at a stableport.toml or a pyproject.toml with a [tool.stableport] table, or unset it`,
    );
  }
  return path;
}

/** False only if no TOML parser could find a [tool.stableport] table in data. */
export function mayHoldTable(data) {
  return ['stableport', '\\u', '\\U', '\\x'].some((needle) => data.includes(needle));
}

function stableportDocument(pyproject) {
  const data = readBytes(pyproject);
  if (!mayHoldTable(data)) return null;
  const document = parse(pyproject, data);
  const tool = document.tool;
  return isTable(tool) && Object.hasOwn(tool, 'stableport') ? document : null;
}

export const isTable = (value) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) &&
  !(value instanceof TomlFloat);

/** A TOML float: never an integer, whatever its value (8001.0 is no port). */
export class TomlFloat {
  constructor(value) {
    this.value = value;
  }

  toString() {
    return Number.isInteger(this.value) ? `${this.value}.0` : String(this.value);
  }
}

function floatsWrapped(value) {
  if (typeof value === 'number') return new TomlFloat(value);
  if (Array.isArray(value)) return value.map(floatsWrapped);
  if (isTable(value)) {
    for (const key of Object.keys(value)) value[key] = floatsWrapped(value[key]);
  }
  return value;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function parse(path, data = readBytes(path)) {
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
    throw new ConfigError(
      `${shown(path)}: starts with a UTF-8 byte order mark (BOM), which TOML does not allow; save the file as UTF-8 without a BOM`,
    );
  }
  let text;
  try {
    text = decoder.decode(data);
  } catch {
    throw new ConfigError(`${shown(path)}: not UTF-8 text (${invalidAt(data)})`);
  }
  const tooDeep = `${shown(path)}: arrays or tables are nested more than ${MAX_NESTING} levels deep`;
  let document;
  try {
    // Integers as BigInt: a TOML float 1.0 must not pass for the integer 1.
    document = parseToml(text, { integersAsBigInt: true });
  } catch (error) {
    if (/nested/.test(error.message)) throw new ConfigError(tooDeep);
    const first = String(error.message).split('\n')[0].replace(/^Invalid TOML document: /, '');
    const where = error.line ? ` (at line ${error.line}, column ${error.column})` : '';
    throw new ConfigError(`${shown(path)}: invalid TOML: ${first}${where}`);
  }
  if (nestingExceeds(document, MAX_NESTING)) throw new ConfigError(tooDeep);
  return floatsWrapped(document);
}

/** Whether an array or table lies more than most levels inside document (the top level: 0). */
function nestingExceeds(document, most) {
  const stack = [[document, 0]];
  while (stack.length) {
    const [value, level] = stack.pop();
    if (level > most) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (Array.isArray(child) || isTable(child)) stack.push([child, level + 1]);
    }
  }
  return false;
}

// Where the first byte that is not UTF-8 is, in Python's words.
function invalidAt(data) {
  // A decoder of its own: a streaming one keeps state, and the shared one must not.
  const streaming = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  for (let start = 0; start < data.length; start++) {
    try {
      streaming.decode(data.subarray(start, start + 1), { stream: true });
    } catch {
      return `invalid start byte at byte ${start}`;
    }
  }
  // Every byte decodes but the last character is cut short: where it starts.
  let start = data.length - 1;
  while (start > 0 && data.length - start < 4 && (data[start] & 0xc0) === 0x80) start -= 1;
  return `unexpected end of data at byte ${start}`;
}

/** The file's bytes: only a regular file, and at most MAX_CONFIG_BYTES of it. */
export function readBytes(path) {
  let descriptor;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat refuses it.
    descriptor = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (error.code === 'ENOENT') {
      let reason = 'No such file or directory';
      try {
        if (lstatSync(path).isSymbolicLink()) {
          reason = `it is a symbolic link to ${shown(readlinkSync(path), { quoted: true })}, which does not exist`;
        }
      } catch { /* not there at all */ }
      throw new ConfigError(`cannot read ${shown(path, { quoted: true })}: ${reason}`);
    }
    throw new ConfigError(cannot('read', path, error));
  }
  try {
    const stats = fstatSync(descriptor);
    if (!stats.isFile()) {
      throw new ConfigError(`cannot read ${shown(path, { quoted: true })}: it is ${fileKind(stats)}, not a regular file`);
    }
    const buffer = Buffer.alloc(Math.min(stats.size, MAX_CONFIG_BYTES) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) break;
      const read = readSync(descriptor, buffer, length, buffer.length - length, length);
      if (read === 0) break;
      length += read;
    }
    if (length > MAX_CONFIG_BYTES) {
      throw new ConfigError(
        `cannot read ${shown(path, { quoted: true })}: it is larger than ${kilo(MAX_CONFIG_BYTES)} bytes, the most stableport reads of a configuration file`,
      );
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(cannot('read', path, error));
  } finally {
    closeSync(descriptor);
  }
}

function fileKind(stats) {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'no regular file';
}

/** The settings table of path's document, and how messages name where it is. */
export function stableportTable(path, document) {
  let table;
  let where;
  if (basename(path) === PYPROJECT_NAME) {
    const tool = Object.hasOwn(document, 'tool') ? document.tool : {};
    table = isTable(tool) && Object.hasOwn(tool, 'stableport') ? tool.stableport : null;
    if (table === null) throw new ConfigError(`${shown(path)}: no [tool.stableport] table; add one or name another file`);
    where = '[tool.stableport]';
  } else {
    [table, where] = [document, 'the top level'];
  }
  if (!isTable(table)) throw new ConfigError(`${shown(path)}: ${where} must be a table of stableport settings`);
  return [table, where];
}
