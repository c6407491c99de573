// analyzeProject on installed trees: which packages and copies are found, which files are followed from
// which entry points, and how manifests (exports, imports, type, scripts, declarations) shape the result.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeProject, type PackageAnalysis, type ProjectAnalysis } from '../src/analyze/index.js';
import { fixturesDir, tmpProject, type Files } from './helpers.js';

async function analyze(files: Files, options: Parameters<typeof analyzeProject>[1] = {}): Promise<ProjectAnalysis> {
  return analyzeProject(tmpProject(files), { cacheFile: null, workers: 2, ...options });
}

function pkg(result: ProjectAnalysis, name: string): PackageAnalysis {
  const p = result.packages.find((x) => x.name === name);
  assert.ok(p, `package ${name} was not found (found: ${result.packages.map((x) => x.name).join(', ')})`);
  return p;
}

/** Files that contributed evidence of any kind. */
function evidenceFiles(p: PackageAnalysis): string[] {
  return [...new Set(Object.values(p.evidence).flat().map((e) => e.file))].sort();
}

const manifest = (name: string, extra: object = {}) => ({ name, version: '1.0.0', ...extra });

describe('the tripwire fixture (test/fixtures/tripwire)', () => {
  it('analyses without loading anything, and unreachable files never contribute', async () => {
    const result = await analyzeProject(join(fixturesDir, 'tripwire'), { cacheFile: null, workers: 1 });
    assert.deepEqual(result.packages.map((p) => p.name), ['hackity', 'lister']);
    const lister = pkg(result, 'lister');
    assert.deepEqual(lister.inferred, { builtins: ['os.homedir'] });
    assert.equal(lister.filesAnalysed, 1);
    assert.deepEqual(evidenceFiles(lister), ['node_modules/lister/lib/index.js']);
    assert.deepEqual(lister.warnings, []);
    // hackity throws when loaded: finding what it would do proves it was read, not run.
    const hackity = pkg(result, 'hackity');
    assert.deepEqual(hackity.inferred, { builtins: ['child_process.execSync'] });
    assert.equal(hackity.evidence['builtins:child_process.execSync']?.[0]?.line, 5);
  });
});

