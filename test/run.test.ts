// `packsec run` as a user runs it: denials and their messages, warn mode and the report, exit codes,
// module interop, time and randomness, trusted packages, and child processes and workers staying contained.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, runCli, tmpProject, writeFiles, type Files } from './helpers.js';

const SECRET = 'TOP-SECRET-VALUE';

/**
 * Projects whose packages changed after init. Verified loading would refuse those changed files before
 * containment is even reached; these tests are about containment, so they run them unverified
 * (test/run-verify.test.ts tests verification).
 */
const changedAfterInit = new Set<string>();

/** A project whose packages are given as files; init runs on `before`, then `after` replaces files. */
function project(before: Files, after: Files = {}): string {
  const dir = tmpProject(before);
  const init = runCli(['init'], dir);
  assert.equal(init.code, 0, init.stderr);
  writeFiles(dir, after);
  if (Object.keys(after).some((f) => f.startsWith('node_modules/'))) changedAfterInit.add(dir);
  return dir;
}

const pkg = (name: string, main = 'index.js', extra: object = {}) => ({ [`node_modules/${name}/package.json`]: { name, version: '1.0.0', main, ...extra } });
const run = (dir: string, args: string[]) => runCli(['run', ...(changedAfterInit.has(dir) ? ['--no-verify'] : []), ...args], dir, { SECRET });

