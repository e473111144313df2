// stableport v1 in JavaScript, written from docs/algorithm.md alone: an
// example of a second implementation, speaking the conformance protocol of
// tests/vectors/README.md (one JSON request a line on stdin, one answer a
// line on stdout). It is an example, not a package: no API, no options.
//
//   npm ci && python ../../tests/vectors/runner.py --impl "node stableport.mjs"

import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { xxh3 } from '@node-rs/xxhash';
import { parse as parseToml } from 'smol-toml';
// Unicode data pinned by version (Node's own is whatever its ICU has, and has
// no case folding): full case folding (C and F) and the rejected categories.
import foldC from '@unicode/unicode-15.1.0/Case_Folding/C/code-points.mjs';
import foldF from '@unicode/unicode-15.1.0/Case_Folding/F/code-points.mjs';
import Cc from '@unicode/unicode-15.1.0/General_Category/Control/regex.mjs';
import Cf from '@unicode/unicode-15.1.0/General_Category/Format/regex.mjs';
import Cn from '@unicode/unicode-15.1.0/General_Category/Unassigned/regex.mjs';
import Zl from '@unicode/unicode-15.1.0/General_Category/Line_Separator/regex.mjs';
import Zp from '@unicode/unicode-15.1.0/General_Category/Paragraph_Separator/regex.mjs';

const UNICODE = '15.1';

class StableportError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}
const fail = (kind, message) => { throw new StableportError(kind, message); };

// ---- Section 3: the hash, checked before any port is computed ------------

const hash = (key, seed) => xxh3.xxh64(key, BigInt(seed)); // XXH3, 64-bit: not xxh64()

const CHECK_KEY = Buffer.from('stableport\0v1\0default\0billing');
if (hash(CHECK_KEY, 0) !== 0xff1587e723a1dbc6n || hash(CHECK_KEY, 1) !== 0x54b818974e6a5773n) {
  throw new Error('@node-rs/xxhash does not give the check values of docs/algorithm.md section 3');
}

const MASK64 = (1n << 64n) - 1n;

function jump(key, buckets) {
  // 64-bit arithmetic in BigInt; the division in doubles, in the spec's order.
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    key = (key * 2862933555777941757n + 1n) & MASK64;
    j = Math.floor((b + 1) * (2147483648 / (Number(key >> 33n) + 1)));
  }
  return b;
}

// ---- Section 1: names ------------------------------------------------------

const WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);
// The data's regular expressions match UTF-16 code units; anchored, each
// tests one whole code point.
const REJECTED = [Cc, Cf, Cn, Zl, Zp].map((re) => new RegExp(`^(?:${re.source})$`));

function rejected(codePoint) {
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return true; // Cs: a lone surrogate
  const char = String.fromCodePoint(codePoint);
  return '@=,'.includes(char) || REJECTED.some((re) => re.test(char));
}

function casefold(text) {
  // Full case folding: the F mapping where there is one, else the C one.
  const out = [];
  for (const char of text) {
    const codePoint = char.codePointAt(0);
    const folded = foldF.get(codePoint) ?? foldC.get(codePoint) ?? codePoint;
    out.push(...(Array.isArray(folded) ? folded : [folded]));
  }
  return String.fromCodePoint(...out);
}

function normalizeName(name) {
  // Lengths count code points: a string iterator yields one per code point,
  // and a lone surrogate as itself.
  const codePoints = Array.from(name, (char) => char.codePointAt(0));
  if (codePoints.length > 128) fail('InvalidNameError', 'longer than 128');
  if (codePoints.length === 0) fail('InvalidNameError', 'empty');
  if (WHITESPACE.has(codePoints[0]) || WHITESPACE.has(codePoints.at(-1))) {
    fail('InvalidNameError', 'leading or trailing whitespace');
  }
  if (codePoints.some(rejected)) fail('InvalidNameError', 'a rejected code point');
  const normalized = casefold(name.normalize('NFC')).normalize('NFC');
  if (Array.from(normalized).length > 128) fail('InvalidNameError', 'longer than 128 folded');
  return normalized;
}