describe('packages and copies', () => {
  it('nested copies of the same name are merged into one entry', async () => {
    const result = await analyze({
      'node_modules/dup/package.json': manifest('dup'),
      'node_modules/dup/index.js': "require('fs').readFile('x')",
      'node_modules/user/package.json': manifest('user'),
      'node_modules/user/index.js': "require('dup')",
      'node_modules/user/node_modules/dup/package.json': { name: 'dup', version: '2.0.0' },
      'node_modules/user/node_modules/dup/index.js': 'process.env.DUP',
      'node_modules/user/node_modules/other/node_modules/dup/package.json': { name: 'dup', version: '1.0.0' },
      'node_modules/user/node_modules/other/node_modules/dup/index.js': 'Date.now()',
      'node_modules/user/node_modules/other/package.json': manifest('other'),
      'node_modules/user/node_modules/other/index.js': '',
    });
    assert.deepEqual(result.packages.map((p) => p.name), ['dup', 'other', 'user']);
    const dup = pkg(result, 'dup');
    assert.deepEqual(dup.copies.map((c) => c.path).sort(), [
      'node_modules/dup', 'node_modules/user/node_modules/dup', 'node_modules/user/node_modules/other/node_modules/dup',
    ]);
    assert.deepEqual([...dup.versions].sort(), ['1.0.0', '2.0.0']);
    assert.deepEqual(dup.inferred, { builtins: ['fs.readFile'], globals: ['Date.now', 'process.env.DUP'] });
    assert.equal(dup.filesAnalysed, 3);
    assert.equal(dup.evidence['globals:process.env.DUP']?.[0]?.file, 'node_modules/user/node_modules/dup/index.js');
    assert.deepEqual(pkg(result, 'user').inferred, { packages: ['dup'] });
    assert.equal(result.stats.copies, 5);
    assert.equal(result.stats.packages, 3);
  });

  it('scoped packages, at the top and nested', async () => {
    const result = await analyze({
      'node_modules/@s/p/package.json': manifest('@s/p'),
      'node_modules/@s/p/index.js': "require('os').homedir(); require('@s/q/sub'); require('@s/p/package.json')",
      'node_modules/@s/p/node_modules/@s/q/package.json': manifest('@s/q'),
      'node_modules/@s/p/node_modules/@s/q/sub.js': 'process.env.Q',
      'node_modules/@s/p/node_modules/@s/q/index.js': 'process.env.QINDEX',
    });
    assert.deepEqual(result.packages.map((p) => p.name), ['@s/p', '@s/q']);
    assert.deepEqual(pkg(result, '@s/p').inferred, { builtins: ['os.homedir'], packages: ['@s/q'] });
    assert.deepEqual(pkg(result, '@s/q').copies.map((c) => c.path), ['node_modules/@s/p/node_modules/@s/q']);
    assert.deepEqual(pkg(result, '@s/q').inferred, { globals: ['process.env.QINDEX'] });
  });

  it('a folder name that differs from the manifest name: the folder name wins, with a warning', async () => {
    const result = await analyze({
      'node_modules/alias/package.json': manifest('real-name'),
      'node_modules/alias/index.js': 'process.env.ALIAS',
    });
    const p = pkg(result, 'alias');
    assert.deepEqual(p.inferred, { globals: ['process.env.ALIAS'] });
    assert.match(p.warnings.find((w) => w.kind === 'declaration-invalid')?.message ?? '', /installed as "alias" but its package\.json names "real-name"/);
  });

  it('symlinked workspaces outside node_modules are the app, not dependencies; links into node_modules are', async () => {
    const root = tmpProject({
      'packages/ws/package.json': manifest('ws'),
      'packages/ws/index.js': "require('child_process').exec('x')",
      'node_modules/real/package.json': manifest('real'),
      'node_modules/real/index.js': 'process.env.REAL',
      'node_modules/holder/package.json': manifest('holder'),
      'node_modules/holder/index.js': '',
    });
    symlinkSync('../packages/ws', join(root, 'node_modules/ws'));
    mkdirSync(join(root, 'node_modules/holder/node_modules'));
    symlinkSync('../../real', join(root, 'node_modules/holder/node_modules/linked'));
    const result = await analyzeProject(root, { cacheFile: null, workers: 1 });
    // The link to a copy found at its own place does not add a second name for it.
    assert.deepEqual(result.packages.map((p) => p.name), ['holder', 'real']);
  });

  it('a pnpm layout: dependencies beside a package in .pnpm are found', async () => {
    const store = 'node_modules/.pnpm';
    const root = tmpProject({
      [`${store}/a@1.0.0/node_modules/a/package.json`]: manifest('a'),
      [`${store}/a@1.0.0/node_modules/a/index.js`]: "require('b'); require('@s/c')",
      [`${store}/b@2.0.0/node_modules/b/package.json`]: { name: 'b', version: '2.0.0' },
      [`${store}/b@2.0.0/node_modules/b/index.js`]: 'process.env.B',
      [`${store}/@s+c@1.0.0/node_modules/@s/c/package.json`]: manifest('@s/c'),
      [`${store}/@s+c@1.0.0/node_modules/@s/c/index.js`]: "require('b')",
      [`${store}/b@1.0.0/node_modules/b/package.json`]: manifest('b'),
      [`${store}/b@1.0.0/node_modules/b/index.js`]: 'Date.now()',
      [`${store}/unused@1.0.0/node_modules/unused/package.json`]: manifest('unused'),
      [`${store}/unused@1.0.0/node_modules/unused/index.js`]: '',
    });
    const link = (target: string, at: string) => {
      mkdirSync(join(root, at, '..'), { recursive: true });
      symlinkSync(target, join(root, at));
    };
    link('.pnpm/a@1.0.0/node_modules/a', 'node_modules/a');
    link('../../b@2.0.0/node_modules/b', `${store}/a@1.0.0/node_modules/b`);
    link('../../../@s+c@1.0.0/node_modules/@s/c', `${store}/a@1.0.0/node_modules/@s/c`);
    link('../../b@1.0.0/node_modules/b', `${store}/@s+c@1.0.0/node_modules/b`);
    const result = await analyzeProject(root, { cacheFile: null, workers: 1 });
    // Only what the app can reach: the store's other packages are not installed for it.
    assert.deepEqual(result.packages.map((p) => p.name), ['@s/c', 'a', 'b']);
    assert.deepEqual(pkg(result, 'b').versions.sort(), ['1.0.0', '2.0.0']);
    assert.deepEqual(pkg(result, 'b').inferred, { globals: ['Date.now', 'process.env.B'] });
    assert.deepEqual(pkg(result, '@s/c').copies.map((c) => c.path), [`${store}/a@1.0.0/node_modules/@s/c`]);
    assert.deepEqual(result.problems, []);
  });

  it('only: restricts the analysis to the named packages', async () => {
    const result = await analyze({
      'node_modules/a/package.json': manifest('a'),
      'node_modules/a/index.js': 'process.env.A',
      'node_modules/b/package.json': manifest('b'),
      'node_modules/b/index.js': 'process.env.B',
    }, { only: new Set(['b']) });
    assert.deepEqual(result.packages.map((p) => p.name), ['b']);
  });

  it('an empty project', async () => {
    const result = await analyze({});
    assert.deepEqual(result.packages, []);
    assert.deepEqual(result.problems, []);
  });
});

