// The policy model: validation messages name file, JSON path and expectation; canonical serialisation;
// atomic writes; and the re-init merge that keeps hand edits.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  matchesAppFile, mergePolicy, readLock, readPolicy, serializePolicy, validatePolicy, writePolicy, PolicyError, type Policy,
} from '../src/policy/index.js';
import { communityDeclarations } from '../src/analyze/community.js';
import { repoRoot, tmpProject } from './helpers.js';

function errorOf(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PolicyError, `expected a PolicyError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

describe('policy validation', () => {
  it('accepts the SPEC example', () => {
    const p = validatePolicy({
      version: 1,
      packages: {
        debug: { builtins: ['tty.isatty', 'util.inspect'], globals: ['process.env.DEBUG', 'process.stderr'], packages: ['ms'] },
        esbuild: { builtins: ['child_process.spawn'], native: true, scripts: true },
        'left-pad': {},
      },
    }, 'packsec.policy.json');
    assert.deepEqual(p.packages['left-pad'], {});
    assert.equal(p.packages.esbuild?.native, true);
  });

  it('names the file, the JSON path and the expectation', () => {
    const err = errorOf(() => validatePolicy({ version: 1, packages: { debug: { builtins: ['tty', 42] } } }, 'packsec.policy.json'));
    assert.equal(err.message, 'packsec.policy.json: packages.debug.builtins[1]: expected a string, got 42');
    assert.equal(err.code, 'POLICY_INVALID');
  });

  it('reports unknown fields, wrong types and unknown capability names, all at once', () => {
    const err = errorOf(() => validatePolicy({
      version: 2,
      extra: true,
      packages: { '@scope/x': { builtins: ['fss.readFile'], globals: ['not valid'], packages: ['Bad Name'], native: 'yes', color: [] } },
    }, 'p.json'));
    const lines = err.message.split('\n');
    assert.deepEqual(lines, [
      'p.json: extra: unknown field (expected "version" and "packages")',
      'p.json: version: expected 1, got 2',
      'p.json: packages["@scope/x"].builtins[0]: unknown Node built-in module "fss"',
      'p.json: packages["@scope/x"].globals[0]: expected a global name or property path like "process.env.DEBUG", got "not valid"',
      'p.json: packages["@scope/x"].packages[0]: expected an npm package name, got "Bad Name"',
      'p.json: packages["@scope/x"].native: expected true or false, got "yes"',
      'p.json: packages["@scope/x"].color: unknown field (expected one of trust, builtins, globals, packages, files, net, fs, native, scripts)',
    ]);
  });

  it('treats package names that are Object.prototype members as ordinary keys', () => {
    const p = validatePolicy({ version: 1, packages: { a: {} } }, 'p');
    assert.equal(p.packages.constructor, undefined);
    const r = mergePolicy(p, null, { constructor: { builtins: ['fs'] } });
    assert.deepEqual(r.policy.packages.constructor, { builtins: ['fs'] });
    assert.deepEqual(r.added, ['constructor']);
  });

  it('treats node: prefixes as the same module', () => {
    const p = validatePolicy({ version: 1, packages: { a: { builtins: ['node:fs.readFile'] } } }, 'p');
    assert.deepEqual(p.packages.a?.builtins, ['fs.readFile']);
  });

  it('accepts process.env keys with any characters but rejects non-objects', () => {
    validatePolicy({ version: 1, packages: { a: { globals: ['process.env.npm_config_user-agent'] } } }, 'p');
    assert.match(errorOf(() => validatePolicy([], 'p')).message, /p: \(root\): expected an object, got an array/);
    assert.match(errorOf(() => validatePolicy({ version: 1, packages: { a: 'x' } }, 'p')).message, /packages\.a: expected an object, got "x"/);
  });

  it('reports a syntax error with line and column, and never half-reads', () => {
    const dir = tmpProject({ 'packsec.policy.json': '{\n  "version": 1,\n  "packages": {,}\n}\n' });
    const err = errorOf(() => readPolicy(dir));
    assert.equal(err.code, 'POLICY_PARSE');
    assert.match(err.message, /^packsec\.policy\.json: not valid JSON at line 3, column \d+/);
  });
});

describe('policy files', () => {
  it('serialises in a stable order, one capability per line, dropping empty fields', () => {
    const policy: Policy = { version: 1, packages: { zed: { globals: ['b', 'a', 'a'], builtins: [], native: false }, alpha: { scripts: true, builtins: ['fs'] } } };
    assert.equal(serializePolicy(policy), `{
  "version": 1,
  "packages": {
    "alpha": {
      "builtins": [
        "fs"
      ],
      "scripts": true
    },
    "zed": {
      "globals": [
        "a",
        "b"
      ]
    }
  }
}
`);
  });

  it('writes atomically and reads back what it wrote', () => {
    const dir = tmpProject();
    const policy: Policy = { version: 1, packages: { a: { builtins: ['fs.readFile'] }, b: {} } };
    writePolicy(dir, policy);
    const back = readPolicy(dir)!;
    assert.deepEqual({ ...back, packages: { ...back.packages } }, policy);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temp file left behind');
  });

  it('leaves the old file intact when a write fails', () => {
    const dir = tmpProject();
    writePolicy(dir, { version: 1, packages: { a: {} } });
    const before = readFileSync(join(dir, 'packsec.policy.json'), 'utf8');
    // A cyclic structure cannot be serialised: the write must fail before touching the file.
    const cyclic: Policy = { version: 1, packages: {} };
    (cyclic.packages as Record<string, unknown>).a = { builtins: { length: 1, 0: 'x' } as unknown };
    assert.throws(() => writePolicy(dir, cyclic));
    assert.equal(readFileSync(join(dir, 'packsec.policy.json'), 'utf8'), before);
  });

  it('names the path in a broken lock', () => {
    const dir = tmpProject({ 'packsec.lock.json': { lockfileVersion: 1, packages: { 'node_modules/a': { name: 'a', version: 1, files: {} } }, inferred: {} } });
    const err = errorOf(() => readLock(dir));
    assert.equal(err.code, 'LOCK_INVALID');
    assert.equal(err.message, 'packsec.lock.json: packages["node_modules/a"].version: expected a string, got 1');
    writeFileSync(join(dir, 'packsec.lock.json'), '{"lockfileVersion":');
    assert.equal(errorOf(() => readLock(dir)).code, 'LOCK_PARSE');
  });

  it('keeps every recorded file of a lock, also one named like an Object property', () => {
    // A file called __proto__ (or constructor) is a file like any other; a record copied by
    // assignment would lose the first.
    const text = '{"lockfileVersion":1,"packages":{"node_modules/a":{"name":"a","version":"1.0.0","files":{"__proto__":"sha256-AA==","constructor":"sha256-BB==","index.js":"sha256-CC=="}}}}';
    const dir = tmpProject();
    writeFileSync(join(dir, 'packsec.lock.json'), text);
    const files = readLock(dir)!.packages['node_modules/a']!.files;
    assert.deepEqual(Object.keys(files), ['__proto__', 'constructor', 'index.js']);
    assert.equal(Object.getOwnPropertyDescriptor(files, '__proto__')?.value, 'sha256-AA==');
    writeFileSync(join(dir, 'packsec.lock.json'), text.replace('"sha256-BB=="', '2'));
    assert.equal(errorOf(() => readLock(dir)).message, 'packsec.lock.json: packages["node_modules/a"].files.constructor: expected a string, got 2');
  });
});

describe('re-init merge', () => {
  const policy = (packages: Policy['packages']): Policy => ({ version: 1, packages });

  it('takes inference as is on the first run', () => {
    const r = mergePolicy(null, null, { a: { builtins: ['fs.readFile'] } });
    assert.deepEqual({ ...r.policy.packages }, { a: { builtins: ['fs.readFile'] } });
    assert.deepEqual([r.added, r.removed, r.changed], [[], [], []]);
  });

  it('keeps lines added and removed by hand, and reports new inference', () => {
    const previous = { a: { builtins: ['fs.readFile', 'os.homedir'] } };
    const existing = policy({ a: { builtins: ['fs.readFile', 'fs.stat'], trust: undefined } });
    const next = { a: { builtins: ['fs.readFile', 'os.homedir', 'path.join'] } };
    const r = mergePolicy(existing, previous, next);
    // fs.stat was added by hand (kept); os.homedir was removed by hand (stays removed); path.join is new.
    assert.deepEqual(r.policy.packages.a, { builtins: ['fs.readFile', 'fs.stat', 'path.join'] });
    assert.deepEqual(r.changed, [{ name: 'a', gained: { builtins: ['path.join'] }, lost: {} }]);
    assert.deepEqual(r.keptEdits, [{ name: 'a', added: ['builtins:fs.stat'], removed: ['builtins:os.homedir'] }]);
  });

  it('keeps trust markings and reports added and removed packages', () => {
    const existing = policy({ a: { trust: 'full' }, gone: {} });
    const r = mergePolicy(existing, { a: {}, gone: {} }, { a: { builtins: ['fs'] }, fresh: {} });
    assert.deepEqual(r.policy.packages.a, { trust: 'full', builtins: ['fs'] });
    assert.deepEqual(r.added, ['fresh']);
    assert.deepEqual(r.removed, ['gone']);
  });

  it('without a record of the last inference, keeps every existing line', () => {
    const r = mergePolicy(policy({ a: { globals: ['process.env.X'] } }), null, { a: { builtins: ['fs'] } });
    assert.deepEqual(r.policy.packages.a, { builtins: ['fs'], globals: ['process.env.X'] });
  });
});

describe('app file grants and community declarations', () => {
  it('accepts project-relative globs and refuses paths that leave the project', () => {
    validatePolicy({ version: 1, packages: { eslint: { files: ['eslint.config.js', 'config/**/*.cjs'] } } }, 'p');
    const err = errorOf(() => validatePolicy({ version: 1, packages: { x: { files: ['../etc/passwd', '/abs', 'node_modules/y/index.js'] } } }, 'p'));
    assert.equal(err.message.split('\n').length, 3);
    assert.match(err.message, /packages\.x\.files\[0\]: expected a path relative to the project root/);
  });

  it('matches * within a folder and ** across folders', () => {
    assert.ok(matchesAppFile('eslint.config.*', 'eslint.config.mjs'));
    assert.ok(!matchesAppFile('eslint.config.*', 'sub/eslint.config.mjs'));
    assert.ok(matchesAppFile('**/x.js', 'a/b/x.js') && matchesAppFile('**/x.js', 'x.js'));
    assert.ok(!matchesAppFile('a.js', 'a_js'));
  });

  it('ships community declarations that all parse, name their package, and never grant trust', () => {
    const dir = join(repoRoot, 'declarations');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 5);
    for (const f of files) {
      const json = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      assert.equal(f, `${json.package.replace('/', '__')}.json`);
      assert.equal(typeof json.why, 'string');
      const entry = validatePolicy({ version: 1, packages: { [json.package]: json.add } }, f).packages[json.package];
      assert.equal(entry?.trust, undefined);
    }
    assert.ok(communityDeclarations().get('eslint')?.add.files?.includes('eslint.config.js'));
  });
});
