// Verified loading in `packsec run`: init records every installed file in the lock, then node_modules is
// tampered with the ways a compromise would (a changed file, one added and never loaded, one deleted, a
// swapped package.json, links out of a package, another version's folder, a copy the lock lacks), and
// the run must be refused with the file named; an untouched project runs as before. CommonJS and ES
// modules, JSON, native addons, workers and child processes.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { editJson, runCli, tmpProject, writeFiles, type Files } from './helpers.js';

const pkg = (name: string, extra: object = {}, version = '1.0.0') => ({ [`node_modules/${name}/package.json`]: { name, version, main: 'index.js', ...extra } });

const CJS: Files = {
  ...pkg('left-pad'),
  'node_modules/left-pad/index.js': "module.exports = (s) => ' ' + s + require('./data.json').end;\n",
  'node_modules/left-pad/data.json': '{ "end": "!" }\n',
  'node_modules/left-pad/other.js': 'module.exports = 2;\n',
  'evil.js': "module.exports = () => 'EVIL RAN';\n",
  'app.js': "console.log(require('left-pad')('hi'));\n",
};

const ESM: Files = {
  ...pkg('esm-pad', { type: 'module' }),
  'node_modules/esm-pad/index.js': "import data from './data.json' with { type: 'json' };\nexport default (s) => ' ' + s + data.end;\n",
  'node_modules/esm-pad/data.json': '{ "end": "!" }\n',
  'app.mjs': "import pad from 'esm-pad';\nconsole.log(pad('hi'));\n",
};