describe('entry points', () => {
  it('exports maps: conditions and * patterns pick the entry files; types and unexported files are skipped', async () => {
    const result = await analyze({
      'node_modules/ex/package.json': manifest('ex', {
        exports: {
          '.': { types: './types.d.ts', node: { import: './esm/index.mjs', require: './cjs/index.js' }, default: './browser.js' },
          './feat/*': './lib/feat/*.js',
          './package.json': './package.json',
        },
      }),
      'node_modules/ex/esm/index.mjs': "import { readFile } from 'fs'; readFile('x')",
      'node_modules/ex/cjs/index.js': "require('zlib').gzip('x')",
      'node_modules/ex/browser.js': 'fetch("x")',
      'node_modules/ex/lib/feat/a.js': "require('dns').lookup('x')",
      'node_modules/ex/lib/feat/deep/b.js': "require('dns').resolve('x')",
      'node_modules/ex/lib/other.js': "require('net').connect(1)",
      'node_modules/ex/types.d.ts': "import fs from 'fs'; export {}",
      'node_modules/ex/test/evil.js': "require('child_process').exec('x')",
    });
    const ex = pkg(result, 'ex');
    // dns.lookup('x') names a host; fetch("x") does not (not a URL), so any host stays allowed beside it.
    assert.deepEqual(ex.inferred, { builtins: ['dns.lookup', 'dns.resolve', 'fs.readFile', 'zlib.gzip'], globals: ['fetch'], net: ['*', 'x'] });
    assert.equal(ex.filesAnalysed, 5);
  });

  it('exports as a string and as an array', async () => {
    const result = await analyze({
      'node_modules/s/package.json': manifest('s', { exports: './main.js' }),
      'node_modules/s/main.js': 'process.env.S',
      'node_modules/s/index.js': 'process.env.NOT_S',
      'node_modules/arr/package.json': manifest('arr', { exports: [{ import: './a.mjs' }, './b.js'] }),
      'node_modules/arr/a.mjs': 'process.env.A',
      'node_modules/arr/b.js': 'process.env.B',
    });
    assert.deepEqual(pkg(result, 's').inferred, { globals: ['process.env.S'] });
    assert.deepEqual(pkg(result, 'arr').inferred, { globals: ['process.env.A', 'process.env.B'] });
  });

  it('main: a file without extension, a folder, or the default index.js', async () => {
    const result = await analyze({
      'node_modules/m1/package.json': manifest('m1', { main: './lib/main' }),
      'node_modules/m1/lib/main.js': 'process.env.M1',
      'node_modules/m2/package.json': manifest('m2', { main: 'lib' }),
      'node_modules/m2/lib/index.js': 'process.env.M2',
      'node_modules/m3/package.json': manifest('m3'),
      'node_modules/m3/index.js': 'process.env.M3',
      'node_modules/m3/other.js': 'process.env.NOT_M3',
    });
    assert.deepEqual(pkg(result, 'm1').inferred, { globals: ['process.env.M1'] });
    assert.deepEqual(pkg(result, 'm2').inferred, { globals: ['process.env.M2'] });
    assert.deepEqual(pkg(result, 'm3').inferred, { globals: ['process.env.M3'] });
  });

  it('bin files are not entries when there is a main', async () => {
    const result = await analyze({
      'node_modules/b/package.json': manifest('b', { main: 'lib.js', bin: { b: './cli.js' } }),
      'node_modules/b/lib.js': 'module.exports = 1',
      'node_modules/b/cli.js': "require('child_process').exec('x')",
    });
    assert.deepEqual(pkg(result, 'b').inferred, {});
    assert.equal(pkg(result, 'b').filesAnalysed, 1);
  });

  it('a bin-only package is analysed from its bin (including an extensionless node script)', async () => {
    const result = await analyze({
      'node_modules/tool/package.json': manifest('tool', { bin: './cli.js' }),
      'node_modules/tool/cli.js': "require('child_process').spawn('x')",
      'node_modules/noext/package.json': manifest('noext', { bin: { noext: 'bin/noext' } }),
      'node_modules/noext/bin/noext': "#!/usr/bin/env node\nrequire('child_process').fork('x')",
      'node_modules/shell/package.json': manifest('shell', { bin: { shell: 'bin/run' } }),
      'node_modules/shell/bin/run': '#!/bin/sh\nexec node "$@"\n',
    });
    assert.deepEqual(pkg(result, 'tool').inferred, { builtins: ['child_process.spawn'] });
    assert.deepEqual(pkg(result, 'noext').inferred, { builtins: ['child_process.fork'] });
    const shell = pkg(result, 'shell');
    assert.equal(shell.filesAnalysed, 0);
    assert.deepEqual(shell.warnings, []);
  });

  it('a bin that is also exported is still not an entry (least privilege: marked exports ./bin/marked)', async () => {
    const result = await analyze({
      'node_modules/eb/package.json': manifest('eb', { main: 'index.js', bin: 'cli.js', exports: { '.': './index.js', './cli': './cli.js' } }),
      'node_modules/eb/index.js': 'process.env.LIB',
      'node_modules/eb/cli.js': "require('child_process').fork('x')",
    });
    assert.deepEqual(pkg(result, 'eb').inferred, { globals: ['process.env.LIB'] });
  });

  it('a package that only exports its bin is analysed from it', async () => {
    const result = await analyze({
      'node_modules/eb/package.json': manifest('eb', { bin: 'cli.js', exports: './cli.js' }),
      'node_modules/eb/cli.js': "require('child_process').fork('x')",
    });
    assert.deepEqual(pkg(result, 'eb').inferred, { builtins: ['child_process.fork'] });
  });
});

