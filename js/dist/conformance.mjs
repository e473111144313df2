// library:internals
import { __internals } from "./stableport.mjs";
var internals_default = __internals();

// library:src/errors.js
var { AlgorithmVersionError, ConfigError, HashFunctionError, InstanceError, InvalidNameError, InvalidTypeError, PinConflictError, PortRangeError, RangeExhaustedError, StableportError, UnknownServiceError, excerpt, pyrepr, shown } = internals_default["src/errors.js"];

// library:src/hash.js
var { HASHED_PROBES, hash, jump, keyBytes, keyPrefix, probeSequence } = internals_default["src/hash.js"];

// library:src/names.js
var { MAX_NAME_LENGTH, RESERVED_CHARACTERS, UNICODE_VERSION, normalizeName } = internals_default["src/names.js"];

// library:src/portmap.js
var { GIVE_TEST_PORTS, PortMap, checkAlgorithm } = internals_default["src/portmap.js"];

// src/config-op.js
import { join, relative, sep } from "node:path";

// library:src/config.js
var { CONFIG_VARIABLE, ENV_VARIABLE, NAMESPACE_VARIABLE, PINS_VARIABLE, loadWithOrigin, readSettings, settings } = internals_default["src/config.js"];

// src/config-op.js
var fromRoot = (root, path) => {
  const inside = relative(root, path);
  return inside.startsWith("..") ? path : inside.split(sep).join("/");
};
function configOperation({ root, cwd = ".", variables = {}, flags = {}, lookups = [] }) {
  const options = {
    path: flags.config ?? null,
    namespace: flags.namespace ?? null,
    instance: flags.instance ?? null,
    env: flags.env ?? null,
    cwd: join(root, cwd),
    variables
  };
  let map = null;
  let failure = null;
  let answer2;
  try {
    const [loaded, origin] = loadWithOrigin(options);
    map = loaded;
    answer2 = {
      map: {
        config: origin.path === null ? null : fromRoot(root, origin.path),
        services: map.services,
        envs: map.envs,
        env: map.env,
        namespace: map.namespace,
        range: map.range,
        exclude: map.exclude,
        pins: map.pins,
        strict: map.strict,
        default_exclusions: map.defaultExclusions,
        instances: map.instances,
        instance: map.instance
      }
    };
  } catch (error) {
    if (!(error instanceof StableportError)) throw error;
    failure = error.kind;
    answer2 = { error: failure };
  }
  answer2.ports = lookups.map(([service, asked]) => {
    const env = asked ?? options.env;
    try {
      return map === null ? failure : map.portFor(service, env);
    } catch (error) {
      if (error instanceof StableportError) return error.kind;
      throw error;
    }
  });
  return answer2;
}

// src/protocol.js
var MAP_KEYS = /* @__PURE__ */ new Set([
  "services",
  "envs",
  "env",
  "namespace",
  "range",
  "exclude",
  "pins",
  "default_exclusions",
  "strict",
  "algorithm",
  "overlay",
  "overlays",
  "before",
  "instances",
  "instance"
]);
function buildMap(spec) {
  const unknown = Object.keys(spec).find((key) => !MAP_KEYS.has(key));
  if (unknown !== void 0) throw new Error(`unsupported map key ${JSON.stringify(unknown)}`);
  let map = new PortMap({
    services: spec.services,
    envs: spec.envs,
    env: spec.env,
    namespace: spec.namespace,
    range: spec.range,
    exclude: spec.exclude,
    pins: spec.pins,
    strict: spec.strict,
    defaultExclusions: spec.default_exclusions,
    algorithm: spec.algorithm,
    instances: spec.instances,
    instance: spec.instance
  });
  const overlays = spec.overlays ?? (spec.overlay ? [spec.overlay] : []);
  for (const envs of overlays) {
    for (const [service, env] of spec.before ?? []) kindOf(() => map.portFor(service, env));
    map = map.overlay(envs);
  }
  return map;
}
function kindOf(f) {
  try {
    return f();
  } catch (error) {
    if (error instanceof StableportError) return error.kind;
    throw error;
  }
}
function answer(request) {
  try {
    switch (request.op) {
      case "hello":
        return { implementation: "stableport (JavaScript package, Node.js)", unicode: UNICODE_VERSION };
      case "hash":
        return { hash: hash(Buffer.from(request.key, "hex"), request.seed).toString(16).padStart(16, "0") };
      case "jump":
        return { bucket: jump(BigInt(`0x${request.key}`), request.buckets) };
      case "name":
        return { normalized: normalizeName(request.name) };
      case "map": {
        const map = buildMap(request.map);
        return { ports: request.lookups.map(([service, env]) => kindOf(() => map.portFor(service, env))) };
      }
      case "config":
        return configOperation(request);
      default:
        return { problem: `unknown op ${request.op}` };
    }
  } catch (error) {
    if (error instanceof StableportError) return { error: error.kind };
    throw error;
  }
}
export {
  answer,
  kindOf
};
