// Inference on a real tree installed from the npm registry during the test run, checked against
// facts a reviewer knows: debug uses tty, send uses fs, semver reads only NODE_DEBUG, esbuild has a script.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { builtinCategories, DANGEROUS } from '../src/analyze/index.js';
import type { Policy } from '../src/policy/index.js';
import { runCli, tmpProject } from './helpers.js';

// The packages the facts are about, plus enough common tooling (eslint, mocha, jsdom) for a tree of
// about 250 installed packages, the size the issue names.
const DEPS = {
  debug: '4.4.3', send: '1.2.0', ms: '2.1.3', 'js-yaml': '4.1.0', marked: '16.3.0', semver: '7.7.2', esbuild: '0.25.10', express: '5.1.0',
  eslint: '9.39.5', mocha: '11.7.2', jsdom: '26.1.0',
};

describe('a real tree from npm', { timeout: 300_000 }, () => {
  let dir = '';
  let policy: Policy;

  before(() => {
    dir = tmpProject({ 'package.json': { name: 'real-tree', version: '1.0.0', private: true, dependencies: DEPS } }, 'packsec-real-');
    execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], timeout: 240_000 });
    const r = runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    policy = JSON.parse(readFileSync(join(dir, 'packsec.policy.json'), 'utf8')) as Policy;
  });

  const entry = (name: string) => {
    const e = policy.packages[name];
    assert.ok(e, `${name} is in the policy`);
    return e;
  };
  const dangerousBuiltins = (name: string) =>
    (entry(name).builtins ?? []).filter((b) => builtinCategories(b).some((c) => DANGEROUS.has(c)));

  it('debug uses tty', () => {
    assert.ok((entry('debug').builtins ?? []).some((b) => b === 'tty' || b.startsWith('tty.')), JSON.stringify(entry('debug')));
  });

  it('send uses fs', () => {
    assert.ok((entry('send').builtins ?? []).some((b) => b === 'fs' || b.startsWith('fs.')), JSON.stringify(entry('send')));
  });

  it('ms, js-yaml, marked and semver use no dangerous built-ins', () => {
    for (const name of ['ms', 'js-yaml', 'marked', 'semver']) assert.deepEqual(dangerousBuiltins(name), [], name);
  });

  it('semver reads only process.env.NODE_DEBUG from the environment', () => {
    const env = (entry('semver').globals ?? []).filter((g) => g === 'process' || g.startsWith('process.env'));
    assert.deepEqual(env, ['process.env.NODE_DEBUG']);
  });

  it('esbuild has an install script, recorded in the lock but not allowed by the inferred policy', () => {
    assert.equal(entry('esbuild').scripts, undefined);
    const lock = JSON.parse(readFileSync(join(dir, 'packsec.lock.json'), 'utf8'));
    assert.match(lock.packages['node_modules/esbuild'].scripts.postinstall, /node install\.js/);
    assert.match(lock.packages['node_modules/esbuild'].integrity, /^sha512-/);
  });

  it('is a tree of about 250 installed packages', () => {
    const lock = JSON.parse(readFileSync(join(dir, 'packsec.lock.json'), 'utf8'));
    assert.ok(Object.keys(lock.packages).length >= 240, `${Object.keys(lock.packages).length} installed copies`);
  });

  it('express reaches the network through http, and every installed package has an entry', () => {
    assert.ok((entry('express').builtins ?? []).includes('http.createServer'));
    const installed = JSON.parse(readFileSync(join(dir, 'node_modules', '.package-lock.json'), 'utf8')).packages as Record<string, unknown>;
    const names = new Set(Object.keys(installed).map((p) => p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length)));
    for (const n of names) assert.ok(policy.packages[n], `${n} has a policy entry`);
  });
});