describe('following files', () => {
  it('files not reachable from an entry are not analysed (tripwire)', async () => {
    const result = await analyze({
      'node_modules/t/package.json': manifest('t'),
      'node_modules/t/index.js': "module.exports = require('./lib/a')",
      'node_modules/t/lib/a.js': "require('../lib/b.js'); process.env.A",
      'node_modules/t/lib/b.js': 'process.env.B',
      'node_modules/t/test/evil.js': "require('child_process').exec('rm -rf ~')",
      'node_modules/t/lib/unused.js': "require('net').connect(1)",
    });
    const t = pkg(result, 't');
    assert.deepEqual(t.inferred, { globals: ['process.env.A', 'process.env.B'] });
    assert.equal(t.filesAnalysed, 3);
    assert.ok(!evidenceFiles(t).some((f) => f.includes('evil') || f.includes('unused')));
  });

  it('ESM imports, export-from and dynamic imports are followed', async () => {
    const result = await analyze({
      'node_modules/esm/package.json': manifest('esm', { type: 'module' }),
      'node_modules/esm/index.js': "import './a.js'; export * from './b.js'; export { c } from './c.js'; await import('./d.js')",
      'node_modules/esm/a.js': 'process.env.A',
      'node_modules/esm/b.js': 'process.env.B',
      'node_modules/esm/c.js': 'export const c = process.env.C',
      'node_modules/esm/d.js': 'process.env.D',
      'node_modules/esm/e.js': 'process.env.E',
    });
    assert.deepEqual(pkg(result, 'esm').inferred, { globals: ['process.env.A', 'process.env.B', 'process.env.C', 'process.env.D'] });
  });

  it("a computed require with a './locale/' prefix pulls in only the files under locale/", async () => {
    const result = await analyze({
      'node_modules/loc/package.json': manifest('loc'),
      'node_modules/loc/index.js': "module.exports = (lang) => require('./locale/' + lang)",
      'node_modules/loc/locale/en.js': 'process.env.EN',
      'node_modules/loc/locale/sub/fr.js': 'process.env.FR',
      'node_modules/loc/localex.js': 'process.env.LOCALEX',
      'node_modules/loc/other/x.js': 'process.env.OTHER',
    });
    const loc = pkg(result, 'loc');
    assert.deepEqual(loc.inferred, { globals: ['process.env.EN', 'process.env.FR'] });
    const w = loc.warnings.find((x) => x.kind === 'dynamic-require');
    assert.equal(w?.file, 'node_modules/loc/index.js');
    assert.match(w?.message ?? '', /starting with "\.\/locale\/"/);
  });

  it('a computed import() with a template prefix, in ESM', async () => {
    const result = await analyze({
      'node_modules/esm/package.json': manifest('esm', { type: 'module' }),
      'node_modules/esm/index.js': 'export const load = (x) => import(`./plugins/${x}.js`)',
      'node_modules/esm/plugins/p.js': 'process.env.P',
      'node_modules/esm/other.js': 'process.env.OTHER',
    });
    assert.deepEqual(pkg(result, 'esm').inferred, { globals: ['process.env.P'] });
  });

  it('a computed require with no literal prefix pulls in every file of the package', async () => {
    const result = await analyze({
      'node_modules/any/package.json': manifest('any'),
      'node_modules/any/index.js': 'module.exports = (x) => require(x)',
      'node_modules/any/a.js': 'process.env.A',
      'node_modules/any/deep/b.js': 'process.env.B',
      'node_modules/any/node_modules/dep/package.json': manifest('dep'),
      'node_modules/any/node_modules/dep/index.js': 'process.env.DEP',
    });
    assert.deepEqual(pkg(result, 'any').inferred, { globals: ['process.env.A', 'process.env.B'] });
  });

  it('required files without a .js extension run as JavaScript and are analysed; .json is not', async () => {
    const result = await analyze({
      'node_modules/nx/package.json': manifest('nx'),
      'node_modules/nx/index.js': "require('./lib/thing'); require('./data.txt'); require('./conf.json')",
      'node_modules/nx/lib/thing': "require('child_process').exec('x')",
      'node_modules/nx/data.txt': 'process.env.TXT',
      'node_modules/nx/conf.json': '{"process": 1}',
    });
    assert.deepEqual(pkg(result, 'nx').inferred, { builtins: ['child_process.exec'], globals: ['process.env.TXT'] });
    assert.equal(pkg(result, 'nx').filesAnalysed, 3);
  });

  it('self-reference through exports (plain and scoped names)', async () => {
    const result = await analyze({
      'node_modules/self/package.json': manifest('self', { exports: { '.': './index.js', './util': './src/util.js' } }),
      'node_modules/self/index.js': "require('self/util')",
      'node_modules/self/src/util.js': 'process.env.UTIL',
      'node_modules/@sc/self/package.json': manifest('@sc/self', { exports: { '.': './index.js', './x': { import: './x.mjs' } } }),
      'node_modules/@sc/self/index.js': "import('@sc/self/x')",
      'node_modules/@sc/self/x.mjs': 'process.env.SCOPED',
    });
    assert.deepEqual(pkg(result, 'self').inferred, { globals: ['process.env.UTIL'] });
    assert.deepEqual(pkg(result, '@sc/self').inferred, { globals: ['process.env.SCOPED'] });
  });

  it('#imports map: local targets are followed, package targets become package capabilities', async () => {
    const result = await analyze({
      'node_modules/imp/package.json': manifest('imp', {
        imports: {
          '#internal': './src/internal.js',
          '#cond': { node: './src/node.js', default: './src/browser.js' },
          '#dep': 'ext-dep',
          '#utils/*': './src/utils/*.js',
        },
      }),
      'node_modules/imp/index.js': "require('#internal'); require('#cond'); require('#dep'); require('#utils/a')",
      'node_modules/imp/src/internal.js': 'process.env.INTERNAL',
      'node_modules/imp/src/node.js': 'process.env.NODE',
      'node_modules/imp/src/browser.js': 'process.env.BROWSER',
      'node_modules/imp/src/utils/a.js': 'process.env.UTIL_A',
      'node_modules/imp/src/utils/b.js': 'process.env.UTIL_B',
    });
    assert.deepEqual(pkg(result, 'imp').inferred, {
      globals: ['process.env.BROWSER', 'process.env.INTERNAL', 'process.env.NODE', 'process.env.UTIL_A'],
      packages: ['ext-dep'],
    });
  });

  it('a relative require out of the package folder is not followed, and is reported', async () => {
    const result = await analyze({
      'node_modules/a/package.json': manifest('a'),
      'node_modules/a/index.js': "require('../b/secret')",
      'node_modules/b/package.json': manifest('b', { main: 'main.js' }),
      'node_modules/b/main.js': '',
      'node_modules/b/secret.js': "require('child_process').exec('x')",
    });
    const a = pkg(result, 'a');
    assert.deepEqual(a.inferred, {});
    assert.match(a.warnings.find((w) => w.kind === 'dynamic-require')?.message ?? '', /loads \.\.\/b\/secret, outside its own folder/);
    assert.deepEqual(pkg(result, 'b').inferred, {});
  });
});