// ---- Sections 2 to 8: maps -------------------------------------------------

const DEFAULT_EXCLUSIONS = [
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102,
  103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465,
  512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993,
  995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668,
  6669, 6679, 6697, 10080,
  20000, 22000, 24007, 24008, 24224, 25565, 25575, 25672, 26257, 27000, 27015, 27017, 27018, 27019,
  28015, 28017, 29015,
  3000, 3306, 4173, 4200, 5000, 5173, 5432, 6379, 8000, 8080, 8888, 9000, 9090, 9092, 9200, 11211,
  11434, 15672, 16686,
];

const enc = (text) => Buffer.from(text, 'utf8');
const isPort = (value) => Number.isInteger(value) && value >= 1 && value <= 65535;

function span(value) {
  const [low, high] = Array.isArray(value) ? value : [value, value];
  if (!isPort(low) || !isPort(high) || low > high) fail('PortRangeError', `bad span ${value}`);
  return [low, high];
}

class PortMap {
  constructor(spec) {
    if ((spec.algorithm ?? 1) !== 1) fail('AlgorithmVersionError', `${spec.algorithm}`);
    [this.low, this.high] = span(spec.range ?? [20000, 29999]);
    this.size = this.high - this.low + 1;
    const excluded = new Set(spec.default_exclusions === false ? [] : DEFAULT_EXCLUSIONS);
    for (const item of spec.exclude ?? []) {
      const [low, high] = span(item);
      for (let port = Math.max(low, this.low); port <= Math.min(high, this.high); port++) {
        excluded.add(port);
      }
    }
    // Pins: "service" or "service@env", split at the first @.
    this.pins = new Map(); // "s" or "s\0e" -> port
    const pinnedTo = new Map(); // port -> service
    for (const [text, port] of Object.entries(spec.pins ?? {})) {
      const at = text.indexOf('@');
      const service = normalizeName(at < 0 ? text : text.slice(0, at));
      const env = at < 0 ? null : normalizeName(text.slice(at + 1));
      if (!isPort(port)) fail('PinConflictError', `pin port ${port}`);
      const key = env === null ? service : `${service}\0${env}`;
      if (this.pins.has(key)) fail('PinConflictError', `${text} pinned twice`);
      if (pinnedTo.has(port) && pinnedTo.get(port) !== service) {
        fail('PinConflictError', `${port} pinned to two services`);
      }
      this.pins.set(key, port);
      pinnedTo.set(port, service);
    }
    this.env = normalizeName(spec.env ?? 'default');
    this.prefix = Buffer.concat([
      enc('stableport\0v1\0'),
      spec.namespace == null ? Buffer.alloc(0) : enc(`${normalizeName(spec.namespace)}\0`),
    ]);
    // Instances (section 4, "Instances"): room for N, and which one this map is.
    this.instances = spec.instances ?? 0;
    this.instance = spec.instance ?? 0;
    for (const count of [this.instances, this.instance]) {
      if (!Number.isInteger(count) || count < 0 || count > 1000) fail('InstanceError', `${count}`);
    }
    if (this.instance > this.instances) fail('InstanceError', 'instance beyond instances');
    this.envs = this.names(spec.envs ?? []);
    this.services = new Set(this.names(spec.services ?? []));
    for (const key of this.pins.keys()) this.services.add(key.split('\0')[0]);
    // Unavailable: excluded, or any pin's port, within the range.
    this.unavailable = new Set([...excluded, ...pinnedTo.keys()]);
    let free = 0;
    for (let port = this.low; port <= this.high; port++) free += excluded.has(port) ? 0 : 1;
    if (free === 0) fail('PortRangeError', 'the exclusions leave no port');
    this.base = this.resolve(this.envs, new Map());
    this.home = this.envs.length ? this.base : this.resolve([this.env], new Map());
    // The lanes e#j of every home environment in every instance, in one matching above
    // the home; every overlay and layer of a map with instances goes above them.
    const homeEnvs = this.envs.length ? this.envs : [this.env];
    const lanes = [];
    for (const env of homeEnvs) {
      for (let number = 1; number <= this.instances; number++) lanes.push(this.lane(env, number));
    }
    this.homeEnvs = homeEnvs;
    this.lanes = this.instances ? this.resolve(lanes, this.home) : null;
    this.overlayEnvs = [];
    this.layers = new Map();
  }

