import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, PinConflictError, PortRangeError, load } from '../dist/stableport.mjs';
import { clean, tree } from './helpers.js';

const SERVICES = 'services = ["web", "api"]\nenv = "dev"\n';

test('discovery goes upward and a stableport.toml wins over a pyproject.toml beside it', () => {
  const root = tree({
    'stableport.toml': SERVICES,
    'pyproject.toml': '[tool.stableport\nbroken',
    'a/b/.keep': '',
  });
  const map = load({ cwd: join(root, 'a/b'), variables: clean() });
  assert.equal(map.configPath, join(root, 'stableport.toml'));
  assert.deepEqual(map.services, ['api', 'web']);
  assert.equal(map.env, 'dev');
});

test('a pyproject.toml without the table is passed over, with it is read', () => {
  const root = tree({
    'stableport.toml': SERVICES,
    'a/pyproject.toml': '[project]\nname = "x"\n',
    'b/pyproject.toml': '[tool.stableport]\nservices = ["db"]\n',
  });
  assert.equal(load({ cwd: join(root, 'a'), variables: clean() }).configPath, join(root, 'stableport.toml'));
  assert.deepEqual(load({ cwd: join(root, 'b'), variables: clean() }).services, ['db']);
});

test('a candidate that is no file is an error naming it, never passed over', () => {
  const root = tree({ 'stableport.toml': SERVICES });
  mkdirSync(join(root, 'a/stableport.toml'), { recursive: true });
  assert.throws(() => load({ cwd: join(root, 'a'), variables: clean() }), (error) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /a\/stableport\.toml.*it is a directory, not a regular file/);
    return true;
  });
  symlinkSync('gone.toml', join(root, 'b.toml'));
  assert.throws(() => load(join(root, 'b.toml'), { variables: clean() }), /is a symbolic link to 'gone.toml', which does not exist/);
});

test('a FIFO is refused at once, not waited on', () => {
  const root = tree({});
  execFileSync('mkfifo', [join(root, 'stableport.toml')]);
  assert.throws(() => load({ cwd: root, variables: clean() }), /it is a FIFO \(named pipe\), not a regular file/);
});

test('a file over 4 MiB is refused, naming the limit', () => {
  const root = tree({ 'stableport.toml': `# ${'x'.repeat(4 * 1024 * 1024)}\n` });
  assert.throws(() => load({ cwd: root, variables: clean() }), /larger than 4,194,304 bytes/);
});

test('malformed TOML names the file and where', () => {
  const root = tree({ 'stableport.toml': 'services = ["web"\n' });
  assert.throws(() => load({ cwd: root, variables: clean() }), (error) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, new RegExp(`^${join(root, 'stableport.toml')}: invalid TOML: .*line`));
    return true;
  });
});

test('a key of the wrong type names the value, the file and the key', () => {
  const root = tree({ 'stableport.toml': 'strict = 1\n' });
  assert.throws(() => load({ cwd: root, variables: clean() }), {
    name: 'ConfigError',
    message: `${join(root, 'stableport.toml')}: key 'strict' in the top level must be true or false, not an integer 1`,
  });
  writeFileSync(join(root, 'stableport.toml'), 'servics = ["web"]\n');
  assert.throws(() => load({ cwd: root, variables: clean() }), /unknown key 'servics' in the top level; did you mean 'services'\?/);
});

test('a value PortMap refuses is a ConfigError caused by its own kind', () => {
  const root = tree({ 'stableport.toml': 'range = [30000, 20000]\n' });
  assert.throws(() => load({ cwd: root, variables: clean() }), (error) => {
    assert.ok(error instanceof ConfigError);
    assert.ok(error.cause instanceof PortRangeError);
    assert.equal(error.kind, 'PortRangeError');
    assert.equal(error.message, `${join(root, 'stableport.toml')}: range 30000-20000 is reversed: its low end must not exceed its high end`);
    return true;
  });
});

test('variables override the file, flags override variables', () => {
  const root = tree({ 'stableport.toml': `${SERVICES}namespace = "a"\ninstances = 2\n[pins]\nweb = 8001\n` });
  const variables = clean({
    STABLEPORT_ENV: 'Staging', STABLEPORT_NAMESPACE: 'B', STABLEPORT_PINS: 'web=9001, api@test=9002',
    STABLEPORT_INSTANCE: '1',
  });
  const map = load({ cwd: root, variables });
  assert.deepEqual([map.env, map.namespace, map.instance], ['staging', 'b', 1]);
  assert.deepEqual(map.pins, { 'api@test': 9002, web: 9001 });
  const flagged = load({ cwd: root, variables, namespace: 'C', instance: 2 });
  assert.deepEqual([flagged.namespace, flagged.instance], ['c', 2]);
});

test('a port pinned twice across the file and STABLEPORT_PINS is a PinConflictError', () => {
  const root = tree({ 'stableport.toml': '[pins]\nweb = 8001\n' });
  assert.throws(() => load({ cwd: root, variables: clean({ STABLEPORT_PINS: 'api=8001' }) }), (error) => {
    assert.ok(error.cause instanceof PinConflictError);
    assert.match(error.message, /with STABLEPORT_PINS: STABLEPORT_PINS entry 'api=8001' pins 'api' to port 8001, which pins\['web'\] already pins to 'web'/);
    return true;
  });
});

test('a Windows path in STABLEPORT_CONFIG names no file on POSIX', () => {
  const root = tree({ 'stableport.toml': SERVICES });
  assert.throws(
    () => load({ cwd: root, variables: clean({ STABLEPORT_CONFIG: 'C:\\proj\\stableport.toml' }) }),
    { name: 'ConfigError', message: "STABLEPORT_CONFIG='C:\\\\proj\\\\stableport.toml' names no file; point it at a stableport.toml or a pyproject.toml with a [tool.stableport] table, or unset it" },
  );
});

test('the identity file beside the configuration gives the instance', () => {
  const root = tree({ 'stableport.toml': `${SERVICES}instances = 3\n`, '.stableport-instance': ' 2\n' });
  const map = load({ cwd: root, variables: clean() });
  assert.equal(map.instance, 2);
  assert.equal(map.origin.instanceSource, join(root, '.stableport-instance'));
  rmSync(join(root, '.stableport-instance'));
  writeFileSync(join(root, '.stableport-instance'), '4');
  assert.throws(() => load({ cwd: root, variables: clean() }), /instance 4 \(from .*\) is beyond instances = 3/);
});

test('a file that is not UTF-8 leaves no trace in the next load (found by the property test)', () => {
  // Ends inside a character: a streaming decoder would keep its first byte.
  const bad = tree({ 'stableport.toml': Buffer.from('env = 1\n\xe2', 'latin1') });
  assert.throws(() => load({ cwd: bad, variables: clean() }), /not UTF-8 text \(unexpected end of data at byte 8\)/);
  const good = tree({ 'stableport.toml': 'exclude = []\n' });
  assert.deepEqual(load({ cwd: good, variables: clean() }).exclude, []);
});
