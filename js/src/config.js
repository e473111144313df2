// The project's configuration (docs/configuration.md): what its keys mean,
// and what the STABLEPORT_* variables and the command line's flags change,
// in the order of the Python library's _config.py, so every mistake is the
// same kind of error with a message naming the value, the file and the key.

import { ConfigError, StableportError, excerpt, pyrepr, shown } from './errors.js';
import {
  CONFIG_VARIABLE, TomlFloat, discover, isTable, namedByVariable, parse, pathArgument,
  stableportTable, workingDirectory,
} from './files.js';
import { resolve } from 'node:path';
import { instanceOf } from './instance.js';
import { normalizeName } from './names.js';
import { GIVE_TEST_PORTS, PortMap, checkAlgorithm } from './portmap.js';
import { addPin, checkExclusions, checkRange, formatPinKey, pinTable } from './ports.js';
import { parsePinOverrides, PINS_VARIABLE } from './overrides.js';
import { MAX_INSTANCES } from './defaults.js';
import { applies, currentRun } from './testports.js';

export const ENV_VARIABLE = 'STABLEPORT_ENV';
export const NAMESPACE_VARIABLE = 'STABLEPORT_NAMESPACE';
export { CONFIG_VARIABLE, PINS_VARIABLE };

const WRONG_SHAPE = Symbol('wrong shape');
const isInt = (value) => typeof value === 'bigint';
const toNumber = (value) => (typeof value === 'bigint' && value >= -(2n ** 53n) && value <= 2n ** 53n ? Number(value) : value);
const strings = (value) => (Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : WRONG_SHAPE);

// Every key, once, in the order PortMap checks its arguments: key -> [PortMap
// argument, what the value must be, its conversion].
const KEYS = new Map([
  ['algorithm', ['algorithm', 'the integer 1', (value) => {
    if (!isInt(value)) return WRONG_SHAPE;
    checkAlgorithm(value);
    return toNumber(value);
  }]],
  ['strict', ['strict', 'true or false', (value) => (typeof value === 'boolean' ? value : WRONG_SHAPE)]],
  ['default_exclusions', ['defaultExclusions', 'true or false', (value) => (typeof value === 'boolean' ? value : WRONG_SHAPE)]],
  ['range', ['range', 'an array of two integers [low, high]', (value, key) => (Array.isArray(value) && value.length === 2 ? checkRange(value, key) : WRONG_SHAPE)]],
  ['exclude', ['exclude', 'an array of ports and [low, high] ranges', (value, key) =>
    (Array.isArray(value) && value.every((item) => isInt(item) || Array.isArray(item)) ? checkExclusions(value, key) : WRONG_SHAPE)]],
  ['pins', ['pins', "a table of service (or 'service@env') = port", (value, key) =>
    (isTable(value) ? pinTable(Object.entries(value).map(([text, port]) => [text, port, `${key}[${excerpt(text)}]`])) : WRONG_SHAPE)]],
  ['env', ['env', 'an environment name (a string)', (value) => (typeof value === 'string' ? value : WRONG_SHAPE)]],
  ['namespace', ['namespace', 'a namespace name (a string)', (value) => (typeof value === 'string' ? value : WRONG_SHAPE)]],
  ['instances', ['instances', `an integer from 0 to ${MAX_INSTANCES}`, (value) => (isInt(value) ? toNumber(value) : WRONG_SHAPE)]],
  ['envs', ['envs', 'an array of environment names', strings]],
  ['services', ['services', 'an array of service names', strings]],
]);

/** PortMap's inputs from a table of configuration keys; source names the file, where the table. */
export function settings(table, source, where) {
  const unknown = Object.keys(table).find((key) => !KEYS.has(key));
  if (unknown !== undefined) throw new ConfigError(`${source}: unknown key ${excerpt(unknown)} in ${where}${suggestion(unknown)}`);
  const inputs = {};
  for (const [key, [argument, expected, convert]] of KEYS) {
    if (!Object.hasOwn(table, key)) continue;
    const value = table[key];
    let converted;
    try {
      converted = convert(value, key);
    } catch (error) {
      if (error instanceof StableportError) throw new ConfigError(`${source}: ${error.message}`, { cause: error });
      throw error;
    }
    if (converted === WRONG_SHAPE) {
      throw new ConfigError(`${source}: key ${pyrepr(key)} in ${where} must be ${expected}, not ${tomlRepr(value)}`);
    }
    inputs[argument] = converted;
  }
  return inputs;
}

function suggestion(key) {
  // difflib.get_close_matches' rule (a similarity of 0.6 or more), by edit distance.
  let best = null;
  let bestScore = 0.6;
  for (const known of KEYS.keys()) {
    const score = similarity(key, known);
    if (score >= bestScore) [best, bestScore] = [known, score];
  }
  const allowed = [...KEYS.keys()].sort().join(', ');
  return `${best ? `; did you mean ${pyrepr(best)}?` : ''} (allowed: ${allowed})`;
}

function similarity(a, b) {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return 1 - rows[a.length][b.length] / Math.max(a.length, b.length, 1);
}

