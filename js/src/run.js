// stableport-js run: a command on its service's port, with the variables and
// placeholders of the Python command line's `stableport run` (docs/cli.md).

import { ConfigError, InvalidNameError, StableportError, excerpt, pyrepr } from './errors.js';

// {PORT}, {WEB_PORT}, {INSTANCE}: braces read as Python's str.format reads
// them: each {{ a literal {, each }} a literal }, an odd run on both sides
// holds the placeholder; ${PORT} is the shell's and left alone.
const PLACEHOLDER = /(\$?)(\{+)([A-Z0-9_]*PORT|INSTANCE)(\}+)/g;
const NOT_ALLOWED = /[^A-Z0-9]+/g;
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const KEEP_PORT_VARIABLE = 'STABLEPORT_KEEP_PORT';
// The variable each hosting platform sets in its processes: there, an inherited PORT is the one to bind.
const PLATFORMS = [['DYNO', 'Heroku'], ['K_SERVICE', 'Cloud Run'], ['GAE_SERVICE', 'App Engine'], ['RENDER', 'Render']];

/** The variable of a service: prefix + its name upper-cased, other runs '_', + '_PORT'. */
export function variableName(service, prefix = '') {
  const stem = service.toUpperCase().replace(NOT_ALLOWED, '_').replace(/^_+|_+$/g, '');
  if (!stem) throw new InvalidNameError(`service ${pyrepr(service)} has no ASCII letter or digit to name a variable after; rename it or export it by hand`);
  const name = `${prefix}${stem}_PORT`;
  if (!VARIABLE.test(name)) {
    throw new InvalidNameError(`service ${pyrepr(service)} would be exported as ${pyrepr(name)}, which starts with a digit; give a --prefix such as 'APP_'`);
  }
  return name;
}

/** run's variables: {named: variable -> port, refused: service -> why, shared: variable -> why}. */
export function nameable(ports, prefix = '') {
  if (prefix && !VARIABLE.test(prefix)) {
    throw new InvalidNameError(`--prefix ${pyrepr(prefix)} is not a valid variable name start; use ASCII letters, digits and '_', not starting with a digit`);
  }
  const owners = new Map();
  const result = { named: {}, refused: {}, shared: {} };
  for (const service of Object.keys(ports)) {
    try {
      const name = variableName(service, prefix);
      owners.set(name, [...(owners.get(name) ?? []), service]);
    } catch (error) {
      if (!(error instanceof InvalidNameError)) throw error;
      result.refused[service] = error.message.split(';')[0];
    }
  }
  for (const [name, services] of owners) {
    if (services.length === 1) {
      result.named[name] = ports[services[0]];
      continue;
    }
    const why = `services ${services.map(pyrepr).join(' and ')} would both be ${name}`;
    result.shared[name] = why;
    for (const service of services) result.refused[service] = why;
  }
  return result;
}

/** Whether run keeps an inherited PORT (a hosting platform's) rather than setting the service's. */
export function keepsPort(variables) {
  if (variables.PORT === undefined) return false;
  const choice = variables[KEEP_PORT_VARIABLE];
  if (choice === undefined) return platform(variables) !== null;
  if (choice !== '1' && choice !== '0') {
    throw new ConfigError(
      `${KEEP_PORT_VARIABLE}=${excerpt(choice)} is not 1 (keep the inherited PORT) or 0 (replace it with the service's port); set one of them, or unset it`,
    );
  }
  return choice === '1';
}

export function platform(variables) {
  const found = PLATFORMS.find(([variable]) => variables[variable]);
  return found ? `${found[1]} (${found[0]} is set)` : null;
}

/** arg with each placeholder replaced; an unknown one is an error. */
export function expand(arg, settings, index, shared = {}) {
  return arg.replace(PLACEHOLDER, (whole, dollar, open, name, close) => {
    if (dollar) return whole;
    if (open.length % 2 !== close.length % 2) {
      throw new StableportError(
        `run: argument ${index} ${excerpt(arg)} has ${open.length} '{' and ${close.length} '}' around ${name}; write {${name}} for the port, {{${name}}} for the text {${name}}`,
      );
    }
    const before = '{'.repeat(Math.floor(open.length / 2));
    const after = '}'.repeat(Math.floor(close.length / 2));
    if (open.length % 2 === 0) return `${before}${name}${after}`;
    if (!Object.hasOwn(settings, name)) {
      if (Object.hasOwn(shared, name)) {
        throw new StableportError(`run: argument ${index} ${excerpt(arg)} names {${name}}, which run does not set: ${shared[name]}; rename one of them`);
      }
      const known = Object.keys(settings).sort().map((known) => `{${known}}`).join(', ');
      throw new StableportError(`run: argument ${index} ${excerpt(arg)} names {${name}}, which run does not set; it sets ${known}`);
    }
    return `${before}${settings[name]}${after}`;
  });
}
