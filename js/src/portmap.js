// A map (docs/algorithm.md sections 4 to 7): its definition checked in the
// spec's order, and every table it answers from resolved once, on first use,
// keyed by what defines it, so a cache makes an answer faster, never different.

import { DEFAULT_ENV, DEFAULT_EXCLUSIONS, DEFAULT_RANGE, MAX_INSTANCES } from './defaults.js';
import {
  AlgorithmVersionError, InstanceError, InvalidNameError, InvalidTypeError, PortRangeError,
  RangeExhaustedError, UnknownServiceError, excerpt, pyrepr,
} from './errors.js';
import { keyBytes, keyPrefix, probeSequence } from './hash.js';
import { normalizeName } from './names.js';
import { checkExclusions, checkRange, formatPinKey, pinId, pinTable } from './ports.js';
import { byCodePoint } from './text.js';

// Joins an environment and an instance into a lane (NUL is in no valid name).
const LANE = '\0';

/** The loader's step for a live test run's map (config.js): not part of the public API. */
export const GIVE_TEST_PORTS = Symbol('stableport.giveTestPorts');
const laneEnv = (env, instance) => (instance ? `${env}${LANE}${instance}` : env);
const laneName = (env) => env.split(LANE)[0];

function checkBoolean(value, what) {
  if (typeof value !== 'boolean') throw new InvalidTypeError(`${what} must be True or False, not ${excerpt(value)}`);
  return value;
}

function checkCount(value, what) {
  if (!(typeof value === 'bigint' || Number.isInteger(value))) {
    throw new InvalidTypeError(`${what} must be an integer, not ${excerpt(value)}`);
  }
  if (!(value >= 0 && value <= MAX_INSTANCES)) throw new InstanceError(`${what} ${value} is outside 0-${MAX_INSTANCES}`);
  return Number(value);
}

export function checkAlgorithm(value) {
  if (!((typeof value === 'bigint' || Number.isInteger(value)) && Number(value) === 1)) {
    throw new AlgorithmVersionError(`algorithm ${excerpt(value)} is not supported; this release implements algorithm 1 only`);
  }
}

function normalizeAll(values, kind, where) {
  if (!Array.isArray(values)) throw new InvalidTypeError(`${where} must be a list of names, not ${excerpt(values)}`);
  const seen = new Map();
  values.forEach((value, index) => {
    const name = normalizeName(value, kind, `${where}[${index}]`);
    if (seen.has(name)) {
      throw new InvalidNameError(
        `${kind} ${excerpt(value)} in ${where} is declared twice (also as ${excerpt(seen.get(name))}); names are compared casefolded`,
      );
    }
    seen.set(name, value);
  });
  return [...seen.keys()];
}

/** Claimant-proposing deferred acceptance (section 6): port -> claimant index, and each one's trail. */
function match(claimants, low, high, taken) {
  const holders = new Map(); // port -> [index, rank]
  const state = claimants.map((claimant) => ({ probes: probeSequence(claimant.key, low, high), rank: -1, trail: [] }));
  const prefers = (a, rankA, b, rankB) =>
    rankA < rankB || (rankA === rankB && Buffer.compare(claimants[a].key, claimants[b].key) < 0);
  const waiting = claimants.map((_, index) => index).reverse();
  while (waiting.length) {
    const index = waiting.pop();
    const own = state[index];
    for (;;) {
      const port = own.probes.next().value;
      own.rank += 1;
      if (taken.has(port)) {
        own.trail.push(port);
        continue;
      }
      const holder = holders.get(port);
      if (holder && !prefers(index, own.rank, holder[0], holder[1])) {
        own.trail.push(port);
        continue;
      }
      holders.set(port, [index, own.rank]);
      if (holder) {
        state[holder[0]].trail.push(port);
        waiting.push(holder[0]);
      }
      break;
    }
  }
  return { holders, trails: state.map((own) => own.trail) };
}

