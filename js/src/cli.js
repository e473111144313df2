// stableport-js: the port of a service, and `run`, for npm scripts and shells
// on any OS (no $VAR expansion needed). A command of its own name beside the
// Python `stableport`, which has more commands (list, check, explain, ...).

import { readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { loadWithOrigin, CONFIG_VARIABLE, ENV_VARIABLE, NAMESPACE_VARIABLE } from './config.js';
import { StableportError } from './errors.js';
import { INSTANCE_VARIABLE } from './instance.js';
import { normalizeName } from './names.js';
import { expand, keepsPort, nameable } from './run.js';
import { TEST_PORTS_VARIABLE, TEST_RUN_VARIABLE } from './testports.js';

// cross-spawn: on Windows a command is often a .cmd shim (node_modules/.bin/vite.cmd),
// which child_process.spawn cannot start without a shell; cross-spawn finds it
// on PATH with PATHEXT and quotes its arguments for cmd.exe. Elsewhere it is spawn.
const spawn = createRequire(import.meta.url)('cross-spawn');

const USAGE = `usage: stableport-js NAME [--env ENV] [--config PATH] [--namespace NS] [--instance N]
       stableport-js run NAME [--env ENV] [--config PATH] [--namespace NS] [--instance N] [--prefix P] -- COMMAND [ARG ...]

The stable port of service NAME, from the project's stableport.toml or
pyproject.toml [tool.stableport] (found from the working directory upward,
or named by --config or STABLEPORT_CONFIG): the port the Python stableport
gives. run starts COMMAND with PORT set to NAME's port and every declared
service's port in NAME_PORT variables; in COMMAND's arguments {PORT},
{WEB_PORT} and {INSTANCE} become the values ({{PORT}} is the text {PORT}).
`;

const OPTIONS = {
  env: { type: 'string' }, config: { type: 'string' }, namespace: { type: 'string' },
  instance: { type: 'string' }, prefix: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
};

class Usage extends Error {}

// Exit statuses of the Python command line (docs/cli.md, "Exit status").
const USAGE_STATUS = 2;
const NOT_FOUND = 127;
const CANNOT_EXECUTE = 126;
const PIPE_CLOSED = 141;

function say(line) {
  try {
    writeSync(2, `${line}\n`);
  } catch { /* no stderr to tell */ }
}

/** Write text to stdout: the status if it cannot be written, else null. */
function output(text) {
  try {
    writeSync(1, text);
    return null;
  } catch (error) {
    if (error.code === 'EPIPE') return PIPE_CLOSED; // the reader went away: stop quietly
    say(`stableport-js: error: cannot write the output: ${error.message}`);
    return USAGE_STATUS;
  }
}

function parse(argv) {
  const cut = argv.indexOf('--');
  const own = cut < 0 ? argv : argv.slice(0, cut);
  const command = cut < 0 ? null : argv.slice(cut + 1);
  let parsed;
  try {
    parsed = parseArgs({ args: own, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new Usage(error.message);
  }
  const { values, positionals } = parsed;
  if (values.help || values.version) return { values, positionals, command };
  const run = positionals[0] === 'run';
  const names = run ? positionals.slice(1) : positionals;
  if (names.length !== 1) throw new Usage(names.length ? `one NAME, not ${names.length}` : 'NAME is missing');
  if (run && (command === null || command.length === 0)) throw new Usage('run: give the command after --');
  if (!run && command !== null) throw new Usage('a command after -- needs run: stableport-js run NAME -- COMMAND');
  if (!run && values.prefix !== undefined) throw new Usage('--prefix is run\'s');
  return { values, name: names[0], run, command };
}

export async function main(argv = process.argv.slice(2), variables = process.env) {
  let args;
  try {
    args = parse(argv);
  } catch (error) {
    if (!(error instanceof Usage)) throw error;
    say(USAGE.split('\n\n')[0]);
    say(`stableport-js: error: ${error.message}`);
    return USAGE_STATUS;
  }
  if (args.values.help) return output(USAGE) ?? 0;
  if (args.values.version) {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    return output(`stableport-js ${version}\n`) ?? 0;
  }
  try {
    const env = args.values.env === undefined ? null : normalizeName(args.values.env, 'environment name', '--env');
    // --env is the map's default environment, as STABLEPORT_ENV (which run passes on) is.
    const [map, origin] = loadWithOrigin({
      path: args.values.config ?? null,
      namespace: args.values.namespace ?? null,
      instance: args.values.instance ?? null,
      env,
      variables,
    });
    // Started by a test: a live test run's map answers with the test's ports (testports.js).
    const portOf = (service) => map.portFor(service, env);
    const port = portOf(args.name);
    if (!args.run) return output(`${port}\n`) ?? 0;
    return await run({ args, map, origin, env, port, portOf, variables });
  } catch (error) {
    if (!(error instanceof StableportError)) throw error;
    say(`stableport-js: error: ${error.message}`);
    return USAGE_STATUS;
  }
}

async function run({ args, map, origin, env, port, portOf, variables }) {
  const ports = Object.fromEntries(map.services.map((service) => [service, portOf(service)]));
  const names = nameable(ports, args.values.prefix ?? '');
  const service = normalizeName(args.name);
  if (Object.hasOwn(names.refused, service)) {
    throw new StableportError(`run: ${names.refused[service]}; rename the service or give a --prefix`);
  }
  const inherited = variables.PORT;
  const keep = keepsPort(variables);
  const settings = { ...names.named, PORT: keep && inherited !== undefined ? inherited : port, INSTANCE: map.instance };
  const argv = args.command.map((arg, index) => expand(arg, settings, index, names.shared));
  // The command's own lookups see the map run used: what was chosen is passed on.
  const named = args.values.config !== undefined || Boolean(variables[CONFIG_VARIABLE]);
  const chosen = {
    [CONFIG_VARIABLE]: named ? origin.path : undefined,
    [ENV_VARIABLE]: env ?? undefined,
    [NAMESPACE_VARIABLE]: args.values.namespace,
    // Always: the command's own identity (0: the plain map), for what it names after the checkout.
    [INSTANCE_VARIABLE]: String(map.instance),
  };
  const environment = { ...variables };
  const testRun = origin.testRun;
  if (testRun && env !== null && env !== testRun.env) {
    // Another environment than the test run's: the command's lookups must give
    // its ports too, as STABLEPORT_ENV says, not the run's.
    delete environment[TEST_RUN_VARIABLE];
    delete environment[TEST_PORTS_VARIABLE];
  }
  for (const [key, value] of Object.entries(chosen)) if (value !== undefined) environment[key] = value;
  for (const [key, value] of Object.entries(settings)) if (key !== 'INSTANCE') environment[key] = String(value);
  if (Object.keys(names.refused).length) {
    const services = Object.keys(names.refused).sort();
    const reasons = [...new Set(services.map((name) => names.refused[name]))].join('; ');
    say(`stableport-js: run: no variable for ${services.map((name) => `'${name}'`).join(', ')} (${reasons})`);
  }
  return start(argv, environment);
}

/** The command as a child, signals passed on; its status (128 + a signal's number) is ours. */
function start(argv, environment) {
  if (!argv[0]) {
    say("stableport-js: error: run: command '' not found (the command is empty)");
    return NOT_FOUND;
  }
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { env: environment, stdio: 'inherit' });
    const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const forward = (signal) => child.kill(signal);
    for (const signal of forwarded) process.on(signal, forward);
    child.on('error', (error) => {
      const where = argv[0].includes('/') ? '' : ' on PATH';
      if (error.code === 'ENOENT') say(`stableport-js: error: run: command '${argv[0]}' not found${where}`);
      else say(`stableport-js: error: run: cannot execute '${argv[0]}': ${error.message}`);
      resolve(error.code === 'ENOENT' ? NOT_FOUND : CANNOT_EXECUTE);
    });
    child.on('exit', (code, signal) => {
      for (const name of forwarded) process.off(name, forward);
      resolve(signal ? { signal } : code);
    });
  });
}
