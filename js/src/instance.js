// The checkout's instance (docs/instances.md): --instance, else
// $STABLEPORT_INSTANCE, else the .stableport-instance file beside the
// configuration, else none (the plain map). One place for the identity rule,
// as the Python library's apply_instance and parse_instance.

import { lstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, excerpt, shown } from './errors.js';
import { readBytes } from './files.js';
import { MAX_INSTANCES } from './defaults.js';
import { pythonStrip } from './text.js';

export const INSTANCE_VARIABLE = 'STABLEPORT_INSTANCE';
export const INSTANCE_FILE_NAME = '.stableport-instance';

const lexists = (path) => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

/**
 * The instance chosen for a configuration: {number, source}, or null for the
 * plain map. inputs.instances is the room the configuration declares; label
 * names the configuration in messages.
 */
export function instanceOf({ option = null, variables, configPath, inputs, label }) {
  let value = option === null ? null : String(option);
  let source = '--instance';
  if (value === null && variables[INSTANCE_VARIABLE] !== undefined) {
    [value, source] = [variables[INSTANCE_VARIABLE], INSTANCE_VARIABLE];
  }
  if (value === null && configPath !== null) {
    const path = join(dirname(configPath), INSTANCE_FILE_NAME);
    if (lexists(path)) [value, source] = [new TextDecoder('utf-8', { ignoreBOM: true }).decode(readBytes(path)), shown(path)];
  }
  if (value === null) return null;
  const number = parseInstance(value, source);
  const room = inputs.instances ?? 0;
  if (number > room) {
    throw new ConfigError(room
      ? `instance ${number} (from ${source}) is beyond instances = ${room} in ${label}; instances are 1 to ${room} (0: the plain map). Raise instances, or run stableport instance new for a free one`
      : `instance ${number} (from ${source}) needs room: ${label} declares no instances; add instances = N (N >= ${number}) to it, or remove ${source}`);
  }
  return { number, source };
}

/** An instance identity as written: a decimal 0-1000, space around it allowed. */
export function parseInstance(value, source) {
  const text = pythonStrip(value);
  if (!/^[0-9]+$/.test(text) || text.length > String(MAX_INSTANCES).length + 2) {
    throw new ConfigError(`instance ${excerpt(value)} (from ${source}) is not a whole number; write one from 0 (the plain map) to ${MAX_INSTANCES}`);
  }
  const number = Number(text);
  if (number > MAX_INSTANCES) throw new ConfigError(`instance ${number} (from ${source}) is above ${MAX_INSTANCES}, the most there are`);
  return number;
}