function tomlRepr(value) {
  const kind = typeof value === 'boolean' ? 'a boolean'
    : typeof value === 'bigint' ? 'an integer'
      : typeof value === 'number' ? 'a float'
        : typeof value === 'string' ? 'a string'
          : Array.isArray(value) ? 'an array'
            : value instanceof Date ? 'a datetime' : 'a table';
  return `${kind} ${excerpt(value)}`;
}

/** PortMap inputs from a stableport.toml or a pyproject.toml's [tool.stableport]. */
export function readSettings(path, document = null) {
  const [table, where] = stableportTable(path, document ?? parse(path));
  return settings(table, shown(path), where);
}

/**
 * The project's map and where it came from, as the Python library's
 * load_with_origin: path (else $STABLEPORT_CONFIG, else discovery from cwd),
 * then the environment (--env, else $STABLEPORT_ENV), the namespace (flag,
 * else variable), $STABLEPORT_PINS,
 * and the instance (flag, else variable, else the checkout's identity).
 *
 * variables: the environment to read (process.env by default).
 */
export function loadWithOrigin({
  path = null, namespace = null, instance = null, env = null, cwd = null, variables = process.env,
} = {}) {
  let found;
  let inputs;
  // Step 0: the live test run this process is part of, if any (testports.js).
  const run = currentRun(variables);
  if (path === null && variables[CONFIG_VARIABLE] !== undefined) path = namedByVariable(variables[CONFIG_VARIABLE], cwd);
  if (path !== null) {
    found = pathArgument(path);
    if (cwd !== null) found = resolve(cwd, found);
    inputs = readSettings(found);
  } else {
    let [discovered, document] = discover(cwd ?? workingDirectory());
    if (discovered === null && run !== null && run.config !== null) {
      // Found nothing here: a process the test started in another directory.
      [discovered, document] = [run.config, null];
    }
    found = discovered;
    inputs = found === null ? {} : readSettings(found, document);
  }
  const at = found === null ? null : resolve(found);
  let label = found === null ? 'the built-in defaults' : shown(found);
  const origin = { path: at, envOverride: null, namespaceOverride: null, pinOverrides: {}, instanceSource: null, testRun: null };
  [inputs, label] = overridden(inputs, origin, label, variables, namespace, env);
  const chosen = instanceOf({ option: instance, variables, configPath: at, inputs, label });
  if (chosen !== null) {
    inputs.instance = chosen.number;
    origin.instanceSource = chosen.source;
  }
  // The run's own map: its environment (--env, a question of its own, still
  // wins) and, in it, the ports the run handed out.
  const own = run !== null && applies(run, at, inputs.namespace ?? null, inputs.instance ?? 0);
  if (own && env === null) {
    inputs.env = run.env;
    origin.envOverride = null;
  }
  let map;
  try {
    map = new PortMap(inputs);
  } catch (error) {
    if (error instanceof StableportError) throw new ConfigError(`${label}: ${error.message}`, { cause: error });
    throw error;
  }
  if (own) {
    origin.testRun = run;
    map[GIVE_TEST_PORTS](run.env, run.ports);
  }
  return [map, origin];
}

// env is the command line's --env: the map's default environment, over $STABLEPORT_ENV.
function overridden(inputs, origin, label, variables, namespace, env) {
  inputs = { ...inputs };
  if (env !== null) {
    inputs.env = normalizeName(env, 'environment name', '--env');
  } else if (variables[ENV_VARIABLE] !== undefined) {
    origin.envOverride = variables[ENV_VARIABLE];
    try {
      inputs.env = normalizeName(origin.envOverride, 'environment name', ENV_VARIABLE);
    } catch (error) {
      throw new ConfigError(error.message);
    }
  }
  if (namespace !== null) {
    inputs.namespace = normalizeName(namespace, 'namespace', '--namespace');
  } else if (variables[NAMESPACE_VARIABLE] !== undefined) {
    origin.namespaceOverride = variables[NAMESPACE_VARIABLE];
    inputs.namespace = normalizeName(origin.namespaceOverride, 'namespace', NAMESPACE_VARIABLE);
  }
  if (variables[PINS_VARIABLE] !== undefined) {
    const overrides = parsePinOverrides(variables[PINS_VARIABLE]);
    // The file's pins were checked when it was read: each is named as the file writes it.
    const merged = new Map();
    for (const [id, pin] of inputs.pins ?? new Map()) {
      merged.set(id, { ...pin, label: `pins[${pyrepr(formatPinKey(pin.service, pin.env))}]` });
    }
    for (const [id, pin] of overrides) {
      merged.set(id, pin);
      origin.pinOverrides[formatPinKey(pin.service, pin.env)] = pin.port;
    }
    label = `${label} with ${PINS_VARIABLE}`;
    const pins = new Map();
    const owners = new Map();
    try {
      for (const { service, env, port, label: name } of merged.values()) addPin(pins, owners, service, env, port, name);
    } catch (error) {
      if (error instanceof StableportError) throw new ConfigError(`${label}: ${error.message}`, { cause: error });
      throw error;
    }
    inputs.pins = pins;
  }
  return [inputs, label];
}