  // The environment of env's lane in instance number: e, NUL, the number in decimal.
  lane(env, number) {
    return `${env}\0${number}`;
  }

  // The environment this map's lookups in env are keyed and held under.
  own(env) {
    return this.instance ? this.lane(env, this.instance) : env;
  }

  names(list) {
    const out = [];
    for (const name of list) {
      const normalized = normalizeName(name);
      if (out.includes(normalized)) fail('InvalidNameError', `${name} twice`);
      out.push(normalized);
    }
    return out;
  }

  overlay(list) {
    const envs = this.names(list);
    const own = this.envs.length ? this.envs : [this.env];
    if (envs.some((env) => own.includes(env))) fail('InvalidNameError', 'already the map\'s');
    this.overlayEnvs = envs;
    this.overlayTable = this.resolve(envs.map((env) => this.own(env)), this.lanes ?? this.home);
  }

  pin(service, env) {
    const named = env.split('\0')[0]; // a lane keeps its environment's pins
    return this.pins.get(`${service}\0${named}`) ?? this.pins.get(service);
  }

  key(service, env) {
    return Buffer.concat([this.prefix, enc(`${env}\0${service}`)]);
  }

  // The probe sequence of a key: [port, rank] pairs, lazily.
  *probes(key) {
    const seen = new Set();
    let rank = 0;
    const start = jump(hash(key, 0), this.size);
    for (let seed = 0; seed < 16; seed++) {
      const port = this.low + (seed === 0 ? start : jump(hash(key, seed), this.size));
      if (!seen.has(port)) {
        seen.add(port);
        yield [port, rank++];
      }
    }
    for (let offset = 1; offset < this.size; offset++) {
      const port = this.low + ((start + offset) % this.size);
      if (!seen.has(port)) yield [port, rank++];
    }
  }

  // Section 6: the claimants of envs matched to the ports open above table.
  resolve(envs, table) {
    const held = new Set(table.values());
    const isOpen = (port) => !this.unavailable.has(port) && !held.has(port);
    const claimants = [];
    for (const env of envs) {
      for (const service of this.services) {
        if (this.pin(service, env) === undefined) {
          const key = this.key(service, env);
          claimants.push({ pair: `${service}\0${env}`, key, probes: this.probes(key) });
        }
      }
    }
    let open = 0;
    for (let port = this.low; port <= this.high; port++) open += isOpen(port) ? 1 : 0;
    if (claimants.length > open) fail('RangeExhaustedError', 'more claimants than open ports');
    const holders = new Map(); // port -> [claimant, rank]
    const prefers = (a, rankA, b, rankB) => rankA < rankB || (rankA === rankB && Buffer.compare(a.key, b.key) < 0);
    const waiting = [...claimants];
    while (waiting.length) {
      const claimant = waiting.pop();
      for (;;) {
        const [port, rank] = claimant.probes.next().value;
        if (!isOpen(port)) continue;
        const holder = holders.get(port);
        if (holder && !prefers(claimant, rank, ...holder)) continue;
        holders.set(port, [claimant, rank]);
        if (holder) waiting.push(holder[0]);
        break;
      }
    }
    const result = new Map(table);
    for (const [port, [claimant]] of holders) result.set(claimant.pair, port);
    return result;
  }

