// Robustness: hostile files, manifests and trees must never throw or hang the analyzer; what cannot be
// analysed comes back as `unanalysable` (or a manifest warning) with a reason.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeProject, analyzeSource, type PackageAnalysis, type ProjectAnalysis } from '../src/analyze/index.js';
import { tmpProject, type Files } from './helpers.js';

const DEEP = 10_000;

async function analyze(files: Files, options: Parameters<typeof analyzeProject>[1] = {}): Promise<ProjectAnalysis> {
  const root = tmpProject(files);
  return analyzeProject(root, { cacheFile: null, workers: 2, ...options });
}

function pkg(result: ProjectAnalysis, name: string): PackageAnalysis {
  const p = result.packages.find((x) => x.name === name);
  assert.ok(p, `package ${name} was not found (found: ${result.packages.map((x) => x.name).join(', ')})`);
  return p;
}

const unanalysable = (p: PackageAnalysis) => p.warnings.filter((w) => w.kind === 'unanalysable');
const invalid = (p: PackageAnalysis) => p.warnings.filter((w) => w.kind === 'declaration-invalid').map((w) => w.message);
const manifest = (name: string, extra: object = {}) => ({ name, version: '1.0.0', ...extra });

describe('hostile source files (analyzeSource)', () => {
  it('a file that does not parse', () => {
    const facts = analyzeSource('function (', { kind: 'commonjs' });
    assert.match(facts.unanalysable ?? '', /^does not parse: .*\(1:9\)/);
    assert.deepEqual([facts.builtins, facts.globals, facts.imports], [[], [], []]);
  });

  it('a file that parses neither as a script nor as a module', () => {
    const facts = analyzeSource("import x from 'y'; with (x) {}", { kind: 'module' });
    assert.match(facts.unanalysable ?? '', /^does not parse/);
  });

  it('binary content (NUL bytes)', () => {
    const elf = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00]).toString('latin1');
    assert.equal(analyzeSource(elf, { kind: 'commonjs' }).unanalysable, 'binary content (a NUL byte), not JavaScript');
    assert.equal(analyzeSource("require('fs')\0", { kind: 'module' }).unanalysable, 'binary content (a NUL byte), not JavaScript');
  });

  it('a byte-order mark is not a problem', () => {
    const facts = analyzeSource("\uFEFFrequire('fs').readFileSync('x')", { kind: 'commonjs' });
    assert.equal(facts.unanalysable, undefined);
    assert.deepEqual(facts.builtins.map((b) => b.cap), ['fs.readFileSync']);
  });

  // In the main thread (a normal stack) deep nesting may be refused, but never throws.
  const deepSources: Record<string, string> = {
    parentheses: `x = ${'('.repeat(DEEP)}1${')'.repeat(DEEP)}`,
    brackets: `x = ${'['.repeat(DEEP)}1${']'.repeat(DEEP)}`,
    blocks: `${'{'.repeat(DEEP)}x${'}'.repeat(DEEP)}`,
    'arrow functions': `${'a => '.repeat(DEEP)}1`,
    'if statements': `${'if (x) '.repeat(DEEP)};`,
    'member chain (100,000)': `x${'.b'.repeat(100_000)}`,
    'call chain (100,000)': `f${'()'.repeat(100_000)}`,
    'binary chain (100,000)': `x${' + x'.repeat(100_000)}`,
    'template literals': `\`${'${`'.repeat(3000)}${'`}'.repeat(3000)}\``,
  };
  for (const [name, src] of Object.entries(deepSources)) {
    it(`${name}: analysed or refused cleanly, never thrown`, () => {
      const facts = analyzeSource(src, { kind: 'commonjs' });
      if (facts.unanalysable !== undefined) assert.match(facts.unanalysable, /^nesting too deep to (parse|analyse)$/);
    });
  }
});