describe('module kinds', () => {
  // Annex B makes a block-level function a function-scoped var in sloppy scripts only, so this line
  // reads process.env.X when analysed as a module and nothing when analysed as CommonJS.
  const probe = (key: string) => `{ function process() {} } process.env.${key}`;

  it('"type": "module", nested package.json overrides, .mjs and .cjs', async () => {
    const result = await analyze({
      'node_modules/m/package.json': manifest('m', { type: 'module' }),
      'node_modules/m/index.js': `import './cjs/x.js'; import './y.cjs'; import './esm-again/z.js'; ${probe('TOP')}`,
      'node_modules/m/y.cjs': probe('CJS_EXT'),
      'node_modules/m/cjs/package.json': { type: 'commonjs' },
      'node_modules/m/cjs/x.js': probe('CJS_DIR'),
      'node_modules/m/esm-again/package.json': {},
      'node_modules/m/esm-again/z.js': probe('NO_TYPE'),
      'node_modules/c/package.json': manifest('c'),
      'node_modules/c/index.js': `require('./a.mjs'); require('./sub/b.js'); ${probe('C_TOP')}`,
      'node_modules/c/a.mjs': probe('MJS'),
      'node_modules/c/sub/package.json': { type: 'module' },
      'node_modules/c/sub/b.js': probe('ESM_DIR'),
    });
    // A nested package.json without "type" means CommonJS, as in Node.
    assert.deepEqual(pkg(result, 'm').inferred, { globals: ['process.env.TOP'] });
    assert.deepEqual(pkg(result, 'c').inferred, { globals: ['process.env.ESM_DIR', 'process.env.MJS'] });
  });
});

