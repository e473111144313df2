// Types of the stableport package (src/index.js).

/** Options of portFor. */
export interface PortForOptions {
  /** The environment's name (such as "test"); default: $STABLEPORT_ENV, else the configuration's env, else "default". */
  env?: string | null;
}

/** What load() reads: as the Python stableport.load() and the command line's flags. */
export interface LoadOptions {
  /** The configuration file, instead of $STABLEPORT_CONFIG and discovery (the command line's --config). */
  path?: string | URL | null;
  /** Where discovery starts, and what a relative path is relative to; default: process.cwd(). */
  cwd?: string | null;
  /** The environment variables to read the STABLEPORT_* ones from; default: process.env. */
  variables?: Record<string, string | undefined>;
  /** The map's default environment, over $STABLEPORT_ENV and the file's env (the command line's --env). */
  env?: string | null;
  /** The namespace, over $STABLEPORT_NAMESPACE and the file's (the command line's --namespace). */
  namespace?: string | null;
  /** The instance, over $STABLEPORT_INSTANCE and .stableport-instance (the command line's --instance). */
  instance?: string | number | null;
}

/** One declared (service, environment) and its port. */
export interface Assignment {
  service: string;
  env: string;
  port: number;
}

/** One step of a probe sequence, as explain() tells it. */
export interface Probe {
  step: number;
  port: number;
  verdict: 'taken' | 'excluded' | 'pinned' | 'held';
  reason: string;
}

/** Why a service has its port: the data of the Python Explanation. */
export interface Explanation {
  service: string;
  env: string;
  port: number;
  how: 'pinned' | 'hashed' | 'probed';
  /** The pin's key ('service' or 'service@env') when pinned, else null. */
  pin: string | null;
  /** The hashed key bytes in hex; null when pinned. */
  key: string | null;
  probes: Probe[];
}

/** Where a loaded map came from. */
export interface Origin {
  /** The configuration file read (absolute), or null for the built-in defaults. */
  path: string | null;
  envOverride: string | null;
  namespaceOverride: string | null;
  pinOverrides: Record<string, number>;
  /** "--instance", "STABLEPORT_INSTANCE" or the identity file's path; null for the plain map. */
  instanceSource: string | null;
}

/** The inputs of a map (docs/algorithm.md section 4). */
export interface PortMapInputs {
  services?: string[];
  envs?: string[] | null;
  env?: string | null;
  namespace?: string | null;
  range?: [number, number];
  exclude?: Array<number | [number, number]>;
  /** 'service' (every environment) or 'service@env' to port. */
  pins?: Record<string, number>;
  strict?: boolean;
  defaultExclusions?: boolean;
  algorithm?: number;
  instances?: number;
  instance?: number;
}

export class PortMap {
  constructor(inputs?: PortMapInputs);
  readonly services: string[];
  readonly envs: string[] | null;
  readonly env: string;
  readonly namespace: string | null;
  readonly range: [number, number];
  readonly exclude: Array<[number, number]>;
  readonly pins: Record<string, number>;
  readonly strict: boolean;
  readonly defaultExclusions: boolean;
  readonly instances: number;
  readonly instance: number;
  readonly overlayEnvs: string[];
  /** Set on a map load() returns: the file read, or null. */
  configPath?: string | null;
  origin?: Origin;
  /** The port of service name in env (default: the map's env). */
  portFor(name: string, env?: string | null): number;
  /** Every declared (service, env) and its port, sorted by service then env. */
  assignments(): Assignment[];
  /** Why name has its port in env. */
  explain(name: string, env?: string | null): Explanation;
  /** The map with envs resolved together above its home (as the pytest plugin's workers). */
  overlay(envs: string[]): PortMap;
  /** Every exclusion in force as [low, high, reason]: the defaults, then the map's own. */
  exclusionsInForce(): Array<[number, number, string]>;
}

/** The stable port of service name: the Python stableport.port_for's, from the same configuration. */
export function portFor(name: string, options?: PortForOptions): number;
/** The project's map, loaded now (a new one each call). */
export function load(path?: string | URL | LoadOptions | null, options?: LoadOptions): PortMap;
/** Forget the map portFor loaded: the next call reads the configuration and environment again. */
export function reload(): void;
/** The canonical form of a name (NFC of its case folding), or an InvalidNameError. */
export function normalizeName(value: string, kind?: string, where?: string): string;
/** The Unicode version of the case folding and categories names use. */
export const UNICODE_VERSION: string;

export class StableportError extends Error {
  /** The kind the conformance corpus names: a ConfigError's cause's, else the class's name. */
  readonly kind: string;
}
export class InvalidNameError extends StableportError {}
export class InvalidTypeError extends StableportError {}
export class PortRangeError extends StableportError {}
export class RangeExhaustedError extends PortRangeError {}
export class PinConflictError extends StableportError {}
export class UnknownServiceError extends StableportError {}
export class AlgorithmVersionError extends StableportError {}
export class HashFunctionError extends StableportError {}
export class InstanceError extends StableportError {}
/** A configuration file or variable is missing, unreadable or invalid; cause: the error of the value refused. */
export class ConfigError extends StableportError {}