describe('hostile source files in a project (worker pool)', () => {
  it('10,000 levels of parentheses, brackets and blocks, and 200,000-link chains, analyse in a worker', async () => {
    const result = await analyze({
      'node_modules/deep-parens/package.json': manifest('deep-parens'),
      'node_modules/deep-parens/index.js': `x = ${'('.repeat(DEEP)}1${')'.repeat(DEEP)};\nrequire('fs').readFileSync('x');`,
      'node_modules/deep-brackets/package.json': manifest('deep-brackets'),
      'node_modules/deep-brackets/index.js': `x = ${'['.repeat(DEEP)}Date.now()${']'.repeat(DEEP)};`,
      'node_modules/deep-blocks/package.json': manifest('deep-blocks'),
      'node_modules/deep-blocks/index.js': `${'{'.repeat(DEEP)}process.env.DEEP${'}'.repeat(DEEP)}`,
      'node_modules/deep-chain/package.json': manifest('deep-chain'),
      // Long chains must cost linear time (about a second here): at n² they took minutes and timed out.
      // The generous limit only keeps a loaded machine from failing the test.
      'node_modules/deep-chain/index.js': `process.env.CHAIN; x${'.b'.repeat(200_000)}; y${'[0]'.repeat(200_000)}`,
    }, { fileTimeoutMs: 60_000 });
    const ok = (name: string, entry: object) => {
      const p = pkg(result, name);
      assert.deepEqual(unanalysable(p), [], `${name} should analyse`);
      assert.deepEqual(p.inferred, entry);
    };
    ok('deep-parens', { builtins: ['fs.readFileSync'] });
    ok('deep-brackets', { globals: ['Date.now'] });
    ok('deep-blocks', { globals: ['process.env.DEEP'] });
    ok('deep-chain', { globals: ['process.env.CHAIN', 'x', 'y'] });
  });

  it('a file that does not parse is reported with its path', async () => {
    const result = await analyze({
      'node_modules/broken/package.json': manifest('broken'),
      'node_modules/broken/index.js': "require('./ok'); function (",
      'node_modules/broken/ok.js': 'process.env.OK',
    });
    const p = pkg(result, 'broken');
    const [w, ...rest] = unanalysable(p);
    assert.deepEqual(rest, []);
    assert.equal(w?.file, 'node_modules/broken/index.js');
    assert.match(w?.message ?? '', /does not parse/);
    // The rest of the package is still analysed (imports of the broken file are lost with it).
    assert.equal(p.filesAnalysed, 1);
  });

  it('binary content named .js', async () => {
    const root = tmpProject({ 'node_modules/bin/package.json': manifest('bin') });
    writeFileSync(join(root, 'node_modules/bin/index.js'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3, 0xff, 0xfe]));
    const result = await analyzeProject(root, { cacheFile: null, workers: 1 });
    const [w] = unanalysable(pkg(result, 'bin'));
    assert.equal(w?.file, 'node_modules/bin/index.js');
    assert.match(w?.message ?? '', /binary content/);
  });

  it('a file over the size limit is unanalysable, with its size', async () => {
    const result = await analyze({
      'node_modules/big/package.json': manifest('big'),
      'node_modules/big/index.js': `/*${'x'.repeat(3000)}*/ require('child_process').exec('x');`,
      'node_modules/small/package.json': manifest('small'),
      'node_modules/small/index.js': "require('os').homedir()",
    }, { maxFileBytes: 1000 });
    const big = pkg(result, 'big');
    const [w] = unanalysable(big);
    assert.equal(w?.file, 'node_modules/big/index.js');
    assert.match(w?.message ?? '', /3040 bytes is over the limit of 1000 bytes per file/);
    assert.deepEqual(big.inferred, {});
    assert.deepEqual(pkg(result, 'small').inferred, { builtins: ['os.homedir'] });
  });

  it('a file that takes longer than fileTimeoutMs is reported as timed out', async () => {
    // 200,000 statements take far more than 1 ms to parse (starting the worker alone does).
    const big = Array.from({ length: 200_000 }, (_, i) => `var v${i} = process.env.K${i % 10};`).join('\n');
    const result = await analyze({
      'node_modules/slow/package.json': manifest('slow'),
      'node_modules/slow/index.js': big,
    }, { fileTimeoutMs: 1, workers: 1 });
    const [w] = unanalysable(pkg(result, 'slow'));
    assert.equal(w?.file, 'node_modules/slow/index.js');
    assert.match(w?.message ?? '', /analysis took longer than 0\.001 s/);
  });

  it('after a timeout the pool goes on with the next files', async () => {
    const result = await analyze({
      'node_modules/a/package.json': manifest('a'),
      'node_modules/a/index.js': "require('os').cpus()",
      'node_modules/b/package.json': manifest('b'),
      'node_modules/b/index.js': "require('os').cpus()",
      'node_modules/c/package.json': manifest('c'),
      'node_modules/c/index.js': "require('os').cpus()",
    }, { fileTimeoutMs: 1, workers: 1 });
    assert.equal(result.packages.length, 3);
    for (const p of result.packages) assert.match(unanalysable(p)[0]?.message ?? '', /took longer/);
  });
});

