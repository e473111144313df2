// stableport for JavaScript: the same ports as the Python library, from the
// same configuration (docs/configuration.md), synchronously.
//
//   import { portFor } from 'stableport';
//   portFor('web');                    // the project's port of web
//   portFor('web', { env: 'test' });   // in the environment test

import { loadWithOrigin } from './config.js';
import { InvalidTypeError, excerpt } from './errors.js';

export {
  AlgorithmVersionError, ConfigError, HashFunctionError, InstanceError, InvalidNameError,
  InvalidTypeError, PinConflictError, PortRangeError, RangeExhaustedError, StableportError,
  UnknownServiceError,
} from './errors.js';
export { PortMap } from './portmap.js';
export { normalizeName, UNICODE_VERSION } from './names.js';

const LOOKUP_CACHE_SIZE = 4096;
let defaultMap = null;
const lookups = new Map();

/**
 * The project's map: the file at path, else $STABLEPORT_CONFIG, else the
 * first stableport.toml or pyproject.toml with [tool.stableport] from cwd
 * upward, else the built-in defaults; then the STABLEPORT_* variables of
 * `variables`, and env, namespace and instance as the command line's --env,
 * --namespace and --instance. A new map each call.
 */
export function load(pathOrOptions = undefined, options = {}) {
  const given = typeof pathOrOptions === 'object' && pathOrOptions !== null && !(pathOrOptions instanceof URL) && !Buffer.isBuffer(pathOrOptions)
    ? pathOrOptions
    : { ...options, path: pathOrOptions ?? null };
  const { path = null, cwd = null, variables = process.env, namespace = null, instance = null, env = null } = given;
  const [map, origin] = loadWithOrigin({ path, cwd, variables, namespace, instance, env });
  map.configPath = origin.path;
  map.origin = origin;
  return map;
}

/**
 * The stable port of service name in env (default: $STABLEPORT_ENV, else the
 * configuration's env, else "default"). The first call loads the project's
 * map; later calls answer from memory and touch no file. Inside a live test
 * run (STABLEPORT_TEST_RUN and STABLEPORT_TEST_PORTS, set by the pytest
 * fixture for the processes it starts), the run's map answers with the
 * test's ports (docs/configuration.md, "Inside a test run").
 */
export function portFor(name, { env = null } = {}) {
  if (env !== null && typeof env !== 'string') {
    throw new InvalidTypeError(`environment name must be a str, not ${typeof env}: ${excerpt(env)} (portFor's env is an environment's name, such as 'test')`);
  }
  const key = env === null ? name : `${name}\0${env}`;
  if (typeof name === 'string') {
    const known = lookups.get(key);
    if (known !== undefined) return known;
  }
  defaultMap ??= load();
  const port = defaultMap.portFor(name, env);
  if (typeof name === 'string' && lookups.size < LOOKUP_CACHE_SIZE) lookups.set(key, port);
  return port;
}

/** Forget the loaded map, so the next portFor reads the configuration and environment again. */
export function reload() {
  defaultMap = null;
  lookups.clear();
}
