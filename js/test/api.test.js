import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as stableport from '../dist/stableport.mjs';
import { PortMap, load } from '../dist/stableport.mjs';
import { clean, tree } from './helpers.js';

const here = new URL('..', import.meta.url).pathname;

// A fresh Node process for the module-level portFor, whose first call loads the map.
function node(script, { cwd, variables }) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, env: variables, encoding: 'utf8' });
}

test('portFor answers from memory after its first call: the file may go away', () => {
  const root = tree({ 'stableport.toml': 'services = ["web"]\nnamespace = "shop"\n' });
  const script = `
    import { rmSync } from 'node:fs';
    import { portFor, load } from ${JSON.stringify(join(here, 'dist/stableport.mjs'))};
    const first = portFor('web');
    rmSync('stableport.toml');
    console.log(JSON.stringify([first, portFor('web'), portFor('WEB'), load().namespace]));`;
  const result = node(script, { cwd: root, variables: clean() });
  assert.equal(result.stderr, '');
  const [first, again, folded, after] = JSON.parse(result.stdout);
  assert.equal(first, again);
  assert.equal(first, folded);
  assert.equal(after, null); // load() reads again: the file is gone, so the defaults
  assert.equal(first, new PortMap({ services: ['web'], namespace: 'shop' }).portFor('web'));
});

test("portFor's env is the environment's name; an object there is refused", () => {
  const root = tree({ 'stableport.toml': 'services = ["web"]\nenvs = ["dev", "test"]\nenv = "dev"\n' });
  const script = `
    import { portFor } from ${JSON.stringify(join(here, 'dist/stableport.mjs'))};
    const out = [portFor('web'), portFor('web', { env: 'test' })];
    try { portFor('web', { env: process.env }); } catch (error) { out.push(error.name); }
    console.log(JSON.stringify(out));`;
  const [dev, testPort, refused] = JSON.parse(node(script, { cwd: root, variables: clean() }).stdout);
  const map = new PortMap({ services: ['web'], envs: ['dev', 'test'], env: 'dev' });
  assert.deepEqual([dev, testPort], [map.portFor('web'), map.portFor('web', 'test')]);
  assert.equal(refused, 'InvalidTypeError');
});

// STABLEPORT_TEST_RUN for a run of this test process (alive while the test runs).
function testRun(config, env = 'test') {
  return `${process.pid},,${env},,0,${config}`;
}

test("inside a live test run the run's map gives the test's ports", () => {
  const root = tree({ 'stableport.toml': 'services = ["web", "api"]\nenvs = ["dev", "test"]\n' });
  const config = join(root, 'stableport.toml');
  const script = `
    import { portFor } from ${JSON.stringify(join(here, 'dist/stableport.mjs'))};
    console.log(JSON.stringify([portFor('Web'), portFor('api'), portFor('web', { env: 'dev' })]));`;
  const run = (extra) => JSON.parse(node(script, { cwd: root, variables: clean(extra) }).stdout);
  const map = new PortMap({ services: ['web', 'api'], envs: ['dev', 'test'] });
  const live = { STABLEPORT_TEST_RUN: testRun(config), STABLEPORT_TEST_PORTS: 'web=23456' };
  // Listed: the test's port; not listed: the map's own in the run's environment;
  // another environment: the map's own there.
  assert.deepEqual(run(live), [23456, map.portFor('api', 'test'), map.portFor('web', 'dev')]);
  // A process the test started in another directory loads the run's file.
  const elsewhere = tree({});
  const away = node(script, { cwd: elsewhere, variables: clean(live) });
  assert.deepEqual(JSON.parse(away.stdout), [23456, map.portFor('api', 'test'), map.portFor('web', 'dev')]);
  // Ports without a run, and a run that has ended, are ignored: the project's ports.
  const plain = [map.portFor('web', 'default'), map.portFor('api', 'default'), map.portFor('web', 'dev')];
  assert.deepEqual(run({ STABLEPORT_TEST_PORTS: 'web=23456' }), plain);
  const ended = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
  assert.deepEqual(run({ ...live, STABLEPORT_TEST_RUN: `${ended},,test,,0,${config}` }), plain);
});

test('a malformed test run is an error naming it, never a guess', () => {
  const root = tree({ 'stableport.toml': 'services = ["web"]\n' });
  const variables = clean({ STABLEPORT_TEST_RUN: '12,x,test,,0,', STABLEPORT_TEST_PORTS: 'web=1' });
  assert.throws(() => load({ cwd: root, variables }), {
    name: 'ConfigError',
    message: "STABLEPORT_TEST_RUN='12,x,test,,0,' is not PID,START,ENV,NAMESPACE,INSTANCE,CONFIG: START 'x' is not decimal digits; it is set by the stableport pytest fixture for the processes a test starts: unset it",
  });
  const named = clean({ STABLEPORT_TEST_RUN: testRun(join(root, 'stableport.toml')), STABLEPORT_TEST_PORTS: 'web@dev=1' });
  assert.throws(() => load({ cwd: root, variables: named }), /STABLEPORT_TEST_PORTS entry 'web@dev' names an environment/);
});

