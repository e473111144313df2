// The test run's ports, for code under test (docs/configuration.md, "Inside a
// test run", normative): while a pytest session's stableport fixture runs, its
// process sets STABLEPORT_TEST_RUN (which run: its process id and start time;
// which map: environment, namespace, instance, configuration file) and
// STABLEPORT_TEST_PORTS (the ports it handed out) for every process it starts.
// A reader honours them only while that process lives, and only for the run's
// own map. One reader here; the loader (config.js) applies it. As the Python
// library's _test_run.

import { readFileSync, realpathSync } from 'node:fs';
import { ConfigError, StableportError, excerpt } from './errors.js';
import { normalizeName } from './names.js';
import { PINS_VARIABLE, parsePinOverrides } from './overrides.js';

export const TEST_RUN_VARIABLE = 'STABLEPORT_TEST_RUN';
export const TEST_PORTS_VARIABLE = 'STABLEPORT_TEST_PORTS';

// Above every real process id; field 22 of /proc/PID/stat, counted after the command name's ')'.
const MAX_PID = 2 ** 31 - 1;
const START_FIELD = 22 - 3;
const decimal = (text) => /^[0-9]+$/.test(text);

/**
 * The live test run this process is part of, {pid, start, env, namespace,
 * instance, config, ports}, or null: none set, or one that has ended. A
 * malformed STABLEPORT_TEST_RUN or STABLEPORT_TEST_PORTS is a ConfigError.
 */
export function currentRun(variables) {
  const runValue = variables[TEST_RUN_VARIABLE];
  if (!runValue) return null; // STABLEPORT_TEST_PORTS alone names no run: ignored
  const run = parseRun(runValue);
  if (!alive(run.pid, run.start)) return null; // ended: both ignored, as if unset
  run.ports = parsePorts(variables[TEST_PORTS_VARIABLE] ?? '');
  return run;
}

/** STABLEPORT_TEST_RUN's fields: PID,START,ENV,NAMESPACE,INSTANCE,CONFIG (the last takes the rest). */
export function parseRun(value) {
  const fields = [];
  let rest = value;
  while (fields.length < 5 && rest.includes(',')) {
    fields.push(rest.slice(0, rest.indexOf(',')));
    rest = rest.slice(rest.indexOf(',') + 1);
  }
  fields.push(rest);
  let problem;
  if (fields.length < 6) {
    problem = `it has ${fields.length} field(s)`;
  } else {
    const [pid, start, env, namespace, instance, config] = fields;
    if (!decimal(pid) || !(Number(pid) >= 1 && Number(pid) <= MAX_PID)) {
      problem = `PID ${excerpt(pid)} is not a process id`;
    } else if (start && !decimal(start)) {
      problem = `START ${excerpt(start)} is not decimal digits`;
    } else if (!decimal(instance) || instance.length > 4) {
      problem = `INSTANCE ${excerpt(instance)} is not a whole number`;
    } else {
      try {
        const runEnv = normalizeName(env, 'environment name', `${TEST_RUN_VARIABLE}'s ENV`);
        const runNamespace = namespace ? normalizeName(namespace, 'namespace', `${TEST_RUN_VARIABLE}'s NAMESPACE`) : null;
        return { pid: Number(pid), start, env: runEnv, namespace: runNamespace, instance: Number(instance), config: config || null, ports: new Map() };
      } catch (error) {
        if (!(error instanceof StableportError)) throw error;
        problem = error.message;
      }
    }
  }
  throw new ConfigError(
    `${TEST_RUN_VARIABLE}=${excerpt(value)} is not PID,START,ENV,NAMESPACE,INSTANCE,CONFIG: ${problem}; it is set by the stableport pytest fixture for the processes a test starts: unset it`,
  );
}

/** STABLEPORT_TEST_PORTS: 'name=port,...', as STABLEPORT_PINS without '@env'. */
export function parsePorts(value) {
  if (!value) return new Map();
  let pins;
  try {
    pins = parsePinOverrides(value);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.message.replaceAll(PINS_VARIABLE, TEST_PORTS_VARIABLE));
    throw error;
  }
  const withEnv = [...pins.values()].find(({ env }) => env !== null);
  if (withEnv) {
    throw new ConfigError(
      `${TEST_PORTS_VARIABLE} entry '${withEnv.service}@${withEnv.env}' names an environment; its entries are name=port, the ports of the run's environment`,
    );
  }
  return new Map([...pins.values()].map(({ service, port }) => [service, port]));
}

/** Whether process pid lives and, where the OS tells its start time, started at start. */
export function alive(pid, start) {
  try {
    process.kill(pid, 0); // tests existence only, on POSIX and Windows alike
  } catch (error) {
    if (error.code !== 'EPERM') return false; // EPERM: it exists, another user's
  }
  if (!start) return true;
  const started = startTime(pid);
  return started === null || started === start;
}

function startTime(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(')') + 1).trim().split(/\s+/);
  return fields.length > START_FIELD ? fields[START_FIELD] : null;
}

/**
 * Whether the map of configPath, namespace and instance is the run's own. The
 * namespace as the configuration writes it, compared normalized as the run's
 * is (a file's "Shop" is the run's "shop"); one that is no name is no run's.
 */
export function applies(run, configPath, namespace, instance) {
  let normalized = null;
  if (namespace !== null && namespace !== undefined) {
    try {
      normalized = normalizeName(namespace, 'namespace');
    } catch (error) {
      if (error instanceof StableportError) return false;
      throw error;
    }
  }
  if (normalized !== run.namespace || instance !== run.instance) return false;
  if (configPath === null || run.config === null) return configPath === run.config;
  if (configPath === run.config) return true;
  try {
    return realpathSync(configPath) === realpathSync(run.config);
  } catch {
    return false;
  }
}