  table(env) {
    if (this.instance && this.homeEnvs.includes(env)) return this.lanes;
    if (!this.instance && !this.envs.length && env === this.env) return this.home;
    if (!this.instance && this.envs.includes(env)) return this.base;
    if (this.overlayEnvs.includes(env)) return this.overlayTable;
    if (!this.layers.has(env)) {
      this.layers.set(env, this.resolve([this.own(env)], this.lanes ?? this.base));
    }
    return this.layers.get(env);
  }

  portFor(name, envName) {
    const service = normalizeName(name);
    const env = envName == null ? this.env : normalizeName(envName);
    if (this.strict && !this.services.has(service)) fail('UnknownServiceError', name);
    const pinned = this.pin(service, env);
    if (pinned !== undefined) return pinned;
    const table = this.table(env);
    const port = table.get(`${service}\0${this.own(env)}`);
    if (port !== undefined) return port;
    // Undeclared: the first port neither unavailable nor held in the table.
    const held = new Set(table.values());
    for (const [candidate] of this.probes(this.key(service, this.own(env)))) {
      if (!this.unavailable.has(candidate) && !held.has(candidate)) return candidate;
    }
    return fail('RangeExhaustedError', 'no port for an undeclared service');
  }
}

const MAP_KEYS = new Set([
  'services', 'envs', 'env', 'namespace', 'range', 'exclude', 'pins', 'default_exclusions',
  'strict', 'algorithm', 'overlay', 'overlays', 'before', 'instances', 'instance',
]);

function buildMap(spec) {
  // A key from a newer corpus must fail its case visibly, not be ignored.
  const unknown = Object.keys(spec).find((key) => !MAP_KEYS.has(key));
  if (unknown !== undefined) fail(`unsupported map key ${JSON.stringify(unknown)}`, unknown);
  const map = new PortMap(spec);
  map.strict = spec.strict === true;
  // Each overlay in turn replaces the last, once the map has answered "before"
  // (a history whose answers are other cases' business and change nothing).
  const overlays = spec.overlays ?? (spec.overlay ? [spec.overlay] : []);
  for (const envs of overlays) {
    for (const [service, env] of spec.before ?? []) {
      try {
        map.portFor(service, env);
      } catch (error) {
        if (!(error instanceof StableportError)) throw error;
      }
    }
    map.overlay(envs);
  }
  return map;
}

// ---- Configuration: docs/configuration.md, "Loading, step by step" ---------

const isTable = (value) => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
const configError = (message) => fail('ConfigError', message);

// Step 1: lstat answers "nothing here" (false), "something" (true), or an error.
function exists(path) {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return false;
    return configError(`cannot look for ${path}`);
  }
}

// Step 2: a regular file's bytes, at most 4 MiB, never waiting on a FIFO.
function readBytes(path) {
  let fd;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return configError(`cannot read ${path}`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) configError(`${path} is not a regular file`);
    const buffer = Buffer.alloc(Math.min(stats.size, 4194304) + 1);
    let length = 0;
    let read;
    while (length < buffer.length && (read = readSync(fd, buffer, length, buffer.length - length, length)) > 0) length += read;
    if (length > 4194304) configError(`${path} is larger than 4 MiB`);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

// Floats kept apart from integers (TOML 1.0 is not 1).
class Float { constructor(value) { this.value = value; } }
function wrapFloats(value) {
  if (typeof value === 'number') return new Float(value);
  if (Array.isArray(value)) return value.map(wrapFloats);
  if (isTable(value)) for (const key of Object.keys(value)) value[key] = wrapFloats(value[key]);
  return value;
}

function parseFile(path, bytes = readBytes(path)) {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) configError('a BOM');
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    configError('not UTF-8');
  }
  let document;
  try {
    document = parseToml(text, { integersAsBigInt: true });
  } catch {
    return configError('invalid TOML');
  }
  // No array or table more than 100 levels inside the document.
  const stack = [[document, 0]];
  while (stack.length) {
    const [value, level] = stack.pop();
    if (level > 100) configError('nested too deeply');
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (Array.isArray(child) || isTable(child)) stack.push([child, level + 1]);
    }
  }
  return wrapFloats(document);
}