function initialised(files: Files): string {
  const dir = tmpProject(files);
  const r = runCli(['init'], dir);
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

const run = (dir: string, args: string[]) => runCli(['run', ...args], dir);
const HASH = 'sha256-[A-Za-z0-9+/=]{44}';

/** The denial must be the uncaught error (exit 1) and say what failed and how to fix it. */
function assertRefused(r: { code: number | null; stdout: string; stderr: string }, pattern: RegExp, what: string): void {
  assert.equal(r.code, 1, `${what}: ${r.stderr}`);
  assert.match(r.stderr, pattern, what);
  assert.match(r.stderr, /failed verification: .* — reinstall it \(`npsm ci`\), or run `packsec init` to record the change if it is intended/, what);
  assert.doesNotMatch(r.stdout, /EVIL RAN/, what);
}

describe('packsec run: verified loading', () => {
  it('runs an untouched project, CommonJS and ES modules alike', () => {
    const dir = initialised({ ...CJS, ...ESM });
    const cjs = run(dir, ['app.js']);
    assert.equal(cjs.code, 0, cjs.stderr);
    assert.equal(cjs.stdout, ' hi!\n');
    assert.equal(cjs.stderr, '');
    const esm = run(dir, ['app.mjs']);
    assert.equal(esm.code, 0, esm.stderr);
    assert.equal(esm.stdout, ' hi!\n');
  });

  it('refuses each kind of tampering, naming the file and, for changed files, both hashes', () => {
    const cases: [string, (d: string) => void, RegExp][] = [
      ['modified file that is loaded', (d) => writeFileSync(join(d, 'node_modules/left-pad/index.js'), "module.exports = () => 'EVIL RAN';\n"),
        new RegExp(`"left-pad" failed verification: node_modules/left-pad/index\\.js does not match packsec\\.lock\\.json: expected ${HASH}, got ${HASH}`)],
      ['modified JSON that is required', (d) => writeFileSync(join(d, 'node_modules/left-pad/data.json'), '{ "end": "EVIL RAN" }\n'),
        new RegExp(`node_modules/left-pad/data\\.json does not match packsec\\.lock\\.json: expected ${HASH}, got ${HASH}`)],
      ['added file, never loaded', (d) => writeFileSync(join(d, 'node_modules/left-pad/payload.js'), 'never loaded\n'),
        /node_modules\/left-pad differs from the 1\.0\.0 that packsec\.lock\.json records: added payload\.js/],
      ['deleted file', (d) => unlinkSync(join(d, 'node_modules/left-pad/other.js')), /differs from the 1\.0\.0 that packsec\.lock\.json records: removed other\.js/],
      ['swapped package.json', (d) => writeFileSync(join(d, 'node_modules/left-pad/package.json'), JSON.stringify({ name: 'left-pad', version: '1.0.0', main: 'other.js' })),
        new RegExp(`differs from the 1\\.0\\.0 that packsec\\.lock\\.json records: changed package\\.json \\(expected ${HASH}, got ${HASH}\\)`)],
      ['symlink in the package pointing outside it', (d) => symlinkSync('/etc', join(d, 'node_modules/left-pad/etc')), /differs from the 1\.0\.0 that packsec\.lock\.json records: added etc/],
      ['loaded file swapped for a link to a file outside node_modules', (d) => {
        unlinkSync(join(d, 'node_modules/left-pad/index.js'));
        symlinkSync(join(d, 'evil.js'), join(d, 'node_modules/left-pad/index.js'));
      }, /differs from the 1\.0\.0 that packsec\.lock\.json records: changed index\.js \(expected sha256-[^,]+, got symlink:\.\.\/\.\.\/evil\.js\)/],
      ['package folder replaced by another version', (d) => {
        rmSync(join(d, 'node_modules/left-pad'), { recursive: true });
        writeFiles(d, { ...pkg('left-pad', {}, '1.3.0'), 'node_modules/left-pad/index.js': "module.exports = () => 'EVIL RAN';\n" });
      }, /differs from the 1\.0\.0 that packsec\.lock\.json records: removed data\.json, other\.js; changed package\.json/],
      ['package folder replaced by a link to a folder outside node_modules', (d) => {
        rmSync(join(d, 'node_modules/left-pad'), { recursive: true });
        writeFiles(d, { 'elsewhere/package.json': { name: 'left-pad', version: '1.0.0', main: 'index.js' }, 'elsewhere/index.js': "module.exports = () => 'EVIL RAN';\n" });
        symlinkSync(join(d, 'elsewhere'), join(d, 'node_modules/left-pad'));
      }, /"left-pad" failed verification: node_modules\/left-pad is a link to elsewhere, which is not an installed package's folder/],
      ['lock missing the copy', (d) => editJson(join(d, 'packsec.lock.json'), (lock) => delete lock.packages['node_modules/left-pad']),
        /node_modules\/left-pad is not in packsec\.lock\.json/],
    ];
    for (const [what, tamper, pattern] of cases) {
      const dir = initialised(CJS);
      tamper(dir);
      assertRefused(run(dir, ['app.js']), pattern, what);
    }
  });

  it('refuses a tampered ES module and JSON module', () => {
    for (const [file, text] of [['index.js', "export default () => 'EVIL RAN';\n"], ['data.json', '{ "end": "EVIL RAN" }\n']] as const) {
      const dir = initialised(ESM);
      writeFileSync(join(dir, 'node_modules/esm-pad', file), text);
      assertRefused(run(dir, ['app.mjs']), new RegExp(`node_modules/esm-pad/${file.replace('.', '\\.')} does not match packsec\\.lock\\.json: expected ${HASH}, got ${HASH}`), file);
    }
  });

  it('refuses a file the lock records as a link leading out of its package', () => {
    const dir = tmpProject({ ...pkg('linker'), 'shared/helper.js': "module.exports = 'outside';\n", 'app.js': "console.log(require('linker'));\n" });
    mkdirSync(join(dir, 'node_modules/linker'), { recursive: true });
    symlinkSync('../../shared/helper.js', join(dir, 'node_modules/linker/index.js'));
    assert.equal(runCli(['init'], dir).code, 0);
    assertRefused(run(dir, ['app.js']), /"linker" names node_modules\/linker, but leads to shared\/helper\.js, outside that package's folder/, 'recorded link');
  });

  it('refuses a package\'s imports map that leads out of node_modules through a swapped file', () => {
    const dir = initialised({
      ...pkg('mapper', { imports: { '#helper': 'helper-dep' } }),
      'node_modules/mapper/index.js': "module.exports = require('#helper');\n",
      ...pkg('helper-dep'),
      'node_modules/helper-dep/index.js': "module.exports = 'helper';\n",
      'evil.js': "module.exports = 'EVIL RAN';\n",
      'app.js': "console.log(require('mapper'));\n",
    });
    assert.equal(run(dir, ['app.js']).stdout, 'helper\n');
    unlinkSync(join(dir, 'node_modules/helper-dep/index.js'));
    symlinkSync(join(dir, 'evil.js'), join(dir, 'node_modules/helper-dep/index.js'));
    assertRefused(run(dir, ['app.js']), /"mapper" failed verification: "#helper" leads to evil\.js, outside node_modules/, 'imports map');
  });

  it('reports and goes on in --warn mode; --no-verify does not check at all', () => {
    const dir = initialised(CJS);
    writeFileSync(join(dir, 'node_modules/left-pad/index.js'), "module.exports = () => 'changed';\n");
    const warned = run(dir, ['--warn', 'app.js']);
    assert.equal(warned.code, 0, warned.stderr);
    assert.equal(warned.stdout, 'changed\n');
    assert.match(warned.stderr, /^packsec \(warn\): "left-pad" failed verification: node_modules\/left-pad\/index\.js does not match/m);
    const unverified = run(dir, ['--no-verify', 'app.js']);
    assert.equal(unverified.code, 0, unverified.stderr);
    assert.equal(unverified.stdout, 'changed\n');
    assert.equal(unverified.stderr, '');
  });

  it('without a lock warns that nothing is verified, or refuses with --require-lock; a broken lock is exit 2', () => {
    const dir = initialised(CJS);
    rmSync(join(dir, 'packsec.lock.json'));
    const r = run(dir, ['app.js']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, ' hi!\n');
    assert.match(r.stderr, /^packsec: no packsec\.lock\.json in .*: the code in node_modules is not verified \(run `packsec init` to record it\)\n$/);
    const required = run(dir, ['--require-lock', 'app.js']);
    assert.equal(required.code, 2);
    assert.match(required.stderr, /no packsec\.lock\.json in .*, and --require-lock was given/);
    assert.equal(required.stdout, '');
    writeFileSync(join(dir, 'packsec.lock.json'), '{"lockfileVersion": 1, "packages": {"node_modules/left-pad": {"name": "left-pad", "version": "1.0.0", "files": {"index.js": 7}}}}');
    const broken = run(dir, ['app.js']);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /packsec\.lock\.json: packages\["node_modules\/left-pad"\]\.files\["index\.js"\]: expected a string, got 7/);
    assert.equal(broken.stdout, '');
  });

  it('verifies native addons before they are opened', () => {
    const dir = initialised({
      ...pkg('addon'),
      'node_modules/addon/index.js': "try { require('./build/addon.node'); } catch (e) { if (e.code === 'PACKSEC_DENIED') throw e; module.exports = 'dlopen: ' + e.code; }\n",
      'node_modules/addon/build/addon.node': 'not really a shared object',
      'app.js': "console.log(require('addon'));\n",
    });
    editJson(join(dir, 'packsec.policy.json'), (policy) => (policy.packages.addon = { native: true }));
    const untouched = run(dir, ['app.js']);
    assert.equal(untouched.code, 0, untouched.stderr);
    assert.equal(untouched.stdout, 'dlopen: ERR_DLOPEN_FAILED\n');
    writeFileSync(join(dir, 'node_modules/addon/build/addon.node'), 'another shared object');
    assertRefused(run(dir, ['app.js']), new RegExp(`node_modules/addon/build/addon\\.node does not match packsec\\.lock\\.json: expected ${HASH}, got ${HASH}`), 'native');
  });

  it('verifies in workers and child node processes, which inherit the runtime', () => {
    const files: Files = {
      ...pkg('pool'),
      'node_modules/pool/index.js': "const { Worker } = require('worker_threads');\nmodule.exports = (file) => new Promise((ok, fail) => { const w = new Worker(file); w.on('message', ok); w.on('error', (e) => ok('worker failed: ' + e.message)); });\n",
      'node_modules/pool/work.js': "require('worker_threads').parentPort.postMessage(require('./helper.js'));\n",
      'node_modules/pool/helper.js': "module.exports = 'helper ran';\n",
      'node_modules/pool/cli.js': "console.log(require('./helper.js'));\n",
      'app-worker.js': "const { Worker } = require('worker_threads');\nconst w = new Worker(require.resolve('pool/work.js'));\nw.on('message', (m) => console.log(m));\nw.on('error', (e) => { console.log('worker failed: ' + e.message); });\n",
      'package-worker.js': "require('pool')(require.resolve('pool/work.js')).then((m) => console.log(m));\n",
      'child.js': "const r = require('child_process').spawnSync(process.execPath, [require.resolve('pool/cli.js')], { encoding: 'utf8' });\nconsole.log(r.status, r.stdout.trim());\nprocess.stderr.write(r.stderr);\n",
    };
    const dir = initialised(files);
    // work.js is not reached from pool's entry point, so inference did not see what it uses.
    editJson(join(dir, 'packsec.policy.json'), (policy) => (policy.packages.pool = { builtins: ['worker_threads'] }));
    for (const entry of ['app-worker.js', 'package-worker.js']) {
      const r = run(dir, [entry]);
      assert.equal(r.stdout, 'helper ran\n', `${entry}: ${r.stderr}`);
    }
    assert.equal(run(dir, ['child.js']).stdout, '0 helper ran\n');
    writeFileSync(join(dir, 'node_modules/pool/helper.js'), "module.exports = 'EVIL RAN';\n");
    for (const entry of ['app-worker.js', 'package-worker.js']) {
      const r = run(dir, [entry]);
      assert.match(r.stdout, /^worker failed: packsec: "pool" failed verification: node_modules\/pool\/helper\.js does not match packsec\.lock\.json/, `${entry}: ${r.stderr}`);
    }
    const child = run(dir, ['child.js']);
    assert.equal(child.stdout, '1 \n', child.stderr);
    assert.match(child.stderr, /"pool" failed verification: node_modules\/pool\/helper\.js does not match packsec\.lock\.json/);
  });
});