describe('hostile trees', () => {
  it('symlink loops inside node_modules terminate', { timeout: 30_000 }, async () => {
    const root = tmpProject({
      'node_modules/a/package.json': manifest('a'),
      'node_modules/a/index.js': "require('b'); process.env.A",
      'node_modules/c/package.json': manifest('c'),
      'node_modules/c/index.js': 'process.env.C',
      'node_modules/e/package.json': manifest('e'),
      'node_modules/e/index.js': 'process.env.E',
    });
    mkdirSync(join(root, 'node_modules/a/node_modules'));
    symlinkSync('../../a', join(root, 'node_modules/a/node_modules/b')); // a → b → a
    mkdirSync(join(root, 'node_modules/c/node_modules'));
    symlinkSync('../../e', join(root, 'node_modules/c/node_modules/d')); // c → d = e
    mkdirSync(join(root, 'node_modules/e/node_modules'));
    symlinkSync('../../c', join(root, 'node_modules/e/node_modules/f')); // e → f = c
    symlinkSync('self', join(root, 'node_modules/self')); // a link to itself
    symlinkSync('..', join(root, 'node_modules/a/up')); // a folder loop inside a package
    const result = await analyzeProject(root, { cacheFile: null, workers: 1 });
    assert.deepEqual(result.packages.map((p) => p.name), ['a', 'c', 'e']);
    assert.deepEqual(pkg(result, 'a').inferred, { globals: ['process.env.A'], packages: ['b'] });
    assert.deepEqual(result.problems, [{ path: 'node_modules/self', message: 'broken symlink' }]);
  });

  it('node_modules nested deeper than the limit is cut off with a problem', { timeout: 60_000 }, async () => {
    const files: Files = {};
    let path = '';
    for (let i = 0; i < 70; i++) {
      path += `node_modules/p${i}/`;
      files[`${path}package.json`] = manifest(`p${i}`);
      files[`${path}index.js`] = '';
    }
    const result = await analyze(files);
    assert.ok(result.packages.length >= 60 && result.packages.length < 70, `found ${result.packages.length}`);
    assert.match(result.problems[0]?.message ?? '', /nested more than 64 levels/);
  });
});

describe('hostile package.json', () => {
  const cases: [string, string | object, RegExp][] = [
    ['not JSON', '{ "name": "x", ', /package\.json is not valid JSON/],
    ['an array', '[1, 2, 3]', /package\.json is not an object/],
    ['a string', '"name"', /package\.json is not an object/],
    ['null', 'null', /package\.json is not an object/],
    ['"name": 42', { name: 42, version: '1.0.0' }, /package\.json: name: expected a string/],
    ['huge', `{"name":"huge","x":"${'a'.repeat(4.5 * 1024 * 1024)}"}`, /package\.json is \d+ bytes, over the \d+ limit/],
  ];
  for (const [what, content, message] of cases) {
    it(`${what}: a warning, and inference still runs`, async () => {
      const result = await analyze({
        'node_modules/bad/package.json': content,
        'node_modules/bad/index.js': "process.env.BAD; require('ms')",
      });
      const p = pkg(result, 'bad');
      assert.equal(p.source, 'inferred');
      assert.deepEqual(p.inferred, { globals: ['process.env.BAD'], packages: ['ms'] });
      assert.ok(invalid(p).some((m) => message.test(m)), `warnings: ${JSON.stringify(invalid(p))}`);
      assert.equal(p.warnings.find((w) => w.kind === 'declaration-invalid')?.file, 'node_modules/bad/package.json');
    });
  }

  it('no package.json at all', async () => {
    const result = await analyze({ 'node_modules/none/index.js': 'process.env.NONE' });
    const p = pkg(result, 'none');
    assert.deepEqual(p.inferred, { globals: ['process.env.NONE'] });
    assert.deepEqual(invalid(p), ['no package.json']);
  });

  it('fields of the wrong type are ignored', async () => {
    const result = await analyze({
      'node_modules/odd/package.json': {
        name: 'odd', version: 7, main: 42, type: ['module'], bin: { x: 1 }, scripts: ['postinstall'],
        dependencies: 'bindings', exports: 12, imports: 'x', gypfile: 'no',
      },
      'node_modules/odd/index.js': 'process.env.ODD',
    });
    const p = pkg(result, 'odd');
    assert.deepEqual(p.inferred, { globals: ['process.env.ODD'] });
    assert.deepEqual(p.scripts, {});
  });

  it('exports nested 10,000 levels deep', async () => {
    const deep = `${'{"x":'.repeat(DEEP)}"./index.js"${'}'.repeat(DEEP)}`;
    const result = await analyze({
      'node_modules/deepx/package.json': `{"name":"deepx","version":"1.0.0","main":"main.js","exports":${deep}}`,
      'node_modules/deepx/main.js': 'process.env.MAIN',
      'node_modules/deepx/index.js': 'process.env.INDEX',
    });
    assert.deepEqual(pkg(result, 'deepx').inferred, { globals: ['process.env.MAIN'] });
  });

  it('main, exports and imports pointing outside the package are not followed', async () => {
    const result = await analyze({
      'secret.js': "require('child_process').exec('x')",
      'node_modules/escape/package.json': {
        name: 'escape', version: '1.0.0', main: '../../secret.js',
        exports: { '.': './index.js', './a': '../../secret.js', './b': './../../secret.js' },
        imports: { '#s': '../../secret.js' },
      },
      'node_modules/escape/index.js': "require('#s'); require('../../secret.js')",
    });
    const p = pkg(result, 'escape');
    assert.deepEqual(p.inferred, {});
    assert.equal(p.filesAnalysed, 1);
    const outside = p.warnings.filter((w) => w.kind === 'dynamic-require');
    assert.equal(outside.length, 1);
    assert.match(outside[0]!.message, /loads \.\.\/\.\.\/secret\.js, outside its own folder/);
  });
});

