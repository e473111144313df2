import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { load } from '../dist/stableport.mjs';
import { clean, tree } from './helpers.js';

const BIN = new URL('../bin/stableport-js.js', import.meta.url).pathname;
const SERVICES = 'services = ["web", "api", "billing-api"]\nenv = "dev"\ninstances = 2\n';

const cli = (args, { cwd, variables = clean(), stdio } = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { cwd, env: variables, encoding: 'utf8', stdio });

test('stableport-js NAME prints the port load() gives', () => {
  const root = tree({ 'stableport.toml': SERVICES });
  const map = load({ cwd: root, variables: clean() });
  assert.deepEqual([cli(['web'], { cwd: root }).stdout, cli(['web'], { cwd: root }).status], [`${map.portFor('web')}\n`, 0]);
  assert.equal(cli(['web', '--env', 'test'], { cwd: root }).stdout, `${map.portFor('web', 'test')}\n`);
  assert.equal(cli(['web', '--instance', '1'], { cwd: root }).stdout, `${load({ cwd: root, variables: clean(), instance: 1 }).portFor('web')}\n`);
});

test('run sets PORT, every NAME_PORT and the placeholders, and passes on what was chosen', () => {
  const root = tree({ 'stableport.toml': SERVICES });
  const map = load({ cwd: root, variables: clean(), instance: 2 });
  const script = 'const e = process.env; console.log(JSON.stringify([process.argv.slice(1), e.PORT, e.WEB_PORT, e.API_PORT, e.BILLING_API_PORT, e.STABLEPORT_INSTANCE, e.STABLEPORT_ENV]))';
  const result = cli(['run', 'web', '--instance', '2', '--env', 'DEV', '--', process.execPath, '-e', script, '--', '--port={PORT}', '{{PORT}}', '{{{API_PORT}}}', 'i{INSTANCE}', '${PORT}'], { cwd: root });
  assert.equal(result.stderr, '');
  const [argv, port, web, api, billing, instance, env] = JSON.parse(result.stdout);
  assert.deepEqual(argv.slice(-5), [`--port=${map.portFor('web')}`, '{PORT}', `{${map.portFor('api')}}`, 'i2', '${PORT}']);
  assert.deepEqual([port, web, api, billing], [map.portFor('web'), map.portFor('web'), map.portFor('api'), map.portFor('billing-api')].map(String));
  assert.deepEqual([instance, env], ['2', 'dev']);
});

test("run's status is the command's, 127 for one not found, 128+N for a signal", () => {
  const root = tree({ 'stableport.toml': SERVICES });
  assert.equal(cli(['run', 'web', '--', process.execPath, '-e', 'process.exit(7)'], { cwd: root }).status, 7);
  const missing = cli(['run', 'web', '--', 'no-such-command-here'], { cwd: root });
  assert.equal(missing.status, 127);
  assert.match(missing.stderr, /command 'no-such-command-here' not found on PATH/);
  const killed = cli(['run', 'web', '--', process.execPath, '-e', 'process.kill(process.pid, "SIGTERM")'], { cwd: root });
  assert.equal(killed.signal, 'SIGTERM');
});

test('an unknown placeholder, a bad configuration and a usage mistake exit 2 with one line', () => {
  const root = tree({ 'stableport.toml': SERVICES });
  const unknown = cli(['run', 'web', '--', 'echo', '{WEBB_PORT}'], { cwd: root });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /names \{WEBB_PORT\}, which run does not set; it sets \{API_PORT\}, \{BILLING_API_PORT\}, \{INSTANCE\}, \{PORT\}, \{WEB_PORT\}/);
  const bad = cli(['web'], { cwd: tree({ 'stableport.toml': 'strict = 1\n' }) });
  assert.deepEqual([bad.status, bad.stdout], [2, '']);
  assert.match(bad.stderr, /^stableport-js: error: .*stableport.toml: key 'strict' in the top level must be true or false, not an integer 1\n$/);
  assert.equal(cli([], { cwd: root }).status, 2);
  assert.equal(cli(['web', '--', 'echo'], { cwd: root }).status, 2);
});

test('a full stdout exits 2; a reader that went away exits 141 quietly', () => {
  const root = tree({ 'stableport.toml': SERVICES });
  const full = cli(['web'], { cwd: root, stdio: ['ignore', openSync('/dev/full', 'w'), 'pipe'] });
  assert.equal(full.status, 2);
  assert.match(full.stderr, /cannot write the output/);
  const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" web | true; echo "\${PIPESTATUS:-$?}"`], { cwd: root, env: clean(), encoding: 'utf8' });
  assert.equal(piped.status, 0);
});

test("run inside a test run gives the test's ports", () => {
  const root = tree({ 'stableport.toml': SERVICES });
  const run = `${process.pid},,test,,0,${join(root, 'stableport.toml')}`;
  const result = cli(['run', 'web', '--', process.execPath, '-e', 'console.log(process.env.PORT, process.env.API_PORT)'], {
    cwd: root, variables: clean({ STABLEPORT_TEST_RUN: run, STABLEPORT_TEST_PORTS: 'web=23001,api=23002' }),
  });
  assert.equal(result.stdout, '23001 23002\n');
  // --env naming another environment: its ports, and none of the run's variables passed on.
  const other = cli(['run', 'web', '--env', 'dev', '--', process.execPath, '-e', 'console.log(process.env.PORT, process.env.STABLEPORT_TEST_RUN ?? "-")'], {
    cwd: root, variables: clean({ STABLEPORT_TEST_RUN: run, STABLEPORT_TEST_PORTS: 'web=23001,api=23002' }),
  });
  assert.equal(other.stdout, `${load({ cwd: root, variables: clean(), env: 'dev' }).portFor('web')} -\n`);
});

test('a hosting platform keeps its PORT, STABLEPORT_KEEP_PORT decides', () => {
  const root = tree({ 'stableport.toml': SERVICES });
  const echo = ['run', 'web', '--', process.execPath, '-e', 'console.log(process.env.PORT)'];
  assert.equal(cli(echo, { cwd: root, variables: clean({ PORT: '5000', DYNO: 'web.1' }) }).stdout, '5000\n');
  const port = load({ cwd: root, variables: clean() }).portFor('web');
  assert.equal(cli(echo, { cwd: root, variables: clean({ PORT: '5000' }) }).stdout, `${port}\n`);
  assert.equal(cli(echo, { cwd: root, variables: clean({ PORT: '5000', DYNO: 'x', STABLEPORT_KEEP_PORT: '0' }) }).stdout, `${port}\n`);
  assert.equal(cli(echo, { cwd: root, variables: clean({ PORT: '5000', STABLEPORT_KEEP_PORT: 'yes' }) }).status, 2);
});
