// The errors, one class per kind of docs/algorithm.md section 7, named as the
// Python library names them (error.name is the kind the conformance corpus
// writes). A ConfigError whose cause is another StableportError has it as
// error.cause, as Python's has it as __cause__.

export class StableportError extends Error {
  get name() {
    return this.constructor.name;
  }

  // The kind the corpus names: a ConfigError reports its cause's (tests/vectors/reference.py).
  get kind() {
    return this instanceof ConfigError && this.cause instanceof StableportError
      ? this.cause.name
      : this.name;
  }
}

export class InvalidNameError extends StableportError {}
export class InvalidTypeError extends StableportError {}
export class PortRangeError extends StableportError {}
export class RangeExhaustedError extends PortRangeError {}
export class PinConflictError extends StableportError {}
export class UnknownServiceError extends StableportError {}
export class AlgorithmVersionError extends StableportError {}
export class HashFunctionError extends StableportError {}
export class InstanceError extends StableportError {}
export class ConfigError extends StableportError {}

// -- quoting values in messages, as the Python library does -----------------

const EXCERPT_LENGTH = 60;
const PATH_LENGTH = 240;

// What Python's str.isprintable() refuses: other (C*) and separators but the space.
const UNPRINTABLE = /[\p{C}\p{Z}]/u;

function escape(char) {
  const code = char.codePointAt(0);
  const named = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }[char];
  if (named) return named;
  if (char === ' ' || !UNPRINTABLE.test(char)) return char;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

/** Python's repr() of a string: quoted, escapes for what does not print. */
export function pyrepr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = '';
  for (const char of text) body += char === quote ? `\\${char}` : escape(char);
  return `${quote}${body}${quote}`;
}

/** A value as a message quotes it: repr-like, bounded, one line. */
export function excerpt(value) {
  if (typeof value === 'string') {
    const chars = Array.from(value);
    if (chars.length <= EXCERPT_LENGTH) return pyrepr(value);
    // reprlib's cut: the start and the end, joined by "...".
    const head = Math.floor((EXCERPT_LENGTH - 3) / 2);
    const tail = EXCERPT_LENGTH - 3 - head;
    const quoted = pyrepr(chars.slice(0, head).join('') + chars.slice(-tail).join(''));
    const inner = Array.from(quoted);
    return inner.slice(0, head).join('') + '...' + inner.slice(-tail).join('');
  }
  if (typeof value === 'bigint' || typeof value === 'number') {
    const text = String(value);
    return text.length > 40 ? `<an integer of about ${text.length} digits>` : text;
  }
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null || value === undefined) return 'None';
  if (value.constructor?.name === 'TomlFloat') return String(value);
  let text;
  try {
    text = JSON.stringify(value, (_, item) => (typeof item === 'bigint' ? Number(item) : item));
  } catch {
    text = String(value);
  }
  text = text ?? String(value);
  return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH - 3)}...` : text;
}

/** A path as a message shows it: as is, or quoted if it needs escapes or is long. */
export function shown(path, { quoted = false } = {}) {
  const chars = Array.from(path);
  const printable = !/[\p{C}\p{Z}]/u.test(path.replaceAll(' ', ''));
  if (printable && chars.length <= PATH_LENGTH && !quoted) return path;
  if (chars.length <= PATH_LENGTH) return pyrepr(path);
  const half = PATH_LENGTH / 2;
  return `${pyrepr(chars.slice(0, half).join(''))}...${pyrepr(chars.slice(-half).join(''))}`;
}