function discover(start) {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (exists(join(dir, 'stableport.toml'))) return join(dir, 'stableport.toml');
    const pyproject = join(dir, 'pyproject.toml');
    if (exists(pyproject)) {
      const bytes = readBytes(pyproject);
      if (['stableport', '\\u', '\\U', '\\x'].some((needle) => bytes.includes(needle))) {
        const tool = parseFile(pyproject, bytes).tool;
        if (isTable(tool) && Object.hasOwn(tool, 'stableport')) return pyproject;
      }
    }
    if (dirname(dir) === dir) return null;
  }
}

const int = (value) => typeof value === 'bigint';
const typeError = () => fail('InvalidTypeError', 'not an integer');
// Step 4's checks of a port, and of a [low, high] pair.
const checkedPort = (value, kind = 'PortRangeError') => {
  if (!int(value)) typeError();
  if (value < 1n || value > 65535n) fail(kind, `port ${value}`);
  return Number(value);
};
const checkedSpan = ([low, high]) => {
  const pair = [checkedPort(low), checkedPort(high)];
  if (pair[0] > pair[1]) fail('PortRangeError', 'reversed');
  return pair;
};

// Steps 4 and 7's pins: entries [text, port] checked in order into {text: port}.
function pinsOf(entries) {
  const seen = new Map(); // normalized key -> port
  const owners = new Map(); // port -> service
  for (const [text, raw] of entries) {
    const at = text.indexOf('@');
    const service = normalizeName(at < 0 ? text : text.slice(0, at));
    const env = at < 0 ? null : normalizeName(text.slice(at + 1));
    const port = checkedPort(raw, 'PinConflictError');
    const key = env === null ? service : `${service}@${env}`;
    if (seen.has(key)) fail('PinConflictError', 'pinned twice');
    if (owners.has(port) && owners.get(port) !== service) fail('PinConflictError', 'one port, two services');
    seen.set(key, port);
    if (!owners.has(port)) owners.set(port, service);
  }
  return seen;
}

const SHAPES = {
  algorithm: (v) => int(v) && (v === 1n || fail('AlgorithmVersionError', `${v}`)),
  strict: (v) => typeof v === 'boolean',
  default_exclusions: (v) => typeof v === 'boolean',
  range: (v) => Array.isArray(v) && v.length === 2 && checkedSpan(v),
  exclude: (v) => Array.isArray(v) && v.every((item) => int(item) || Array.isArray(item)) &&
    v.forEach((item) => (Array.isArray(item) ? (item.length === 2 ? checkedSpan(item) : typeError()) : checkedPort(item))) === undefined,
  pins: (v) => isTable(v) && pinsOf(Object.entries(v)) !== null,
  env: (v) => typeof v === 'string',
  namespace: (v) => typeof v === 'string',
  instances: (v) => int(v),
  envs: (v) => Array.isArray(v) && v.every((item) => typeof item === 'string'),
  services: (v) => Array.isArray(v) && v.every((item) => typeof item === 'string'),
};

// Python's str.strip() whitespace (JavaScript's \\s has U+FEFF, and lacks U+001C-U+001F and U+0085).
const SPACE = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const strip = (text) => text.replace(new RegExp(`^${SPACE}+|${SPACE}+$`, 'g'), '');

function pinVariable(value) {
  return pinsOf(value.split(',').map((entry) => {
    const at = entry.indexOf('=');
    const [key, port] = at < 0 ? [entry, ''] : [strip(entry.slice(0, at)), strip(entry.slice(at + 1))];
    if (at < 0 || !key || !/^[0-9]+$/.test(port)) configError(`bad entry ${entry}`);
    if (port.replace(/^0+/, '').length > 5) configError('too long');
    return [key, BigInt(port)];
  }));
}

