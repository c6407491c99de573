// The built CLI as a user runs it: spawn bin/packsec.js on a copy of a fixture project and compare
// what it prints with snapshots (timings and paths normalised).
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { fixturesDir, runCli, tmpProject } from './helpers.js';
import { matchSnapshot, normalize } from './snapshot.js';

function fixtureCopy(name: string): string {
  const dir = tmpProject({}, `packsec-cli-${name}-`);
  cpSync(join(fixturesDir, name), dir, { recursive: true });
  return dir;
}

describe('packsec init', () => {
  it('writes the policy and the lock and prints a summary', () => {
    const dir = fixtureCopy('basic');
    const r = runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '', 'human output goes to stderr');
    matchSnapshot('init-basic', normalize(r.stderr, dir));
    matchSnapshot('init-basic-policy', readFileSync(join(dir, 'packsec.policy.json'), 'utf8'));
    const lock = JSON.parse(readFileSync(join(dir, 'packsec.lock.json'), 'utf8'));
    assert.equal(lock.packages['node_modules/left-pad'].version, '1.0.0');
    assert.match(lock.packages['node_modules/left-pad'].files['index.js'], /^sha256-[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(lock.packages['node_modules/native-thing'].scripts, { install: 'node-gyp rebuild' });
  });

  it('prints one JSON document on stdout with --json', () => {
    const dir = fixtureCopy('basic');
    const r = runCli(['init', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const data = JSON.parse(r.stdout);
    assert.equal(data.stats.packages, 5);
    assert.equal(data.needNothing, 2);
    assert.deepEqual(data.categories.network, ['fetcher']);
    assert.deepEqual(data.categories['fs-read'], ['config-reader']);
    assert.deepEqual(data.categories.native, ['native-thing']);
    assert.deepEqual(data.categories.scripts, ['native-thing']);
    assert.equal(data.categories.spawn, undefined, 'the unreached test file does not count');
  });

  it('keeps hand edits on a re-run and reports what changed', () => {
    const dir = fixtureCopy('basic');
    assert.equal(runCli(['init'], dir).code, 0);
    const file = join(dir, 'packsec.policy.json');
    const policy = JSON.parse(readFileSync(file, 'utf8'));
    policy.packages['left-pad'] = { globals: ['process.env.PAD_CHAR'] };
    delete policy.packages.fetcher.globals;
    writeFileSync(file, JSON.stringify(policy, null, 2));
    // The package changes: it now also writes files.
    writeFileSync(join(dir, 'node_modules/config-reader/index.js'), readFileSync(join(dir, 'node_modules/config-reader/index.js'), 'utf8') + "\nrequire('fs').writeFileSync('x', 'y');\n");
    const r = runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    matchSnapshot('init-rerun', normalize(r.stderr, dir));
    const after = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(after.packages['left-pad'], { globals: ['process.env.PAD_CHAR'] });
    assert.equal(after.packages.fetcher.globals, undefined);
    assert.ok(after.packages['config-reader'].builtins.includes('fs.writeFileSync'));
  });

  it('refuses a broken policy with exit 2, naming the path, and writes nothing', () => {
    const dir = fixtureCopy('basic');
    const broken = '{ "version": 1, "packages": { "left-pad": { "builtins": ["fs", 42] } } }\n';
    writeFileSync(join(dir, 'packsec.policy.json'), broken);
    const r = runCli(['init'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /packsec\.policy\.json: packages\["left-pad"\]\.builtins\[1\]: expected a string, got 42/);
    assert.equal(readFileSync(join(dir, 'packsec.policy.json'), 'utf8'), broken);
    assert.equal(existsSync(join(dir, 'packsec.lock.json')), false);
    const j = runCli(['init', '--json'], dir);
    assert.equal(JSON.parse(j.stdout).error.code, 'POLICY_INVALID');
  });

  it('exits 2 without node_modules, unless package.json declares no dependencies (npm makes none then)', () => {
    const r = runCli(['init'], tmpProject({ 'package.json': { name: 'app', version: '1.0.0', dependencies: { 'left-pad': '^1.0.0' } } }));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no node_modules in .*\n {2}install dependencies first/);
    const none = tmpProject({ 'package.json': { name: 'app', version: '1.0.0', devDependencies: {} }, 'app.js': "console.log('ran');\n" });
    const init = runCli(['init'], none);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stderr, /analysed 0 packages/);
    assert.equal(runCli(['run', 'app.js'], none).stdout, 'ran\n');
    assert.equal(runCli(['check'], none).code, 0);
  });
});

describe('packsec explain and report', () => {
  it('explains a package with file:line evidence', () => {
    const dir = fixtureCopy('basic');
    runCli(['init'], dir);
    const r = runCli(['explain', 'config-reader'], dir);
    assert.equal(r.code, 0, r.stderr);
    matchSnapshot('explain-config-reader', normalize(r.stderr, dir));
    const j = JSON.parse(runCli(['explain', 'config-reader', '--json'], dir).stdout);
    const read = j.capabilities.find((c: { capability: string }) => c.capability === 'builtins:fs.readFileSync');
    assert.deepEqual(read.evidence[0], { file: 'node_modules/config-reader/index.js', line: 5, column: 16, text: "const text = readFileSync(file, 'utf8');" });
  });

  it('exits 2 for a package that is not installed', () => {
    const dir = fixtureCopy('basic');
    const r = runCli(['explain', 'no-such-package'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"no-such-package" is not installed/);
  });

  it('reports the tree by category, text and JSON', () => {
    const dir = fixtureCopy('basic');
    runCli(['init'], dir);
    const policy = JSON.parse(readFileSync(join(dir, 'packsec.policy.json'), 'utf8'));
    policy.packages.hackity = { trust: 'full' };
    writeFileSync(join(dir, 'packsec.policy.json'), JSON.stringify(policy));
    const r = runCli(['report'], dir);
    assert.equal(r.code, 0, r.stderr);
    matchSnapshot('report-basic', normalize(r.stderr, dir));
    const j = JSON.parse(runCli(['report', '--json'], dir).stdout);
    assert.deepEqual(j.trusted, ['hackity']);
    // Its hosts are computed, so it may reach any host: "net:*".
    assert.deepEqual(j.categories.network, [{ name: 'fetcher', capabilities: ['builtins:http.request', 'net:*'] }]);
    assert.equal(j.packages.hackity.source, 'hand-edited');
  });
});

describe('usage', () => {
  it('prints help, version, and refuses unknown commands and options with exit 2', () => {
    const dir = tmpProject();
    assert.equal(runCli(['--help'], dir).code, 0);
    assert.match(runCli(['--version'], dir).stdout, /^\d+\.\d+\.\d+\n$/);
    const unknown = runCli(['frobnicate'], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const badOption = runCli(['init', '--frob'], dir);
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /Unknown option '--frob'/);
  });
});

describe('start-up', () => {
  // Every module each command loads, as a loader hook sees it.
  function loadedBy(args: string[], dir: string): string[] {
    const log = join(dir, 'loaded.txt');
    const hook = join(dir, 'hook.mjs');
    const logger = `export async function load(url, context, next) { if (url.startsWith('file:')) (await import('node:fs')).appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }`;
    writeFileSync(hook, `import { register } from 'node:module';\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(logger)}));\n`);
    const r = runCli(args, dir, { NODE_OPTIONS: `--import=${pathToFileURL(hook).href}` });
    assert.equal(r.code, 0, r.stderr);
    return readFileSync(log, 'utf8').trim().split('\n');
  }
  // The registry, the approval gateway and what they bring (a database driver, a web framework, WebAuthn).
  const SERVER_ONLY = /\/build\/src\/(registry|approval)\/(?!errors\.js$)|\/node_modules\/(pg|hono|@hono|@simplewebauthn|@electric-sql)\//;

  it('packsec run and --version load none of the registry and the approval gateway', () => {
    const dir = tmpProject({ 'packsec.policy.json': { version: 1, packages: {} }, 'app.js': "console.log('ran');\n" });
    for (const args of [['--version'], ['run', '--no-verify', 'app.js']]) {
      const loaded = loadedBy(args, dir);
      assert.ok(loaded.some((u) => u.includes('/build/src/cli/')), `${args.join(' ')}: the hook saw the CLI load`);
      assert.deepEqual(loaded.filter((u) => SERVER_ONLY.test(u)), [], args.join(' '));
    }
  });
});

describe('hostile names', () => {
  it('analyses code whose free variables are named like Object.prototype members', () => {
    const dir = tmpProject({
      'node_modules/proto-names/package.json': { name: 'proto-names', version: '1.0.0', main: 'index.js' },
      'node_modules/proto-names/index.js': 'module.exports = hasOwnProperty(toString) + constructor + __proto__;\n',
    });
    const r = runCli(['init', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const policy = JSON.parse(readFileSync(join(dir, 'packsec.policy.json'), 'utf8'));
    assert.deepEqual(policy.packages['proto-names'].globals, ['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
  });
});

describe('init writes what run accepts', () => {
  it('names globals with odd keys in a policy that validates, and warns about those it cannot name', () => {
    const dir = tmpProject({
      'node_modules/odd/package.json': { name: 'odd', version: '1.0.0', main: 'index.js' },
      'node_modules/odd/index.js': "var store = global['__core-js_shared__'] || (global['__core-js_shared__'] = {});\nmodule.exports = globalThis['a.b'];\n",
      'app.js': "require('odd'); console.log('ran');\n",
    });
    assert.equal(runCli(['init'], dir).code, 0);
    const policy = JSON.parse(readFileSync(join(dir, 'packsec.policy.json'), 'utf8'));
    assert.deepEqual(policy.packages.odd.globals, ['__core-js_shared__']);
    const r = runCli(['run', 'app.js'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ran\n');
    assert.match(runCli(['explain', 'odd'], dir).stderr, /computed-global .*reads the global "a\.b", which a policy cannot name/);
  });
});
