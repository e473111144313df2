// The conformance protocol's config operation (tests/vectors/README.md, the
// config layer): load the map in a file tree the runner made, with the
// case's variables and flags, and answer its inputs after precedence, or the
// error kind; then each lookup as portFor answers it.

import { join, relative, sep } from 'node:path';
import { loadWithOrigin } from './config.js';
import { StableportError } from './errors.js';

const fromRoot = (root, path) => {
  const inside = relative(root, path);
  return inside.startsWith('..') ? path : inside.split(sep).join('/');
};

export function configOperation({ root, cwd = '.', variables = {}, flags = {}, lookups = [] }) {
  const options = {
    path: flags.config ?? null,
    namespace: flags.namespace ?? null,
    instance: flags.instance ?? null,
    env: flags.env ?? null,
    cwd: join(root, cwd),
    variables,
  };
  let map = null;
  let failure = null;
  let answer;
  try {
    const [loaded, origin] = loadWithOrigin(options);
    map = loaded;
    answer = {
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
        instance: map.instance,
      },
    };
  } catch (error) {
    if (!(error instanceof StableportError)) throw error;
    failure = error.kind;
    answer = { error: failure };
  }
  // A live test run's ports are in the map loaded (docs/configuration.md), whose
  // failure is the lookup's. A lookup without an environment asks in --env's,
  // as `stableport NAME --env E` does.
  answer.ports = lookups.map(([service, asked]) => {
    const env = asked ?? options.env;
    try {
      return map === null ? failure : map.portFor(service, env);
    } catch (error) {
      if (error instanceof StableportError) return error.kind;
      throw error;
    }
  });
  return answer;
}