// The live test run (configuration.md, "Inside a test run"), or null.
function testRun(variables) {
  const value = variables.STABLEPORT_TEST_RUN;
  if (!value) return null;
  const fields = value.split(',');
  if (fields.length < 6) configError('STABLEPORT_TEST_RUN: fields');
  const [pid, start, env, namespace, instance] = fields;
  const digits = (text) => /^[0-9]+$/.test(text);
  if (!digits(pid) || Number(pid) < 1 || Number(pid) > 2 ** 31 - 1) configError('STABLEPORT_TEST_RUN: PID');
  if (start && !digits(start)) configError('STABLEPORT_TEST_RUN: START');
  if (!digits(instance) || instance.length > 4) configError('STABLEPORT_TEST_RUN: INSTANCE');
  const run = { pid: Number(pid), start, instance: Number(instance), config: fields.slice(5).join(',') || null };
  try {
    run.env = normalizeName(env);
    run.namespace = namespace ? normalizeName(namespace) : null;
  } catch { configError('STABLEPORT_TEST_RUN: a name'); }
  if (!alive(run.pid, run.start)) return null;
  run.ports = new Map();
  const ports = variables.STABLEPORT_TEST_PORTS;
  for (const [key, port] of ports ? pinVariable(ports) : []) {
    if (key.includes('@')) configError('STABLEPORT_TEST_PORTS: an environment');
    run.ports.set(key, port);
  }
  return run;
}

// Whether process pid lives and, where /proc tells its start time, started at start.
function alive(pid, start) {
  try {
    process.kill(pid, 0); // signal 0: a check, on Windows too
  } catch (error) {
    if (error.code !== 'EPERM') return false; // EPERM: another user's, alive
  }
  if (!start) return true;
  let stat;
  try { stat = readFileSync(`/proc/${pid}/stat`, 'latin1'); } catch { return true; }
  return stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/)[19] === start;
}

const realpath = (path) => { try { return realpathSync.native(path); } catch { return path; } };