describe('install scripts and native code', () => {
  it('lifecycle scripts: preinstall, install, postinstall count; others do not', async () => {
    const result = await analyze({
      'node_modules/post/package.json': manifest('post', { scripts: { postinstall: 'node x.js', test: 'tap', prepare: 'tsc' } }),
      'node_modules/post/index.js': '',
      'node_modules/pre/package.json': manifest('pre', { scripts: { preinstall: 'echo hi' } }),
      'node_modules/pre/index.js': '',
      'node_modules/none/package.json': manifest('none', { scripts: { test: 'tap', build: 'tsc' } }),
      'node_modules/none/index.js': '',
    });
    const post = pkg(result, 'post');
    assert.deepEqual(post.inferred, { scripts: true });
    assert.deepEqual(post.scripts, { postinstall: 'node x.js' });
    assert.deepEqual(post.evidence.scripts?.map((e) => [e.file, e.text]), [['node_modules/post/package.json', '"postinstall": "node x.js"']]);
    assert.deepEqual(pkg(result, 'pre').inferred, { scripts: true });
    assert.deepEqual(pkg(result, 'none').inferred, {});
    assert.deepEqual(pkg(result, 'none').scripts, {});
  });

  it('binding.gyp without an install script: npm runs node-gyp rebuild (scripts and native)', async () => {
    const result = await analyze({
      'node_modules/gyp/package.json': manifest('gyp'),
      'node_modules/gyp/binding.gyp': '{ "targets": [] }',
      'node_modules/gyp/index.js': '',
      'node_modules/own/package.json': manifest('own', { scripts: { install: 'prebuild-install || node-gyp rebuild' } }),
      'node_modules/own/binding.gyp': '{}',
      'node_modules/own/index.js': '',
      'node_modules/nogyp/package.json': manifest('nogyp', { gypfile: false }),
      'node_modules/nogyp/binding.gyp': '{}',
      'node_modules/nogyp/index.js': '',
    });
    const gyp = pkg(result, 'gyp');
    assert.deepEqual(gyp.inferred, { native: true, scripts: true });
    assert.deepEqual(gyp.scripts, { install: 'node-gyp rebuild' });
    assert.equal(gyp.evidence.native?.[0]?.file, 'node_modules/gyp/binding.gyp');
    assert.deepEqual(pkg(result, 'own').scripts, { install: 'prebuild-install || node-gyp rebuild' });
    const nogyp = pkg(result, 'nogyp');
    assert.deepEqual(nogyp.inferred, { native: true });
    assert.deepEqual(nogyp.scripts, {});
  });

  it('a .node file, a require of one, process.dlopen and native helper dependencies', async () => {
    const result = await analyze({
      'node_modules/file/package.json': manifest('file'),
      'node_modules/file/index.js': '',
      'node_modules/file/prebuilds/linux-x64/addon.node': 'not really ELF',
      'node_modules/req/package.json': manifest('req'),
      'node_modules/req/index.js': "module.exports = require('./build/Release/x.node')",
      'node_modules/dl/package.json': manifest('dl'),
      'node_modules/dl/index.js': 'process.dlopen(module, __dirname + "/x")',
      'node_modules/helper/package.json': manifest('helper', { dependencies: { 'node-gyp-build': '^4' } }),
      'node_modules/helper/index.js': '',
      'node_modules/plain/package.json': manifest('plain', { dependencies: { ms: '^2' } }),
      'node_modules/plain/index.js': '',
    });
    assert.deepEqual(pkg(result, 'file').inferred, { native: true });
    assert.deepEqual(pkg(result, 'file').evidence.native, [
      { file: 'node_modules/file/prebuilds/linux-x64/addon.node', line: 0, column: 0, text: 'compiled native addon' },
    ]);
    const req = pkg(result, 'req');
    assert.deepEqual(req.inferred, { native: true });
    assert.deepEqual(req.evidence.native?.map((e) => [e.file, e.line]), [['node_modules/req/index.js', 1]]);
    assert.deepEqual(pkg(result, 'dl').inferred, { globals: ['process.dlopen'], native: true });
    assert.deepEqual(pkg(result, 'helper').inferred, { native: true });
    assert.deepEqual(pkg(result, 'plain').inferred, {});
  });
});