describe('packsec run: denials', () => {
  it('throws at the call site, names the package, the capability and the grant, and writes stderr once', () => {
    const dir = project({
      ...pkg('quiet'),
      'node_modules/quiet/index.js': 'module.exports = () => 1;\n',
      'app.js': "const q = require('quiet'); console.log(q());\n",
    }, {
      'node_modules/quiet/index.js': "module.exports = () => { const out = []; for (let i = 0; i < 3; i++) { try { require('fs').readFileSync('/etc/hostname'); } catch (e) { out.push(e.code + ':' + e.message); } } return out.join('|'); };\n",
    });
    const r = run(dir, ['app.js']);
    assert.equal(r.code, 0, r.stderr);
    const message = 'packsec: "quiet" may not use builtin "fs.readFileSync" — to allow, add "fs.readFileSync" to packages["quiet"].builtins in packsec.policy.json';
    assert.equal(r.stdout.trim(), Array(3).fill(`PACKSEC_DENIED:${message}`).join('|'));
    assert.equal(r.stderr.split('\n').filter((l) => l === message).length, 1, r.stderr);
  });

  it('lets --warn run the app, reporting every violation, and --report writes them as JSON', () => {
    const dir = project({
      ...pkg('reader'),
      'node_modules/reader/index.js': 'module.exports = () => "none";\n',
      'app.js': "console.log(require('reader')());\n",
    }, {
      'node_modules/reader/index.js': "module.exports = () => require('os').hostname().length > 0 && process.env.SECRET;\n",
    });
    const denied = run(dir, ['app.js']);
    assert.notEqual(denied.code, 0);
    const r = run(dir, ['--warn', '--report', 'violations.json', 'app.js']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), SECRET);
    assert.match(r.stderr, /packsec \(warn\): "reader" may not use builtin "os\.hostname"/);
    assert.match(r.stderr, /packsec \(warn\): "reader" may not read process\.env\.SECRET/);
    const report = JSON.parse(readFileSync(join(dir, 'violations.json'), 'utf8'));
    assert.equal(report.mode, 'warn');
    assert.deepEqual(report.violations.map((v: { capability: string }) => v.capability).sort(), ['os.hostname', 'process.env.SECRET']);
  });

  it('passes the app\'s exit code on, and exits 1 when a denial is uncaught', () => {
    const dir = project({ ...pkg('x'), 'node_modules/x/index.js': 'module.exports = 1;\n', 'app.js': "require('x'); process.exit(3);\n", 'bad.js': "require('x');\n" },
      { 'node_modules/x/index.js': "require('child_process').execSync('true');\n" });
    assert.equal(run(dir, ['app.js']).code, 1);
    writeFileSync(join(dir, 'node_modules/x/index.js'), 'module.exports = 1;\n');
    assert.equal(run(dir, ['app.js']).code, 3);
  });

  it('prints errors with their message and stack, logged or uncaught (Node 20 printed them as {})', () => {
    const dir = project({
      ...pkg('logger'),
      'node_modules/logger/index.js': "module.exports = (e) => console.error('pkg:', e);\n",
      'app.js': [
        "const inner = new TypeError('inner detail'); inner.code = 'E_INNER';",
        "console.log('app:', inner);",
        "require('logger')(new RangeError('logged by a package', { cause: inner }));",
        "if (process.argv[2] === 'throw') throw new Error('uncaught boom');",
        "if (process.argv[2] === 'reject') Promise.reject(new SyntaxError('rejected boom'));",
      ].join('\n'),
    });
    const logged = run(dir, ['app.js']);
    assert.equal(logged.code, 0, logged.stderr);
    assert.match(logged.stdout, /^app: \[?TypeError: inner detail\n\s+at .*app\.js:1/m);
    assert.match(logged.stdout, /code: 'E_INNER'/);
    assert.match(logged.stderr, /^pkg: \[?RangeError: logged by a package\n/m);
    assert.match(logged.stderr, /\[cause\]: \[?TypeError: inner detail/);
    for (const [how, text] of [['throw', 'Error: uncaught boom'], ['reject', 'SyntaxError: rejected boom']] as const) {
      const r = run(dir, ['app.js', how]);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.includes(text), `${how}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /^\{\}$/m, how);
    }
  });

  it('runs under Node\'s permission model with --permission, and keeps its run cache there (fsync is refused)', () => {
    const dir = project({
      ...pkg('greet'),
      'node_modules/greet/index.js': "module.exports = (n) => 'hello ' + n;\n",
      'app.js': "console.log(require('greet')('you'), typeof process.permission);\n",
    });
    const cache = join(dir, 'node_modules/.cache/packsec/run');
    const cached = () => (existsSync(cache) ? readdirSync(cache, { recursive: true }).map(String).filter((f) => f.endsWith('.js')) : []);
    const first = run(dir, ['--permission', 'app.js']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'hello you object\n');
    assert.ok(cached().length > 0, 'the contained package\'s transformed code is cached');
    const second = run(dir, ['--permission', 'app.js']);
    assert.equal(second.stdout, 'hello you object\n');
    // Without fsync a crash can leave an entry cut short: it is made again, never run as it is.
    for (const f of cached()) writeFileSync(join(cache, f), '');
    const third = run(dir, ['--permission', 'app.js']);
    assert.equal(third.stdout, 'hello you object\n', third.stderr);
    assert.ok(cached().every((f) => readFileSync(join(cache, f), 'utf8').length > 0), 'made again');
  });

  it('exits 2 on a broken or missing policy, before the app starts', () => {
    const dir = project({ ...pkg('x'), 'node_modules/x/index.js': 'module.exports = 1;\n', 'app.js': "console.log('APP RAN');\n" });
    writeFileSync(join(dir, 'packsec.policy.json'), '{"version": 1, "packages": {"x": {"globals": [7]}}}');
    const r = run(dir, ['app.js']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /packsec\.policy\.json: packages\.x\.globals\[0\]: expected a string, got 7/);
    assert.doesNotMatch(r.stdout, /APP RAN/);
    const empty = tmpProject({ 'app.js': "console.log('APP RAN');\n" });
    assert.equal(run(empty, ['app.js']).code, 2);
  });
});

describe('packsec run: what packages can reach', () => {
  it('gates the clock and the random source', () => {
    const dir = project({
      ...pkg('timer'), 'node_modules/timer/index.js': 'module.exports = () => typeof Date.now();\n',
      ...pkg('pure'), 'node_modules/pure/index.js': 'module.exports = () => new Date(0).toISOString() + Math.floor(2.5);\n',
      'app.js': "console.log(require('timer')(), require('pure')());\n",
    }, {
      'node_modules/pure/index.js': 'module.exports = () => { const r = []; for (const f of [() => Date.now(), () => new Date(), () => Math.random()]) { try { f(); r.push("ok"); } catch (e) { r.push(e.code); } } return r.join(); };\n',
    });
    const r = run(dir, ['app.js']);
    assert.equal(r.stdout.trim(), 'number PACKSEC_DENIED,PACKSEC_DENIED,PACKSEC_DENIED', r.stderr);
  });

  it('shows process.env with only the granted keys, however it is read', () => {
    const dir = project({
      ...pkg('envy'), 'node_modules/envy/index.js': 'module.exports = () => process.env.NODE_ENV;\n',
      'app.js': "console.log(require('envy')());\n",
    }, {
      'node_modules/envy/index.js': "module.exports = () => [process.env.SECRET, Object.keys(process.env).join(), 'SECRET' in process.env, JSON.stringify(process.env)].join('|');\n",
    });
    const r = runCli(['run', '--no-verify', 'app.js'], dir, { SECRET, NODE_ENV: 'test' });
    assert.equal(r.stdout.trim(), '|NODE_ENV|false|{"NODE_ENV":"test"}', r.stderr);
    // Listing the environment is reported once, as reading a key that was not granted is.
    assert.match(r.stderr, /^packsec: "envy" may not list every key of process\.env \(\d+ not granted, hidden\) — to allow, add "process\.env" to packages\["envy"\]\.globals/m);
    assert.equal(r.stderr.match(/may not list every key/g)?.length, 1);
    const warn = runCli(['run', '--no-verify', '--warn', 'app.js'], dir, { SECRET, NODE_ENV: 'test' });
    assert.ok(warn.stdout.includes(`"SECRET":"${SECRET}"`), 'in --warn mode the whole environment is listed, and reported');
    assert.match(warn.stderr, /packsec \(warn\): "envy" may not list every key of process\.env/);
  });

  it('keeps globals and process members apart per package, though their accessors are shared', () => {
    const dir = project({
      ...pkg('first'), 'node_modules/first/index.js': 'module.exports = () => 1;\n',
      ...pkg('second'), 'node_modules/second/index.js': 'module.exports = () => typeof URL + typeof fetch;\n',
      'app.js': "require('first')(); console.log(require('second')());\n",
    }, {
      'node_modules/first/index.js': `module.exports = () => {
  const out = [];
  const tries = {
    mutateGetter: () => { 'use strict'; Object.getOwnPropertyDescriptor(globalThis, 'setImmediate').get.hijack = 1; },
    otherReceiver: () => Object.getOwnPropertyDescriptor(globalThis, 'setImmediate').get.call({}),
    processReceiver: () => Object.getOwnPropertyDescriptor(process, 'cwd').get.call({}),
    mutateProcessGetter: () => { 'use strict'; Object.getOwnPropertyDescriptor(process, 'cwd').get.hijack = 1; },
  };
  for (const [name, f] of Object.entries(tries)) { try { f(); out.push(name + ':ok'); } catch (e) { out.push(name + ':' + (e.code || e.name)); } }
  globalThis.URL = 'HIJACKED'; globalThis.fetch = 'HIJACKED'; process.cwd = () => 'HIJACKED';
  return out.join(' ');
};
`,
      'node_modules/second/index.js': 'module.exports = () => [typeof URL, typeof fetch === "function" ? "function" : "no", String(Object.getOwnPropertyDescriptor(globalThis, "setImmediate").get.hijack), typeof process.cwd].join();\n',
      'app.js': "console.log(require('first')()); console.log(require('second')());\n",
    });
    const r = run(dir, ['--warn', 'app.js']);
    assert.equal(r.stdout.trim(), 'mutateGetter:TypeError otherReceiver:TypeError processReceiver:TypeError mutateProcessGetter:TypeError\nfunction,function,undefined,function', r.stderr);
  });

  it('runs a package marked trust: "full" uncontained', () => {
    const dir = project({ ...pkg('tool'), 'node_modules/tool/index.js': 'module.exports = () => "x";\n', 'app.js': "console.log(require('tool')());\n" },
      { 'node_modules/tool/index.js': 'module.exports = () => process.env.SECRET;\n' });
    const policy = JSON.parse(readFileSync(join(dir, 'packsec.policy.json'), 'utf8'));
    assert.equal(run(dir, ['app.js']).stdout.trim(), 'undefined');
    policy.packages.tool = { trust: 'full' };
    writeFileSync(join(dir, 'packsec.policy.json'), JSON.stringify(policy));
    assert.equal(run(dir, ['app.js']).stdout.trim(), SECRET);
  });

  it('a package that shares packsec\'s own acorn (deduped in node_modules) cannot patch the parser the transform uses', () => {
    // With packsec installed in the app, node_modules/acorn can be the very module instance packsec parses with.
    const dir = project({
      ...pkg('patcher', 'index.mjs', { dependencies: { acorn: '*' } }),
      'node_modules/patcher/index.mjs': "import { Parser } from 'acorn';\nexport default () => typeof Parser;\n",
      ...pkg('victim'),
      'node_modules/victim/index.js': "module.exports = () => 'benign';\n",
      'app.mjs': "import patch from 'patcher';\npatch();\nconst { createRequire } = await import('node:module');\nconsole.log(createRequire(import.meta.url)('victim')());\n",
    }, {
      'node_modules/victim/index.js': 'module.exports = () => typeof process.env.SECRET;\n',
      'node_modules/patcher/index.mjs': [
        "import { Parser } from 'acorn';",
        'export default () => {',
        "  try { Parser.prototype.parseIdent = function () { throw new Error('patched'); }; } catch {}",
        "  try { Object.defineProperty(Parser.prototype, 'parse', { value() { return { type: 'Program', body: [], sourceType: 'script' }; } }); } catch {}",
        "  try { Parser.parse = () => ({ type: 'Program', body: [] }); } catch {}",
        '};',
        '',
      ].join('\n'),
    });
    symlinkSync(join(repoRoot, 'node_modules', 'acorn'), join(dir, 'node_modules', 'acorn'));
    const policy = JSON.parse(readFileSync(join(dir, 'packsec.policy.json'), 'utf8'));
    policy.packages.patcher = { packages: ['acorn'] };
    policy.packages.acorn = {};
    writeFileSync(join(dir, 'packsec.policy.json'), JSON.stringify(policy));
    const r = run(dir, ['app.mjs']);
    assert.equal(r.stdout.trim(), 'undefined', r.stderr);
  });

  it('runs an ESM app with CJS dependencies and a CJS app with ESM dependencies', () => {
    const dir = project({
      ...pkg('cjs-dep'), 'node_modules/cjs-dep/index.js': "exports.name = 'cjs';\n",
      ...pkg('esm-dep', 'index.js', { type: 'module' }), 'node_modules/esm-dep/index.js': "export const name = 'esm';\nexport default { kind: 'default' };\n",
      'app.mjs': "import c from 'cjs-dep';\nimport { name } from 'esm-dep';\nconst m = await import('esm-dep');\nconsole.log(c.name, name, m.default.kind, import.meta.url.endsWith('app.mjs'));\n",
      'app.cjs': "import('esm-dep').then((m) => console.log(require('cjs-dep').name, m.name));\n",
    });
    assert.equal(run(dir, ['app.mjs']).stdout.trim(), 'cjs esm default true');
    assert.equal(run(dir, ['app.cjs']).stdout.trim(), 'cjs esm');
  });

  it('contains ES modules however the first one is reached (the ESM hooks may start late)', () => {
    const dir = project({
      ...pkg('loader'), 'node_modules/loader/index.js': "module.exports = () => import('esm-dep').then((m) => m.default);\n",
      ...pkg('esm-dep', 'index.js', { type: 'module' }), 'node_modules/esm-dep/index.js': "export default 'esm';\n",
      'app.js': "require('loader')().then((m) => console.log(m));\n",
      'esm-main.mjs': "import m from 'esm-dep';\nconsole.log(m);\n",
      'starter.js': "require('module').runMain(require('path').join(__dirname, 'esm-main.mjs'));\n",
    }, {
      'node_modules/esm-dep/index.js': "export default 'esm sees ' + process.env.SECRET;\n",
    });
    for (const entry of ['app.js', 'esm-main.mjs', 'starter.js']) {
      const r = run(dir, [entry]);
      assert.equal(r.stdout.trim(), 'esm sees undefined', `${entry}: ${r.stderr}`);
    }
  });

  it('contains require() of an ES module, or refuses it where Node would load it without hooks (Node 20)', () => {
    const dir = project({
      ...pkg('req-esm'), 'node_modules/req-esm/index.js': 'module.exports = () => "none";\n',
      ...pkg('dual', 'x.cjs', { exports: { '.': [{ 'module-sync': './x.mjs', default: './x.cjs' }, './x.cjs'] } }),
      'node_modules/dual/x.cjs': 'module.exports = "cjs";\n',
      'node_modules/dual/x.mjs': 'const x = "esm";\nexport { x as "module.exports" };\n',
      'app.js': "try { console.log(require('req-esm')()); } catch (e) { console.log(e.code); }\nconsole.log(require('dual'));\n",
    }, {
      'node_modules/dual/x.cjs': 'module.exports = "cjs sees " + process.env.SECRET;\n',
      'node_modules/dual/x.mjs': 'const x = "esm sees " + process.env.SECRET;\nexport { x as "module.exports" };\n',
      'node_modules/req-esm/index.js': "module.exports = () => require('./x.mjs').default;\n",
      'node_modules/req-esm/x.mjs': 'export default "esm sees " + process.env.SECRET;\n',
    });
    const r = run(dir, ['app.js']);
    const hooked = typeof (process.getBuiltinModule?.('module') as { registerHooks?: unknown } | undefined)?.registerHooks === 'function';
    assert.equal(r.stdout.trim(), hooked ? 'esm sees undefined\nesm sees undefined' : 'ERR_REQUIRE_ESM\ncjs sees undefined', r.stderr);
  });
});

describe('packsec run: child processes and workers', () => {
  const spawner = (code: string) => ({
    ...pkg('spawner'),
    'node_modules/spawner/index.js': `const { execFileSync } = require('child_process');\nmodule.exports = (args) => execFileSync(process.execPath, args, { encoding: 'utf8' });\n`,
    'node_modules/spawner/child.js': "console.log('child sees ' + process.env.SECRET);\n",
    'tool.js': "console.log('tool sees ' + require('fs').readFileSync(__filename, 'utf8').length);\n",
    'app.js': code,
  });

  it('keeps a child node process contained as the package that started it', () => {
    const dir = project(spawner("const s = require('spawner'); console.log(s([require.resolve('spawner/child.js')]).trim());\n"));
    const r = run(dir, ['app.js']);
    assert.equal(r.stdout.trim(), 'child sees undefined', r.stderr);
  });

  it('runs an app file started by a contained package as that package, and refuses node -e', () => {
    const dir = project(spawner("const s = require('spawner'); for (const a of [['tool.js'], ['-e', 'console.log(process.env.SECRET)']]) { try { console.log(s(a).trim()); } catch (e) { console.log('refused'); } }\n"));
    const r = run(dir, ['app.js']);
    assert.equal(r.stdout.trim(), 'refused\nrefused', r.stderr);
    assert.match(r.stderr, /"spawner" may not use builtin "fs\.readFileSync"/);
    assert.match(r.stderr, /"spawner" may not run node code from the command line/);
  });

  it('lets a package run its own worker, contained, and refuses eval workers', () => {
    const dir = project({
      ...pkg('pool'),
      'node_modules/pool/index.js': "const { Worker } = require('worker_threads');\nmodule.exports = () => new Promise((ok) => { const w = new Worker(__dirname + '/work.js'); w.on('message', ok); });\n",
      'node_modules/pool/work.js': "const { parentPort } = require('worker_threads');\nparentPort.postMessage('worker ran');\n",
      'app.js': "require('pool')().then((m) => console.log(m));\n",
    }, {
      'node_modules/pool/work.js': "const { parentPort } = require('worker_threads');\nparentPort.postMessage('worker sees ' + process.env.SECRET);\n",
      'evalworker.js': "const { Worker } = require('worker_threads');\n",
    });
    assert.equal(run(dir, ['app.js']).stdout.trim(), 'worker sees undefined');
    writeFileSync(join(dir, 'node_modules/pool/index.js'), "const { Worker } = require('worker_threads');\nmodule.exports = () => new Promise((ok) => { try { new Worker('process.exit(9)', { eval: true }); ok('started'); } catch (e) { ok(e.code); } });\n");
    assert.equal(run(dir, ['app.js']).stdout.trim(), 'PACKSEC_DENIED');
  });
});

describe('packsec run: app files', () => {
  it('lets a package load the app files its `files` grant names, and names the grant when it does not', () => {
    const dir = project({
      ...pkg('tool'),
      'node_modules/tool/index.js': "const path = require('path');\nmodule.exports = (name) => require(path.join(process.cwd(), name));\n",
      'tool.config.js': "module.exports = { answer: 42 };\n",
      'secret.js': "module.exports = 'SECRET-APP-FILE';\n",
      'app.js': "const tool = require('tool'); for (const f of ['tool.config.js', 'secret.js']) { try { console.log(JSON.stringify(tool(f))); } catch (e) { console.log(e.code); } }\n",
    });
    const file = join(dir, 'packsec.policy.json');
    const policy = JSON.parse(readFileSync(file, 'utf8'));
    policy.packages.tool.files = ['*.config.js'];
    writeFileSync(file, JSON.stringify(policy));
    const r = run(dir, ['app.js']);
    assert.equal(r.stdout, '{"answer":42}\nPACKSEC_DENIED\n', r.stderr);
    assert.match(r.stderr, /packsec: "tool" may not load the app's file "secret\.js" — to allow, add "secret\.js" to packages\["tool"\]\.files in packsec\.policy\.json/);
  });
});