function load({ cwd, variables, flags }) {
  // Step 0.
  const run = testRun(variables);
  // Step 1.
  let path = flags.config ?? null;
  if (path === null && variables.STABLEPORT_CONFIG !== undefined) {
    path = variables.STABLEPORT_CONFIG;
    let there = false;
    try { there = path !== '' && lstatSync(resolve(cwd, path)) !== undefined; } catch { /* names nothing */ }
    if (!there) configError('STABLEPORT_CONFIG names no file');
  }
  path = path === null ? discover(cwd) ?? run?.config ?? null : resolve(cwd, path);
  // Steps 2 to 4.
  let table = {};
  if (path !== null) {
    const document = parseFile(path);
    if (basename(path) === 'pyproject.toml') {
      table = isTable(document.tool) && Object.hasOwn(document.tool, 'stableport') ? document.tool.stableport : configError('no table');
    } else {
      table = document;
    }
    if (!isTable(table)) configError('not a table');
    if (Object.keys(table).some((key) => !Object.hasOwn(SHAPES, key))) configError('unknown key');
    for (const [key, shape] of Object.entries(SHAPES)) {
      if (Object.hasOwn(table, key) && !shape(table[key])) configError(`wrong type for ${key}`);
    }
  }
  const spec = { ...table };
  for (const key of ['algorithm', 'instances']) if (key in spec) spec[key] = Number(spec[key]);
  if (spec.range) spec.range = spec.range.map(Number);
  if (spec.exclude) spec.exclude = spec.exclude.map((item) => (Array.isArray(item) ? item.map(Number) : Number(item)));
  // Step 5: --env, else STABLEPORT_ENV.
  if (flags.env !== undefined) {
    spec.env = normalizeName(flags.env);
  } else if (variables.STABLEPORT_ENV !== undefined) {
    try { spec.env = normalizeName(variables.STABLEPORT_ENV); } catch { configError('STABLEPORT_ENV'); }
  }
  // Step 6.
  const namespace = flags.namespace ?? variables.STABLEPORT_NAMESPACE;
  if (namespace !== undefined) spec.namespace = normalizeName(namespace);
  // Step 7.
  let pins = spec.pins ? pinsOf(Object.entries(spec.pins)) : new Map();
  if (variables.STABLEPORT_PINS !== undefined) {
    for (const [key, port] of pinVariable(variables.STABLEPORT_PINS)) pins.set(key, port);
    pins = pinsOf([...pins].map(([key, port]) => [key, BigInt(port)]));
  }
  spec.pins = Object.fromEntries(pins);
  // Step 8, and docs/instances.md's rule.
  let instance = flags.instance ?? variables.STABLEPORT_INSTANCE;
  if (instance === undefined && path !== null) instance = checkoutIdentity(path, Number(spec.instances ?? 0), variables);
  if (instance !== undefined) {
    const text = asciiStrip(instance);
    if (!/^[0-9]{1,6}$/.test(text) || Number(text) > 1000 || Number(text) > (spec.instances ?? 0)) configError('instance');
    spec.instance = Number(text);
  }
  // Step 9.
  const own = run !== null
    && (path === null || run.config === null ? path === run.config : realpath(path) === realpath(run.config))
    && (spec.namespace === undefined ? null : normalizeName(spec.namespace)) === run.namespace
    && (spec.instance ?? 0) === run.instance;
  if (own && flags.env === undefined) spec.env = run.env; // --env still sets its own
  const map = new PortMap(spec);
  map.strict = spec.strict === true;
  return { map, path, spec, run: own ? run : null };
}

// docs/instances.md, "Reading an identity file": ASCII white space only.
const asciiStrip = (text) => text.replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, '');

// The identity file beside the configuration: {value, madeFor}, or null.
function readIdentity(path) {
  if (!exists(path)) return null;
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(readBytes(path));
  const [value, ...rest] = text.replace(/^[ \t\n\r\f\v]+/, '').split('\n');
  let madeFor = null;
  for (const line of rest) {
    if (!asciiStrip(line)) continue;
    if (line.startsWith('for: ') && madeFor === null) {
      try { madeFor = JSON.parse(line.slice(5).replace(/[ \t\n\r\f\v]+$/, '')); } catch { madeFor = null; }
      if (typeof madeFor === 'string' && isAbsolute(madeFor)) continue;
    }
    configError(`not an identity line: ${line}`);
  }
  return { value, madeFor };
}

// A linked git worktree: the nearest .git above is a file "gitdir: DIR", DIR holding commondir.
function linkedWorktree(directory) {
  for (let dir = resolve(directory); ; dir = dirname(dir)) {
    let stats = null;
    try { stats = statSync(join(dir, '.git')); } catch { /* none here */ }
    if (stats?.isDirectory()) return false;
    if (stats?.isFile()) {
      const line = readBytes(join(dir, '.git')).toString().split('\n')[0].trim();
      if (!line.startsWith('gitdir:')) return false;
      const gitdir = line.slice(7).trim();
      try { return statSync(join(isAbsolute(gitdir) ? gitdir : join(dir, gitdir), 'commondir')).isFile(); } catch { return false; }
    }
    if (dirname(dir) === dir) return false;
  }
}

