// Names (docs/algorithm.md section 1): validation and normalization of
// service, environment and namespace names, as the Python library's
// normalize_name does, with case folding and categories from one Unicode
// version (src/unicode-data.json) and NFC from the platform.

import { createRequire } from 'node:module';
import { InvalidNameError, InvalidTypeError, excerpt, pyrepr } from './errors.js';

// The version of src/unicode-data.json, which scripts/unicode.js checks; the
// table itself is read only for a name that is not plain ASCII.
export const UNICODE_VERSION = '15.1';
export const MAX_NAME_LENGTH = 128;
export const RESERVED_CHARACTERS = '@=,';

// Python's str.strip() whitespace: Zs, and bidirectional classes WS, B and S.
const WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000,
  0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028,
  0x2029, 0x202f, 0x205f, 0x3000,
]);

// A name of these alone (the common case) needs no table: its folding is
// lowercasing A-Z, NFC leaves it as it is, and its only rejected code points
// are the controls.
const PLAIN = /^[\x20-\x7e]*$/;

let rejectedRanges; // [first, last, first, last, ...], decoded on first use
let folding; // Map of code point -> its full folding, as a string

const require = createRequire(import.meta.url);
function tables() {
  if (rejectedRanges === undefined) {
    // Through ../src/: the same file from src/names.js and from the bundle in
    // dist/, which leaves the table out (read only by a name that is not ASCII).
    const data = require('../src/unicode-data.json');
    if (data.version !== UNICODE_VERSION) {
      throw new Error(`src/unicode-data.json holds Unicode ${data.version}, names.js says ${UNICODE_VERSION}: run npm run unicode`);
    }
    rejectedRanges = data.rejected.split(',').flatMap((pair) => pair.split(' ').map((n) => parseInt(n, 36)));
    folding = new Map();
    for (const entry of data.folding.split(',')) {
      const [codePoint, ...target] = entry.split(' ').map((n) => parseInt(n, 36));
      folding.set(codePoint, String.fromCodePoint(...target));
    }
  }
}

/** Why codePoint may not be in a name (Python's category words), or null. */
function rejection(codePoint) {
  if (codePoint <= 0x1f || (codePoint >= 0x7f && codePoint <= 0x9f)) return 'a control character';
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return 'a surrogate';
  if (codePoint === 0x2028) return 'a line separator';
  if (codePoint === 0x2029) return 'a paragraph separator';
  if (codePoint < 0x80) return null;
  tables();
  // Binary search over the ranges.
  let low = 0;
  let high = rejectedRanges.length / 2 - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (codePoint < rejectedRanges[2 * middle]) high = middle - 1;
    else if (codePoint > rejectedRanges[2 * middle + 1]) low = middle + 1;
    else return isFormat(codePoint) ? 'an invisible format character' : 'unassigned';
  }
  return null;
}

// Cf among the rejected: what the message calls it (the kind is the same either way).
const isFormat = (codePoint) =>
  codePoint === 0xad || (codePoint >= 0x600 && codePoint <= 0x605) || codePoint === 0x61c ||
  codePoint === 0x6dd || codePoint === 0x70f || codePoint === 0x180e ||
  (codePoint >= 0x200b && codePoint <= 0x200f) || (codePoint >= 0x202a && codePoint <= 0x202e) ||
  (codePoint >= 0x2060 && codePoint <= 0x206f) || codePoint === 0xfeff ||
  (codePoint >= 0xfff9 && codePoint <= 0xfffb) || (codePoint >= 0xe0000 && codePoint <= 0xe007f);

function casefold(text) {
  tables();
  let out = '';
  for (const char of text) out += folding.get(char.codePointAt(0)) ?? char;
  return out;
}

// JavaScript's typeof, said as Python names a type, for InvalidTypeError.
const typeName = (value) =>
  value === null || value === undefined ? 'NoneType' : Array.isArray(value) ? 'list' : typeof value;

/**
 * The canonical form of a name (NFC of the case folding of its NFC), or an
 * InvalidNameError naming the value, what kind of name it is and where it came from.
 */
export function normalizeName(value, kind = 'service name', where = '') {
  const origin = where ? ` (from ${where})` : '';
  if (typeof value !== 'string') {
    throw new InvalidTypeError(`${kind} must be a str, not ${typeName(value)}: ${excerpt(value)}${origin}`);
  }
  if (PLAIN.test(value)) {
    // The fast path: the same checks, on ASCII.
    if (value.length > MAX_NAME_LENGTH) {
      throw new InvalidNameError(`${kind} ${excerpt(value)}${origin} is ${value.length} characters long; at most ${MAX_NAME_LENGTH} are allowed`);
    }
    if (!value) throw new InvalidNameError(`${kind} is empty${origin}; give at least one character`);
    if (value[0] === ' ' || value.at(-1) === ' ') {
      throw new InvalidNameError(`${kind} ${pyrepr(value)}${origin} has leading or trailing whitespace; remove it`);
    }
    const reserved = /[@=,]/.exec(value);
    if (reserved) throw reservedError(kind, value, origin, reserved[0]);
    return value.toLowerCase(); // ASCII: lowercasing is case folding
  }
  const codePoints = Array.from(value, (char) => char.codePointAt(0));
  if (codePoints.length > MAX_NAME_LENGTH) {
    throw new InvalidNameError(`${kind} ${excerpt(value)}${origin} is ${codePoints.length} characters long; at most ${MAX_NAME_LENGTH} are allowed`);
  }
  if (WHITESPACE.has(codePoints[0]) || WHITESPACE.has(codePoints.at(-1))) {
    throw new InvalidNameError(`${kind} ${pyrepr(value)}${origin} has leading or trailing whitespace; remove it`);
  }
  for (const codePoint of codePoints) {
    const char = String.fromCodePoint(codePoint);
    if (RESERVED_CHARACTERS.includes(char)) throw reservedError(kind, value, origin, char);
    const why = rejection(codePoint);
    if (why !== null) {
      const hex = codePoint.toString(16).toUpperCase().padStart(4, '0');
      throw new InvalidNameError(`${kind} ${pyrepr(value)}${origin} contains U+${hex}, ${why}; use printable characters`);
    }
  }
  const folded = casefold(value.normalize('NFC')).normalize('NFC');
  const length = Array.from(folded).length;
  if (length > MAX_NAME_LENGTH) {
    throw new InvalidNameError(`${kind} ${excerpt(value)}${origin} is ${length} characters long once casefolded; at most ${MAX_NAME_LENGTH} are allowed`);
  }
  return folded;
}

function reservedError(kind, value, origin, char) {
  return new InvalidNameError(
    `${kind} ${pyrepr(value)}${origin} contains ${pyrepr(char)}, which is reserved; names may not contain any of @ = ,`,
  );
}