describe('declarations', () => {
  it("a package's own packsec declaration is used instead of inference, with mismatch warnings", async () => {
    const result = await analyze({
      'node_modules/decl/package.json': manifest('decl', { packsec: { builtins: ['fs.readFile'], globals: ['process.env.HOME'] } }),
      'node_modules/decl/index.js': "const fs = require('fs');\nfs.readFile('x');\nfs.writeFile('y', '');\nprocess.env.HOME;\nDate.now();\n",
    });
    const p = pkg(result, 'decl');
    assert.equal(p.source, 'declared');
    assert.deepEqual(p.entry, { builtins: ['fs.readFile'], globals: ['process.env.HOME'] });
    assert.deepEqual(p.inferred, { builtins: ['fs.readFile', 'fs.writeFile'], globals: ['Date.now', 'process.env.HOME'] });
    const mismatches = p.warnings.filter((w) => w.kind === 'declaration-mismatch').map((w) => [w.message, w.file, w.line]);
    assert.deepEqual(mismatches.sort(), [
      ['inference found builtins fs.writeFile, which its "packsec" declaration does not list', 'node_modules/decl/index.js', 3],
      ['inference found globals Date.now, which its "packsec" declaration does not list', 'node_modules/decl/index.js', 5],
    ]);
  });

  it('a broader declaration covers what inference found: no mismatch', async () => {
    const result = await analyze({
      'node_modules/wide/package.json': manifest('wide', { packsec: { builtins: ['fs'], packages: ['ms'] } }),
      'node_modules/wide/index.js': "require('fs').readFile('x'); require('ms')",
    });
    const p = pkg(result, 'wide');
    assert.equal(p.source, 'declared');
    assert.deepEqual(p.entry, { builtins: ['fs'], packages: ['ms'] });
    assert.deepEqual(p.warnings, []);
  });

  it('an empty declaration means no capabilities, and mismatches say what inference found', async () => {
    const result = await analyze({
      'node_modules/none/package.json': manifest('none', { packsec: {} }),
      'node_modules/none/index.js': "require('ms')",
      'node_modules/none/binding.gyp': '{}',
    });
    const p = pkg(result, 'none');
    assert.equal(p.source, 'declared');
    assert.deepEqual(p.entry, {});
    assert.deepEqual(p.warnings.filter((w) => w.kind === 'declaration-mismatch').map((w) => w.message).sort(), [
      'inference found native, which its "packsec" declaration does not list',
      'inference found packages ms, which its "packsec" declaration does not list',
      'inference found scripts, which its "packsec" declaration does not list',
    ]);
  });

  it('when only some copies declare, inference is used', async () => {
    const result = await analyze({
      'node_modules/half/package.json': manifest('half', { packsec: { globals: ['process.env.A'] } }),
      'node_modules/half/index.js': 'process.env.A',
      'node_modules/x/package.json': manifest('x'),
      'node_modules/x/index.js': "require('half')",
      'node_modules/x/node_modules/half/package.json': { name: 'half', version: '2.0.0' },
      'node_modules/x/node_modules/half/index.js': 'process.env.B',
    });
    const p = pkg(result, 'half');
    assert.equal(p.source, 'inferred');
    assert.deepEqual(p.entry, { globals: ['process.env.A', 'process.env.B'] });
  });
});