// The checkout's identity, or undefined for the plain map. A copy's file (made for
// another directory that exists) is not this checkout's; first use, which assigns
// a number under git's lock, is not part of this example: a case that needs it fails.
function checkoutIdentity(configPath, room, variables) {
  const path = join(dirname(configPath), '.stableport-instance');
  const found = readIdentity(path);
  let copied = false;
  if (found?.madeFor != null) {
    let here = resolve(dirname(path));
    try { here = realpathSync(here); } catch { /* as it is */ }
    copied = here !== found.madeFor && exists(found.madeFor);
  }
  if (found !== null && !copied) return found.value;
  if (!room) return found?.value;
  const ci = variables.CI;
  const inCi = ci !== undefined && !['', '0', 'false', 'no'].includes(ci.trim().toLowerCase());
  if (!linkedWorktree(dirname(configPath)) || inCi) {
    if (copied) configError('a copy of another checkout\'s identity');
    return undefined;
  }
  return configError('first use: not implemented by this example');
}

const sorted = (values) => [...values].sort((a, b) => {
  const [x, y] = [Array.from(a, (c) => c.codePointAt(0)), Array.from(b, (c) => c.codePointAt(0))];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
});

function configCase({ root, cwd, variables, flags, lookups }) {
  let loaded = null;
  let reply;
  try {
    loaded = load({ cwd: join(root, cwd), variables, flags });
    const { map, path, spec } = loaded;
    const inside = path === null ? null : relative(root, path);
    // Exclusions as given, merged into sorted spans.
    const spans = (spec.exclude ?? []).map((item) => (Array.isArray(item) ? [...item] : [item, item])).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const merged = [];
    for (const [low, high] of spans) {
      if (merged.length && low <= merged.at(-1)[1] + 1) merged.at(-1)[1] = Math.max(merged.at(-1)[1], high);
      else merged.push([low, high]);
    }
    reply = {
      map: {
        config: inside === null ? null : inside.startsWith('..') ? path : inside.split(sep).join('/'),
        services: sorted(map.services),
        envs: map.envs.length ? sorted(map.envs) : null,
        env: map.env,
        namespace: spec.namespace === undefined ? null : normalizeName(spec.namespace),
        range: [map.low, map.high],
        exclude: merged,
        pins: Object.fromEntries(sorted(Object.keys(spec.pins)).map((key) => [key, spec.pins[key]])),
        strict: map.strict,
        default_exclusions: spec.default_exclusions !== false,
        instances: map.instances,
        instance: map.instance,
      },
    };
  } catch (error) {
    if (!(error instanceof StableportError)) throw error;
    reply = { error: error.kind };
  }
  reply.ports = lookups.map(([service, asked]) => {
    const env = asked ?? flags.env ?? null;
    try {
      if (loaded === null) return reply.error;
      // A live test run's port, in its environment (configuration.md, "Lookups").
      const name = normalizeName(service);
      const run = loaded.run;
      if (run?.ports.has(name) && (env === null ? loaded.map.env : normalizeName(env)) === run.env) return run.ports.get(name);
      return loaded.map.portFor(service, env);
    } catch (error) {
      if (error instanceof StableportError) return error.kind;
      throw error;
    }
  });
  return reply;
}

// ---- The protocol ----------------------------------------------------------

function answer(request) {
  switch (request.op) {
    case 'hello':
      return { implementation: 'stableport example (JavaScript, Node.js)', unicode: UNICODE };
    case 'hash':
      return { hash: hash(Buffer.from(request.key, 'hex'), request.seed).toString(16).padStart(16, '0') };
    case 'jump':
      return { bucket: jump(BigInt(`0x${request.key}`), request.buckets) };
    case 'name':
      return { normalized: normalizeName(request.name) };
    case 'config':
      return configCase(request);
    case 'map': {
      const map = buildMap(request.map);
      return {
        ports: request.lookups.map(([service, env]) => {
          try {
            return map.portFor(service, env);
          } catch (error) {
            if (error instanceof StableportError) return error.kind;
            throw error;
          }
        }),
      };
    }
    default:
      throw new Error(`unknown op ${request.op}`);
  }
}

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  let reply;
  try {
    reply = answer(JSON.parse(line));
  } catch (error) {
    if (!(error instanceof StableportError)) throw error;
    reply = { error: error.kind };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
