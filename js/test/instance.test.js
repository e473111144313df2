import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, load } from '../dist/stableport.mjs';
import { clean, tree } from './helpers.js';

const CONFIG = 'services = ["web"]\ninstances = 2\n';
const hasGit = spawnSync('git', ['--version']).status === 0;
const git = (cwd, ...args) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, stdio: 'pipe' });

// A repository with its configuration, and a linked worktree of it beside.
function repositoryWithWorktree() {
  const root = tree({ 'main/stableport.toml': CONFIG });
  git(join(root, 'main'), 'init', '-q');
  git(join(root, 'main'), 'add', '.');
  git(join(root, 'main'), 'commit', '-qm', 'project');
  git(join(root, 'main'), 'worktree', 'add', '-q', '../wt');
  return root;
}

test('a linked worktree without an identity never gets the plain map silently', { skip: !hasGit }, () => {
  const root = repositoryWithWorktree();
  // No Python stableport on PATH to give it one: an error naming what to do.
  const variables = clean({ PATH: '/nonexistent' });
  delete variables.CI;
  assert.throws(() => load({ cwd: join(root, 'wt'), variables }), (error) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /is a git worktree with no instance of its own.*run stableport instance new there once, or set STABLEPORT_INSTANCE=N/);
    return true;
  });
  // In CI, and in the main worktree, the plain map, as the rule says.
  assert.equal(load({ cwd: join(root, 'wt'), variables: { ...variables, CI: 'true' } }).instance, 0);
  assert.equal(load({ cwd: join(root, 'main'), variables }).instance, 0);
});

test("an identity file made for another checkout that exists is a copy's", { skip: !hasGit }, () => {
  const root = repositoryWithWorktree();
  writeFileSync(join(root, 'wt/.stableport-instance'), `1\nfor: ${JSON.stringify(join(root, 'main'))}\n`);
  const variables = clean({ CI: 'true' });
  assert.throws(() => load({ cwd: join(root, 'wt'), variables }), /was made for .*main, which still exists: this checkout is a copy of it.*\(CI=true is set\)/);
  writeFileSync(join(root, 'wt/.stableport-instance'), `1\nfor: ${JSON.stringify(join(root, 'wt'))}\n`);
  assert.equal(load({ cwd: join(root, 'wt'), variables }).instance, 1);
});
