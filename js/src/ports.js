// Port numbers, ranges, exclusions and pins, checked as the Python library
// checks them (_port_numbers.py, _pins.py), each mistake named as its source writes it.

import { InvalidTypeError, PinConflictError, PortRangeError, excerpt, pyrepr } from './errors.js';
import { normalizeName } from './names.js';

export const MIN_PORT = 1;
export const MAX_PORT = 65535;

// A TOML integer arrives as a BigInt (smol-toml, integersAsBigInt), a JavaScript one as a number.
export const isInteger = (value) => typeof value === 'bigint' || Number.isInteger(value);
const typeName = (value) =>
  typeof value === 'bigint' || Number.isInteger(value) ? 'int'
    : typeof value === 'number' || value?.constructor?.name === 'TomlFloat' ? 'float'
      : typeof value === 'string' ? 'str'
        : typeof value === 'boolean' ? 'bool'
          : Array.isArray(value) ? 'list'
            : value === null || value === undefined ? 'NoneType' : typeof value;

export function checkPort(value, what, ErrorKind = PortRangeError) {
  if (!isInteger(value)) {
    throw new InvalidTypeError(`${what} must be an int port, not ${typeName(value)}: ${excerpt(value)}`);
  }
  if (!(value >= MIN_PORT && value <= MAX_PORT)) {
    throw new ErrorKind(`${what} is ${excerpt(value)}, outside the valid ports ${MIN_PORT}-${MAX_PORT}`);
  }
  return Number(value);
}

export function checkRange(value, what = 'port_range') {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new InvalidTypeError(`${what} must be two ints (low, high), inclusive; got ${excerpt(value)}`);
  }
  const low = checkPort(value[0], `${what} low end`);
  const high = checkPort(value[1], `${what} high end`);
  if (low > high) {
    throw new PortRangeError(`${what} ${low}-${high} is reversed: its low end must not exceed its high end`);
  }
  return [low, high];
}

/** Exclusions as sorted, merged [low, high] intervals. */
export function checkExclusions(value, what = 'exclude') {
  if (!Array.isArray(value)) {
    throw new InvalidTypeError(`${what} must be a list of ports and (low, high) ranges; got ${excerpt(value)}`);
  }
  const intervals = value.map((item, index) => {
    if (Array.isArray(item)) return checkRange(item, `${what}[${index}]`);
    const port = checkPort(item, `${what}[${index}]`);
    return [port, port];
  });
  intervals.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged = [];
  for (const [low, high] of intervals) {
    const top = merged.at(-1);
    if (top && low <= top[1] + 1) top[1] = Math.max(top[1], high);
    else merged.push([low, high]);
  }
  return merged;
}

/** The text spelling of a pin key: 'service' or 'service@env'. */
export const formatPinKey = (service, env) => (env === null ? service : `${service}@${env}`);
export const pinId = (service, env) => (env === null ? service : `${service}\0${env}`);

/**
 * Pins from [text, port, label] entries ('service' or 'service@env' as
 * written, split at the first '@'), each checked in turn: its names, its
 * port, whether its key is pinned already, then whether its port is pinned
 * to another service. Returns a Map of pinId -> {service, env, port, label}.
 */
export function pinTable(entries) {
  const pins = new Map();
  const owners = new Map(); // port -> [service, label]
  for (const [text, rawPort, label] of entries) {
    const at = text.indexOf('@');
    const service = normalizeName(at < 0 ? text : text.slice(0, at), 'service name', label);
    const env = at < 0 ? null : normalizeName(text.slice(at + 1), 'environment name', label);
    addPin(pins, owners, service, env, rawPort, label);
  }
  return pins;
}

/** Add one checked pin to a table made by pinTable (for overrides, in order). */
export function addPin(pins, owners, service, env, rawPort, label) {
  const port = checkPort(rawPort, label, PinConflictError);
  const id = pinId(service, env);
  if (pins.has(id)) {
    throw new PinConflictError(`${pins.get(id).label} and ${label} pin the same service and environment; keep one`);
  }
  const owner = owners.get(port);
  if (owner !== undefined && owner[0] !== service) {
    throw new PinConflictError(
      `${label} pins ${pyrepr(service)} to port ${port}, which ${owner[1]} already pins to ${pyrepr(owner[0])}; a port can be pinned to one service only`,
    );
  }
  pins.set(id, { service, env, port, label });
  if (owner === undefined) owners.set(port, [service, label]);
}