describe('evidence', () => {
  it('has the file relative to the project, the line, the column and the source text', async () => {
    const result = await analyze({
      'node_modules/ev/package.json': manifest('ev'),
      'node_modules/ev/index.js': "'use strict';\n\nconst cp = require('child_process');\nmodule.exports = () => cp.exec('ls');\n",
      'node_modules/ev/node_modules/inner/package.json': manifest('inner'),
      'node_modules/ev/node_modules/inner/lib/x.js': '\n  process.env.TOKEN',
      'node_modules/ev/node_modules/inner/index.js': "require('./lib/x')",
    });
    assert.deepEqual(pkg(result, 'ev').evidence['builtins:child_process.exec'], [
      { file: 'node_modules/ev/index.js', line: 4, column: 24, text: "module.exports = () => cp.exec('ls');" },
    ]);
    assert.deepEqual(pkg(result, 'inner').evidence['globals:process.env.TOKEN'], [
      { file: 'node_modules/ev/node_modules/inner/lib/x.js', line: 2, column: 3, text: 'process.env.TOKEN' },
    ]);
  });

  it('long minified lines are cut to a window around the use', async () => {
    const line = `${'var a=1;'.repeat(100)}process.env.MIN;${'var b=2;'.repeat(100)}`;
    const result = await analyze({
      'node_modules/min/package.json': manifest('min'),
      'node_modules/min/index.js': line,
    });
    const [ev] = pkg(result, 'min').evidence['globals:process.env.MIN'] ?? [];
    assert.ok(ev);
    assert.equal(ev.column, 801);
    assert.ok(ev.text.length <= 162, `text is ${ev.text.length} characters`);
    assert.ok(ev.text.startsWith('…') && ev.text.endsWith('…') && ev.text.includes('process.env.MIN'));
  });
});

describe('cache', () => {
  it('a warm run gives the same result from the cache', async () => {
    const root = tmpProject({
      'node_modules/c/package.json': manifest('c'),
      'node_modules/c/index.js': "require('fs').readFile('x'); process.env.C",
    });
    const cacheFile = join(root, 'cache.json');
    const cold = await analyzeProject(root, { cacheFile, workers: 1 });
    const warm = await analyzeProject(root, { cacheFile, workers: 1, fileTimeoutMs: 1 });
    // With a 1 ms timeout any real analysis would time out: the warm run must not analyse at all.
    assert.deepEqual(warm.packages, cold.packages);
    assert.deepEqual(pkg(warm, 'c').inferred, { builtins: ['fs.readFile'], globals: ['process.env.C'] });
  });
});

describe('known gaps', () => {
  it('exports patterns mapped to null exclude those files', { todo: 'null targets in an exports map are ignored: "./*" still pulls in "./internal/*"' }, async () => {
    const result = await analyze({
      'node_modules/star/package.json': manifest('star', { exports: { './*': './src/*.js', './internal/*': null } }),
      'node_modules/star/src/a.js': 'process.env.A',
      'node_modules/star/src/internal/b.js': 'process.env.B',
    });
    assert.deepEqual(pkg(result, 'star').inferred, { globals: ['process.env.A'] });
  });

  it('a JavaScript file that is a symlink inside the package is analysed', { todo: 'symlinked files are hashed as links and never read' }, async () => {
    const root = tmpProject({
      'node_modules/ln/package.json': manifest('ln', { main: 'index.js' }),
      'node_modules/ln/lib/real.js': 'process.env.REAL',
    });
    symlinkSync('lib/real.js', join(root, 'node_modules/ln/index.js'));
    const result = await analyzeProject(root, { cacheFile: null, workers: 1 });
    assert.deepEqual(pkg(result, 'ln').inferred, { globals: ['process.env.REAL'] });
  });

  it('one folder installed under two names is analysed under both', { todo: 'the second name (a link to a copy already found) gets no entry of its own' }, async () => {
    const root = tmpProject({
      'node_modules/e/package.json': manifest('e'),
      'node_modules/e/index.js': 'process.env.E',
      'node_modules/c/package.json': manifest('c'),
      'node_modules/c/index.js': "require('d')",
    });
    mkdirSync(join(root, 'node_modules/c/node_modules'));
    symlinkSync('../../e', join(root, 'node_modules/c/node_modules/d'));
    const result = await analyzeProject(root, { cacheFile: null, workers: 1 });
    assert.deepEqual(pkg(result, 'd').inferred, { globals: ['process.env.E'] });
  });
});
