// Answers to the conformance protocol's requests (tests/vectors/README.md),
// from the package's own code; used by conformance.js and by the Python
// property test's long-lived Node process.

import { StableportError } from './errors.js';
import { hash, jump } from './hash.js';
import { UNICODE_VERSION, normalizeName } from './names.js';
import { PortMap } from './portmap.js';
import { configOperation } from './config-op.js';

const MAP_KEYS = new Set([
  'services', 'envs', 'env', 'namespace', 'range', 'exclude', 'pins', 'default_exclusions',
  'strict', 'algorithm', 'overlay', 'overlays', 'before', 'instances', 'instance',
]);

function buildMap(spec) {
  const unknown = Object.keys(spec).find((key) => !MAP_KEYS.has(key));
  if (unknown !== undefined) throw new Error(`unsupported map key ${JSON.stringify(unknown)}`);
  let map = new PortMap({
    services: spec.services, envs: spec.envs, env: spec.env, namespace: spec.namespace,
    range: spec.range, exclude: spec.exclude, pins: spec.pins, strict: spec.strict,
    defaultExclusions: spec.default_exclusions, algorithm: spec.algorithm,
    instances: spec.instances, instance: spec.instance,
  });
  const overlays = spec.overlays ?? (spec.overlay ? [spec.overlay] : []);
  for (const envs of overlays) {
    for (const [service, env] of spec.before ?? []) kindOf(() => map.portFor(service, env));
    map = map.overlay(envs);
  }
  return map;
}

/** f's result, or the kind of the StableportError it throws. */
export function kindOf(f) {
  try {
    return f();
  } catch (error) {
    if (error instanceof StableportError) return error.kind;
    throw error;
  }
}

export function answer(request) {
  try {
    switch (request.op) {
      case 'hello':
        return { implementation: 'stableport (JavaScript package, Node.js)', unicode: UNICODE_VERSION };
      case 'hash':
        return { hash: hash(Buffer.from(request.key, 'hex'), request.seed).toString(16).padStart(16, '0') };
      case 'jump':
        return { bucket: jump(BigInt(`0x${request.key}`), request.buckets) };
      case 'name':
        return { normalized: normalizeName(request.name) };
      case 'map': {
        const map = buildMap(request.map);
        return { ports: request.lookups.map(([service, env]) => kindOf(() => map.portFor(service, env))) };
      }
      case 'config':
        return configOperation(request);
      default:
        return { problem: `unknown op ${request.op}` };
    }
  } catch (error) {
    if (error instanceof StableportError) return { error: error.kind };
    throw error;
  }
}
