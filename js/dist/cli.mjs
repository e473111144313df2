// src/cli.js
import { readFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";

// library:internals
import { __internals } from "./stableport.mjs";
var internals_default = __internals();

// library:src/config.js
var { CONFIG_VARIABLE, ENV_VARIABLE, NAMESPACE_VARIABLE, PINS_VARIABLE, loadWithOrigin, readSettings, settings } = internals_default["src/config.js"];

// library:src/errors.js
var { AlgorithmVersionError, ConfigError, HashFunctionError, InstanceError, InvalidNameError, InvalidTypeError, PinConflictError, PortRangeError, RangeExhaustedError, StableportError, UnknownServiceError, excerpt, pyrepr, shown } = internals_default["src/errors.js"];

// library:src/instance.js
var { INSTANCE_FILE_NAME, INSTANCE_VARIABLE, UnreadableIdentityError, instanceOf, linkedWorktree, parseInstance, readIdentity } = internals_default["src/instance.js"];

// library:src/names.js
var { MAX_NAME_LENGTH, RESERVED_CHARACTERS, UNICODE_VERSION, normalizeName } = internals_default["src/names.js"];

// src/run.js
var PLACEHOLDER = /(\$?)(\{+)([A-Z0-9_]*PORT|INSTANCE)(\}+)/g;
var NOT_ALLOWED = /[^A-Z0-9]+/g;
var VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
var KEEP_PORT_VARIABLE = "STABLEPORT_KEEP_PORT";
var PLATFORMS = [["DYNO", "Heroku"], ["K_SERVICE", "Cloud Run"], ["GAE_SERVICE", "App Engine"], ["RENDER", "Render"]];
function variableName(service, prefix = "") {
  const stem = service.toUpperCase().replace(NOT_ALLOWED, "_").replace(/^_+|_+$/g, "");
  if (!stem) throw new InvalidNameError(`service ${pyrepr(service)} has no ASCII letter or digit to name a variable after; rename it or export it by hand`);
  const name = `${prefix}${stem}_PORT`;
  if (!VARIABLE.test(name)) {
    throw new InvalidNameError(`service ${pyrepr(service)} would be exported as ${pyrepr(name)}, which starts with a digit; give a --prefix such as 'APP_'`);
  }
  return name;
}
function nameable(ports, prefix = "") {
  if (prefix && !VARIABLE.test(prefix)) {
    throw new InvalidNameError(`--prefix ${pyrepr(prefix)} is not a valid variable name start; use ASCII letters, digits and '_', not starting with a digit`);
  }
  const owners = /* @__PURE__ */ new Map();
  const result = { named: {}, refused: {}, shared: {} };
  for (const service of Object.keys(ports)) {
    try {
      const name = variableName(service, prefix);
      owners.set(name, [...owners.get(name) ?? [], service]);
    } catch (error) {
      if (!(error instanceof InvalidNameError)) throw error;
      result.refused[service] = error.message.split(";")[0];
    }
  }
  for (const [name, services] of owners) {
    if (services.length === 1) {
      result.named[name] = ports[services[0]];
      continue;
    }
    const why = `services ${services.map(pyrepr).join(" and ")} would both be ${name}`;
    result.shared[name] = why;
    for (const service of services) result.refused[service] = why;
  }
  return result;
}
function keepsPort(variables) {
  if (variables.PORT === void 0) return false;
  const choice = variables[KEEP_PORT_VARIABLE];
  if (choice === void 0) return platform(variables) !== null;
  if (choice !== "1" && choice !== "0") {
    throw new ConfigError(
      `${KEEP_PORT_VARIABLE}=${excerpt(choice)} is not 1 (keep the inherited PORT) or 0 (replace it with the service's port); set one of them, or unset it`
    );
  }
  return choice === "1";
}
function platform(variables) {
  const found = PLATFORMS.find(([variable]) => variables[variable]);
  return found ? `${found[1]} (${found[0]} is set)` : null;
}
function expand(arg, settings2, index, shared = {}) {
  return arg.replace(PLACEHOLDER, (whole, dollar, open, name, close) => {
    if (dollar) return whole;
    if (open.length % 2 !== close.length % 2) {
      throw new StableportError(
        `run: argument ${index} ${excerpt(arg)} has ${open.length} '{' and ${close.length} '}' around ${name}; write {${name}} for the port, {{${name}}} for the text {${name}}`
      );
    }
    const before = "{".repeat(Math.floor(open.length / 2));
    const after = "}".repeat(Math.floor(close.length / 2));
    if (open.length % 2 === 0) return `${before}${name}${after}`;
    if (!Object.hasOwn(settings2, name)) {
      if (Object.hasOwn(shared, name)) {
        throw new StableportError(`run: argument ${index} ${excerpt(arg)} names {${name}}, which run does not set: ${shared[name]}; rename one of them`);
      }
      const known = Object.keys(settings2).sort().map((known2) => `{${known2}}`).join(", ");
      throw new StableportError(`run: argument ${index} ${excerpt(arg)} names {${name}}, which run does not set; it sets ${known}`);
    }
    return `${before}${settings2[name]}${after}`;
  });
}

// library:src/testports.js
var { TEST_PORTS_VARIABLE, TEST_RUN_VARIABLE, alive, applies, currentRun, parsePorts, parseRun } = internals_default["src/testports.js"];

// src/cli.js
var spawn = createRequire(import.meta.url)("cross-spawn");
var USAGE = `usage: stableport-js NAME [--env ENV] [--config PATH] [--namespace NS] [--instance N]
       stableport-js run NAME [--env ENV] [--config PATH] [--namespace NS] [--instance N] [--prefix P] -- COMMAND [ARG ...]

The stable port of service NAME, from the project's stableport.toml or
pyproject.toml [tool.stableport] (found from the working directory upward,
or named by --config or STABLEPORT_CONFIG): the port the Python stableport
gives. run starts COMMAND with PORT set to NAME's port and every declared
service's port in NAME_PORT variables; in COMMAND's arguments {PORT},
{WEB_PORT} and {INSTANCE} become the values ({{PORT}} is the text {PORT}).
`;
var OPTIONS = {
  env: { type: "string" },
  config: { type: "string" },
  namespace: { type: "string" },
  instance: { type: "string" },
  prefix: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" }
};
var Usage = class extends Error {
};
var USAGE_STATUS = 2;
var NOT_FOUND = 127;
var CANNOT_EXECUTE = 126;
var PIPE_CLOSED = 141;
function say(line) {
  try {
    writeSync(2, `${line}
`);
  } catch {
  }
}
function output(text) {
  try {
    writeSync(1, text);
    return null;
  } catch (error) {
    if (error.code === "EPIPE") return PIPE_CLOSED;
    say(`stableport-js: error: cannot write the output: ${error.message}`);
    return USAGE_STATUS;
  }
}
function parse(argv) {
  const cut = argv.indexOf("--");
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
  const run2 = positionals[0] === "run";
  const names = run2 ? positionals.slice(1) : positionals;
  if (names.length !== 1) throw new Usage(names.length ? `one NAME, not ${names.length}` : "NAME is missing");
  if (run2 && (command === null || command.length === 0)) throw new Usage("run: give the command after --");
  if (!run2 && command !== null) throw new Usage("a command after -- needs run: stableport-js run NAME -- COMMAND");
  if (!run2 && values.prefix !== void 0) throw new Usage("--prefix is run's");
  return { values, name: names[0], run: run2, command };
}
async function main(argv = process.argv.slice(2), variables = process.env) {
  let args;
  try {
    args = parse(argv);
  } catch (error) {
    if (!(error instanceof Usage)) throw error;
    say(USAGE.split("\n\n")[0]);
    say(`stableport-js: error: ${error.message}`);
    return USAGE_STATUS;
  }
  if (args.values.help) return output(USAGE) ?? 0;
  if (args.values.version) {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    return output(`stableport-js ${version}
`) ?? 0;
  }
  try {
    const env = args.values.env === void 0 ? null : normalizeName(args.values.env, "environment name", "--env");
    const [map, origin] = loadWithOrigin({
      path: args.values.config ?? null,
      namespace: args.values.namespace ?? null,
      instance: args.values.instance ?? null,
      env,
      variables
    });
    const portOf = (service) => map.portFor(service, env);
    const port = portOf(args.name);
    if (!args.run) return output(`${port}
`) ?? 0;
    return await run({ args, map, origin, env, port, portOf, variables });
  } catch (error) {
    if (!(error instanceof StableportError)) throw error;
    say(`stableport-js: error: ${error.message}`);
    return USAGE_STATUS;
  }
}
async function run({ args, map, origin, env, port, portOf, variables }) {
  const ports = Object.fromEntries(map.services.map((service2) => [service2, portOf(service2)]));
  const names = nameable(ports, args.values.prefix ?? "");
  const service = normalizeName(args.name);
  if (Object.hasOwn(names.refused, service)) {
    throw new StableportError(`run: ${names.refused[service]}; rename the service or give a --prefix`);
  }
  const inherited = variables.PORT;
  const keep = keepsPort(variables);
  const settings2 = { ...names.named, PORT: keep && inherited !== void 0 ? inherited : port, INSTANCE: map.instance };
  const argv = args.command.map((arg, index) => expand(arg, settings2, index, names.shared));
  const named = args.values.config !== void 0 || Boolean(variables[CONFIG_VARIABLE]);
  const chosen = {
    [CONFIG_VARIABLE]: named ? origin.path : void 0,
    [ENV_VARIABLE]: env ?? void 0,
    [NAMESPACE_VARIABLE]: args.values.namespace,
    // Always: the command's own identity (0: the plain map), for what it names after the checkout.
    [INSTANCE_VARIABLE]: String(map.instance)
  };
  const environment = { ...variables };
  const testRun = origin.testRun;
  if (testRun && env !== null && env !== testRun.env) {
    delete environment[TEST_RUN_VARIABLE];
    delete environment[TEST_PORTS_VARIABLE];
  }
  for (const [key, value] of Object.entries(chosen)) if (value !== void 0) environment[key] = value;
  for (const [key, value] of Object.entries(settings2)) if (key !== "INSTANCE") environment[key] = String(value);
  if (Object.keys(names.refused).length) {
    const services = Object.keys(names.refused).sort();
    const reasons = [...new Set(services.map((name) => names.refused[name]))].join("; ");
    say(`stableport-js: run: no variable for ${services.map((name) => `'${name}'`).join(", ")} (${reasons})`);
  }
  return start(argv, environment);
}
function start(argv, environment) {
  if (!argv[0]) {
    say("stableport-js: error: run: command '' not found (the command is empty)");
    return NOT_FOUND;
  }
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { env: environment, stdio: "inherit" });
    const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"];
    const forward = (signal) => child.kill(signal);
    for (const signal of forwarded) process.on(signal, forward);
    child.on("error", (error) => {
      const where = argv[0].includes("/") ? "" : " on PATH";
      if (error.code === "ENOENT") say(`stableport-js: error: run: command '${argv[0]}' not found${where}`);
      else say(`stableport-js: error: run: cannot execute '${argv[0]}': ${error.message}`);
      resolve(error.code === "ENOENT" ? NOT_FOUND : CANNOT_EXECUTE);
    });
    child.on("exit", (code, signal) => {
      for (const name of forwarded) process.off(name, forward);
      resolve(signal ? { signal } : code);
    });
  });
}
export {
  main
};