describe('hostile "packsec" declarations', () => {
  const cases: [string, unknown, RegExp][] = [
    ['a string', 'everything', /package\.json: packsec: expected an object, got "everything"/],
    ['an array', ['fs'], /package\.json: packsec: expected an object/],
    ['builtins as a string', { builtins: 'fs' }, /packsec\.builtins: expected an array of strings, got "fs"/],
    ['a number in builtins', { builtins: ['fs', 42] }, /packsec\.builtins\[1\]: expected a string, got 42/],
    ['an unknown built-in', { builtins: ['nope'] }, /packsec\.builtins\[0\]: unknown Node built-in module "nope"/],
    ['native as a string', { native: 'yes' }, /packsec\.native: expected true or false, got "yes"/],
    ['an unknown field', { network: ['*'] }, /packsec\.network: unknown field/],
    ['a bad package name', { packages: ['../x'] }, /packsec\.packages\[0\]: expected an npm package name/],
    ['a bad global', { globals: [{}] }, /packsec\.globals\[0\]: expected a string/],
    ['its own trust', { trust: 'full' }, /packsec\.trust: a package cannot declare its own trust/],
  ];
  for (const [what, declaration, message] of cases) {
    it(`${what}: a warning, and the inferred capabilities are used`, async () => {
      const result = await analyze({
        'node_modules/liar/package.json': manifest('liar', { packsec: declaration }),
        'node_modules/liar/index.js': "require('child_process').exec('x')",
      });
      const p = pkg(result, 'liar');
      assert.equal(p.source, 'inferred');
      assert.equal(p.entry.trust, undefined);
      assert.deepEqual(p.entry, { builtins: ['child_process.exec'] });
      assert.ok(invalid(p).some((m) => message.test(m)), `warnings: ${JSON.stringify(invalid(p))}`);
    });
  }
});

describe('call chains inside bindings', () => {
  it('analyses a long method chain held by a binding in linear time', () => {
    // prettier's CLI bundle has `const bin = make().option(…).option(…)…` with 100+ links, which once took 2^n.
    const chain = 'const b = make()' + '.option("x", {})'.repeat(400) + ';\nb.action(() => process.env.HOME);\n';
    const started = Date.now();
    const facts = analyzeSource(chain, { kind: 'commonjs' });
    assert.ok(Date.now() - started < 5000, 'a 400-link chain must not explode');
    assert.deepEqual(facts.globals.map((g) => g.cap).sort(), ['make', 'process.env.HOME']);
  });
});