test('reload() reads the configuration and the environment again', () => {
  const root = tree({ 'stableport.toml': 'services = ["web"]\n' });
  const script = `
    import { portFor, reload } from ${JSON.stringify(join(here, 'dist/stableport.mjs'))};
    const before = portFor('web');
    process.env.STABLEPORT_PINS = 'web=9001';
    const cached = portFor('web');
    reload();
    console.log(JSON.stringify([before, cached, portFor('web')]));`;
  const [before, cached, after] = JSON.parse(node(script, { cwd: root, variables: clean() }).stdout);
  assert.equal(before, cached);
  assert.equal(after, 9001);
});

test('assignments and explain are data, as the Python map gives them', () => {
  const map = new PortMap({ services: ['billing', 'auth'], envs: ['dev', 'test'], pins: { billing: 8001 } });
  assert.deepEqual(map.assignments().map(({ service, env }) => `${service}@${env}`), ['auth@dev', 'auth@test', 'billing@dev', 'billing@test']);
  assert.deepEqual(map.assignments().filter(({ service }) => service === 'billing').map(({ port }) => port), [8001, 8001]);
  const pinned = map.explain('billing', 'dev');
  assert.deepEqual([pinned.how, pinned.pin, pinned.key, pinned.probes], ['pinned', 'billing', null, []]);
  const hashed = map.explain('auth', 'dev');
  assert.equal(hashed.port, map.portFor('auth', 'dev'));
  assert.equal(hashed.probes.at(-1).verdict, 'taken');
  assert.equal(Buffer.from(hashed.key, 'hex').toString(), 'stableport\0v1\0dev\0auth');
  // A crowded range: someone probes past another's port, and explain says whose.
  const crowded = new PortMap({ services: ['a', 'b', 'c', 'd', 'e'], range: [21000, 21004], defaultExclusions: false });
  const stories = crowded.services.map((name) => crowded.explain(name));
  assert.deepEqual(new Set(stories.map(({ port }) => port)).size, 5);
  assert.ok(stories.some(({ how }) => how === 'probed'));
  for (const story of stories) {
    for (const probe of story.probes.slice(0, -1)) assert.match(probe.reason, /^held by [a-e]@default \(its probe \d+/);
  }
});

test('the types declare every export of the module', () => {
  const declared = readFileSync(join(here, 'src/index.d.ts'), 'utf8');
  // But one: how dist/cli.mjs and dist/conformance.mjs reach the library's
  // modules (scripts/bundle.js), not part of the API, so left undeclared.
  assert.equal(typeof stableport.__internals, 'function');
  assert.doesNotMatch(declared, /__internals/);
  for (const name of Object.keys(stableport).filter((key) => key !== '__internals')) {
    assert.match(declared, new RegExp(`export (?:declare )?(?:function|class|const) ${name}\\b`), name);
  }
});

test('the library is in dist/stableport.mjs only: the command and the protocol import it', () => {
  // esbuild heads each module it bundles with a comment naming its path.
  const modules = (bundle) => {
    const text = readFileSync(join(here, 'dist', bundle), 'utf8');
    return new Set(text.match(/^\/\/ (?:src|node_modules)\/\S+$/gm));
  };
  const library = modules('stableport.mjs');
  assert.ok(library.has('// src/portmap.js') && library.has('// node_modules/smol-toml/dist/parse.js'));
  for (const bundle of ['cli.mjs', 'conformance.mjs']) {
    assert.deepEqual([...modules(bundle)].filter((module) => library.has(module)), [], bundle);
    assert.match(readFileSync(join(here, 'dist', bundle), 'utf8'), /^import \{ __internals \} from "\.\/stableport\.mjs";$/m);
  }
});

test('the Unicode table is what scripts/unicode.js writes from the pinned data', { skip: !hasUnicodeData() }, () => {
  execFileSync(process.execPath, [join(here, 'scripts/unicode.js'), '--check']);
});

function hasUnicodeData() {
  try {
    readFileSync(join(here, 'node_modules/@unicode/unicode-15.1.0/package.json'));
    return true;
  } catch {
    return false;
  }
}

test('load() takes a path, with the same answers as discovery', () => {
  const root = tree({ 'stableport.toml': 'services = ["web"]\n' });
  const found = load({ cwd: root, variables: clean() });
  const named = load(join(root, 'stableport.toml'), { variables: clean() });
  assert.equal(found.portFor('web'), named.portFor('web'));
  rmSync(join(root, 'stableport.toml'));
  writeFileSync(join(root, 'other.toml'), 'services = ["web"]\nnamespace = "x"\n');
  assert.notEqual(load(new URL(`file://${root}/other.toml`), { variables: clean() }).portFor('web'), named.portFor('web'));
});