export class PortMap {
  #services; #declared; #env; #namespace; #range; #exclude; #pins; #strict; #defaultExclusions;
  #instances; #instance; #overlay = []; #prefix; #blocked; #tables = new Map(); #trails = new Map();
  #lookups = new Map(); #skips; #testPorts = null;
  static #copying = null; // [map, overlay] while overlay() builds its copy

  /**
   * Inputs as docs/algorithm.md section 4 names them; pins as text keys
   * ({'billing': 8001, 'auth@test': 8002}) or, from a configuration, as a
   * table already made by pinTable. Checked in the order of section 7.
   */
  constructor({
    services = [], envs = null, env = null, namespace = null, range = DEFAULT_RANGE, exclude = [],
    pins = {}, strict = false, defaultExclusions = true, algorithm = 1, instances = 0, instance = 0,
  } = {}) {
    if (PortMap.#copying) {
      const [source, overlay] = PortMap.#copying;
      PortMap.#copying = null;
      this.#copyFrom(source, overlay);
      return;
    }
    checkAlgorithm(algorithm);
    this.#strict = checkBoolean(strict, 'strict');
    this.#defaultExclusions = checkBoolean(defaultExclusions, 'default_exclusions');
    this.#range = checkRange(range);
    this.#exclude = checkExclusions(exclude);
    this.#pins = pins instanceof Map
      ? pins
      : pinTable(Object.entries(pins ?? {}).map(([text, port]) => [text, port, `pins[${excerpt(text)}]`]));
    this.#env = env == null ? DEFAULT_ENV : normalizeName(env, 'environment name', 'env');
    this.#namespace = namespace == null ? null : normalizeName(namespace, 'namespace', 'namespace');
    this.#instances = checkCount(instances, 'instances');
    this.#instance = checkCount(instance, 'instance');
    if (this.#instance > this.#instances) {
      const room = this.#instances ? `instances are 1 to ${this.#instances}` : 'it declares no instances';
      throw new InstanceError(
        `instance ${this.#instance} is beyond this map's instances = ${this.#instances} (${room}; 0 is the plain map); raise instances or pick an instance within it`,
      );
    }
    const declared = envs == null ? [] : normalizeAll(envs, 'environment name', 'envs');
    this.#declared = declared.length ? new Set(declared) : null;
    this.#services = new Set(normalizeAll(services, 'service name', 'services'));
    for (const { service } of this.#pins.values()) this.#services.add(service);
    this.#prefix = keyPrefix(this.#namespace);
    this.#blocked = this.#unavailable();
    // Building resolves the home (section 4), and counts the lanes' room.
    this.#table(this.#homeKey());
    if (this.#instances) this.#checkRoom(this.#laneClaimants(), this.#table(this.#homeKey()), 'instances');
  }

  get services() { return [...this.#services].sort(byCodePoint); }
  get envs() { return this.#declared ? [...this.#declared].sort(byCodePoint) : null; }
  get env() { return this.#env; }
  get namespace() { return this.#namespace; }
  get range() { return [...this.#range]; }
  get exclude() { return this.#exclude.map((span) => [...span]); }
  get strict() { return this.#strict; }
  get defaultExclusions() { return this.#defaultExclusions; }
  get instances() { return this.#instances; }
  get instance() { return this.#instance; }
  get overlayEnvs() { return [...this.#overlay].sort(byCodePoint); }

  /** Pins as text keys, sorted: {'billing': 8001, 'auth@test': 8002}. */
  get pins() {
    const entries = [...this.#pins.values()].map(({ service, env, port }) => [formatPinKey(service, env), port]);
    return Object.fromEntries(entries.sort(([a], [b]) => byCodePoint(a, b)));
  }

  /** Every exclusion in force as [low, high, reason]: the defaults, then the map's own. */
  exclusionsInForce() {
    const own = this.#exclude.map(([low, high]) => [low, high, "in this map's exclude list"]);
    return [...(this.#defaultExclusions ? DEFAULT_EXCLUSIONS : []), ...own];
  }

  /** The port of service name in env (default: the map's env). */
  portFor(name, env = null) {
    const cacheKey = env === null || env === undefined ? name : `${name}\0${env}`;
    if (typeof name === 'string' && (env == null || typeof env === 'string')) {
      const known = this.#lookups.get(cacheKey);
      if (known !== undefined) return known;
    }
    const [service, environment] = this.#normalizeLookup(name, env);
    const port = this.#handed(service, environment) ?? this.#port(service, environment);
    if (typeof name === 'string' && this.#lookups.size < 4096) this.#lookups.set(cacheKey, port);
    return port;
  }

  /** Make this map, just loaded, a live test run's: ports answer lookups in env, the run's. */
  [GIVE_TEST_PORTS](env, ports) {
    this.#testPorts = [env, ports];
  }

  // The port a live test run handed service in env, if this map is that run's.
  #handed(service, env) {
    if (this.#testPorts === null || env !== this.#testPorts[0]) return null;
    return this.#testPorts[1].get(service) ?? null;
  }

  /** Every declared (service, env) and its port: [{service, env, port}], sorted by service then env. */
  assignments() {
    const homeEnvs = this.#homeEnvs();
    const envs = [...new Set([...homeEnvs, ...this.#overlay])].sort(byCodePoint);
    const out = [];
    for (const service of this.services) {
      for (const env of envs) out.push({ service, env, port: this.#handed(service, env) ?? this.#port(service, env) });
    }
    return out;
  }

  /** A map with the same inputs and envs as its overlay, resolved together above its home. */
  overlay(envs) {
    const names = normalizeAll(envs, 'environment name', 'overlay');
    const home = this.#homeEnvs();
    const own = names.find((env) => home.has(env));
    if (own !== undefined) {
      throw new InvalidNameError(`overlay environment ${pyrepr(own)} is already one of this map's environments`);
    }
    PortMap.#copying = [this, names];
    return new PortMap();
  }

  #copyFrom(source, overlay) {
    this.#services = source.#services; this.#declared = source.#declared; this.#env = source.#env;
    this.#namespace = source.#namespace; this.#range = source.#range; this.#exclude = source.#exclude;
    this.#pins = source.#pins; this.#strict = source.#strict; this.#defaultExclusions = source.#defaultExclusions;
    this.#instances = source.#instances; this.#instance = source.#instance; this.#prefix = source.#prefix;
    this.#blocked = source.#blocked; this.#overlay = overlay; this.#lookups = new Map();
    this.#testPorts = source.#testPorts;
    // Every table but an overlay's: each is defined by its key alone.
    this.#tables = new Map([...source.#tables].filter(([key]) => !key.endsWith('^')));
    this.#trails = new Map([...source.#trails].filter(([key]) => !key.endsWith('^')));
    if (overlay.length) this.#table(this.#overlayKey());
    return this;
  }

  /** Why name has its port in env, as data: every probe and why it was skipped or taken. */
  explain(name, env = null) {
    const [service, environment] = this.#normalizeLookup(name, env);
    const port = this.#port(service, environment);
    const pin = this.#pinEntry(service, environment);
    if (pin) return { service, env: environment, port, how: 'pinned', pin: formatPinKey(pin.service, pin.env), key: null, probes: [] };
    const declared = this.#services.has(service);
    const lane = laneEnv(environment, this.#instance);
    const tableKey = this.#tableKey(lane);
    const table = this.#table(tableKey);
    const trails = this.#trails.get(tableKey);
    const holders = new Map([...table].map(([pair, held]) => [held, pair]));
    const rivals = declared ? new Set(tableKey.slice(0, -1).split('\x01')) : new Set();
    const key = keyBytes(service, lane, this.#prefix);
    const [low, high] = this.#range;
    const candidates = declared ? [...(trails.get(`${service}\x01${lane}`) ?? []), port] : probeSequence(key, low, high);
    const skips = this.#skipReasons();
    const probes = [];
    let step = 0;
    for (const candidate of candidates) {
      if (candidate === port) {
        probes.push({ step, port: candidate, verdict: 'taken', reason: 'free: taken' });
        break;
      }
      const skip = skips.get(candidate);
      if (skip) probes.push({ step, port: candidate, verdict: skip[0], reason: skip[1] });
      else probes.push({ step, port: candidate, verdict: 'held', reason: this.#heldReason(candidate, step, holders, rivals, trails) });
      step += 1;
    }
    return { service, env: environment, port, how: probes.length === 1 ? 'hashed' : 'probed', pin: null, key: key.toString('hex'), probes };
  }

  #heldReason(port, rank, holders, rivals, trails) {
    const pair = holders.get(port);
    const [service, env] = pair.split('\x01');
    const [name, number] = env.split(LANE);
    const holder = `${service}@${name}${number ? ` of instance ${number}` : ''}`;
    if (!rivals.has(env)) return `held by ${holder} (assigned before this lookup)`;
    const holderRank = (trails.get(pair) ?? []).length;
    const why = holderRank === rank
      ? `its probe ${holderRank} too, and its key sorts first`
      : `its probe ${holderRank}, earlier than this probe ${rank}`;
    return `held by ${holder} (${why})`;
  }

  #skipReasons() {
    if (this.#skips === undefined) {
      const [low, high] = this.#range;
      const pinned = new Map();
      for (const { service, env, port } of this.#pins.values()) {
        if (port >= low && port <= high) pinned.set(port, [...(pinned.get(port) ?? []), formatPinKey(service, env)]);
      }
      const skips = new Map([...pinned].map(([port, keys]) => [port, ['pinned', `pinned to ${keys.join(' and ')}`]]));
      for (const [first, last, reason] of this.exclusionsInForce()) {
        for (let port = Math.max(first, low); port <= Math.min(last, high); port++) {
          if (!skips.has(port)) skips.set(port, ['excluded', `excluded: ${reason}`]);
        }
      }
      this.#skips = skips;
    }
    return this.#skips;
  }

  // -- lookups ---------------------------------------------------------------

  #normalizeLookup(name, env) {
    const service = normalizeName(name, 'service name');
    const environment = env == null ? this.#env : normalizeName(env, 'environment name');
    if (this.#strict && !this.#services.has(service)) {
      const declared = this.services.map(pyrepr).join(', ').replaceAll("'", '') || 'none';
      throw new UnknownServiceError(`service ${pyrepr(service)} is not declared in this strict map (declared: ${declared})`);
    }
    return [service, environment];
  }

  #pinEntry(service, env) {
    return this.#pins.get(pinId(service, env)) ?? this.#pins.get(pinId(service, null));
  }

  #port(service, env) {
    const pin = this.#pinEntry(service, env);
    if (pin) return pin.port;
    const lane = laneEnv(env, this.#instance);
    const table = this.#table(this.#tableKey(lane));
    const port = table.get(`${service}\x01${lane}`);
    if (port !== undefined) return port;
    // Undeclared (section 6): the first probe neither unavailable nor held in the table.
    const held = new Set(table.values());
    const [low, high] = this.#range;
    for (const candidate of probeSequence(keyBytes(service, lane, this.#prefix), low, high)) {
      if (!this.#blocked.has(candidate) && !held.has(candidate)) return candidate;
    }
    throw new RangeExhaustedError(
      `no free port left for ${pyrepr(service)} in range ${low}-${high}: every port is excluded, pinned or assigned to a declared service; widen the port range`,
    );
  }

  // -- tables (section 4) ----------------------------------------------------
  // A table's key: its environments, sorted, joined by \x01, then '^' when it
  // stands above the home (an overlay, the lanes) or '_' when it does not.

  #homeEnvs() { return this.#declared ?? new Set([this.#env]); }
  #key(envs, above) { return `${[...envs].sort().join('\x01')}${above ? '^' : '_'}`; }
  #baseKey() { return this.#key(this.#declared ?? [], false); }
  #homeKey() { return this.#declared ? this.#baseKey() : this.#key([this.#env], false); }
  #lanesKey() {
    const lanes = [];
    for (const env of this.#homeEnvs()) for (let n = 1; n <= this.#instances; n++) lanes.push(laneEnv(env, n));
    return this.#key(lanes, true);
  }
  #overlayKey() { return this.#key(this.#overlay.map((env) => laneEnv(env, this.#instance)), true); }

  #tableKey(env) {
    if (this.#declared?.has(env)) return this.#baseKey();
    if (this.#overlay.length && this.#overlay.some((o) => laneEnv(o, this.#instance) === env)) return this.#overlayKey();
    if (this.#instance && this.#homeEnvs().has(laneName(env))) return this.#lanesKey();
    return this.#key([env], false);
  }

  #table(key) {
    let table = this.#tables.get(key);
    if (table === undefined) {
      const above = key.endsWith('^');
      const envs = key.slice(0, -1) === '' ? [] : key.slice(0, -1).split('\x01');
      let below;
      if (key === this.#baseKey()) below = new Map();
      else if (this.#instances && key !== this.#homeKey() && key !== this.#lanesKey()) below = this.#table(this.#lanesKey());
      else below = this.#table(above ? this.#homeKey() : this.#baseKey());
      table = this.#resolve(envs, below, key);
      this.#tables.set(key, table);
    }
    return table;
  }

  #resolve(envs, below, key) {
    const table = new Map(below);
    const claimants = [];
    for (const env of envs) {
      for (const service of [...this.#services].sort()) {
        const pin = this.#pinEntry(service, laneName(env));
        if (pin) table.set(`${service}\x01${env}`, pin.port);
        else claimants.push({ pair: `${service}\x01${env}`, key: keyBytes(service, env, this.#prefix) });
      }
    }
    const taken = this.#checkRoom(claimants.length, below);
    const [low, high] = this.#range;
    const { holders, trails } = match(claimants, low, high, taken);
    for (const [port, [index]] of holders) table.set(claimants[index].pair, port);
    this.#trails.set(key, new Map(claimants.map((claimant, index) => [claimant.pair, trails[index]])));
    return table;
  }

  #laneClaimants() {
    let pairs = 0;
    for (const env of this.#homeEnvs()) for (const service of this.#services) if (!this.#pinEntry(service, env)) pairs += 1;
    return pairs * this.#instances;
  }

  #checkRoom(claimants, below, what = '') {
    const taken = new Set(this.#blocked);
    for (const port of below.values()) taken.add(port);
    const [low, high] = this.#range;
    let free = high - low + 1;
    for (const port of taken) if (port >= low && port <= high) free -= 1;
    if (claimants > free) {
      if (what === 'instances') {
        const per = claimants / this.#instances;
        throw new RangeExhaustedError(
          `instances = ${this.#instances} of ${per} (service, env) pairs need ${claimants} ports but range ${low}-${high} has only ${free} free after exclusions, pins and the plain map's ports; declare at most ${Math.floor(free / per)} instances or widen the port range`,
        );
      }
      throw new RangeExhaustedError(
        `${claimants} (service, env) pairs need a port but range ${low}-${high} has only ${free} free after exclusions, pins and ports already assigned; widen the port range or declare fewer services`,
      );
    }
    return taken;
  }

  #unavailable() {
    const [low, high] = this.#range;
    const blocked = new Set();
    for (const [first, last] of this.exclusionsInForce()) {
      for (let port = Math.max(first, low); port <= Math.min(last, high); port++) blocked.add(port);
    }
    if (blocked.size > high - low) {
      throw new PortRangeError(`port range ${low}-${high} has no port left after exclusions; widen it or exclude less`);
    }
    for (const { port } of this.#pins.values()) if (port >= low && port <= high) blocked.add(port);
    return blocked;
  }
}
