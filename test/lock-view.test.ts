// The lock as verified loading reads it in a thread or child process: records found in the text that
// `packsec init` writes, without parsing the whole file, must be exactly what parsing it gives; any
// other layout is parsed whole; a missing or broken lock is reported, never taken as empty.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { nodePowers } from '../src/analyze/powers.js';
import { serializeLock, type Lock } from '../src/policy/index.js';
import { LockUnavailable, LockView } from '../src/runtime/lock-view.js';
import { tmpProject } from './helpers.js';

const lock: Lock = {
  lockfileVersion: 1,
  packages: {
    'node_modules/a': { name: 'a', version: '1.0.0', files: { 'index.js': 'sha256-AAAA', 'lib/x.js': 'sha256-BBBB' } },
    'node_modules/@s/p': { name: '@s/p', version: '2.0.0', integrity: 'sha512-x', files: { 'package.json': 'sha256-CCCC', 'link': 'symlink:../a' } },
    'node_modules/a/node_modules/b"q\u00e9': { name: 'b', version: '3.0.0', files: { 'we"ird\\name.js': 'sha256-DDDD' } },
  },
  inferred: { a: { builtins: ['fs'] } },
};

function view(text: string): LockView {
  const dir = tmpProject();
  writeFileSync(join(dir, 'packsec.lock.json'), text);
  return new LockView(dir, nodePowers);
}

function recordsOf(v: LockView): unknown {
  return Object.keys(lock.packages).map((key) => v.record(key));
}

const expected = Object.entries(lock.packages).map(([key, r]) => ({ key, version: r.version, files: r.files }));

describe('LockView', () => {
  it('finds each record in the lock as init writes it, the same as parsing the whole file', () => {
    const v = view(serializeLock(lock));
    assert.deepEqual(recordsOf(v), expected);
    assert.equal(v.has('node_modules/missing'), false);
    assert.equal(v.record('node_modules/missing'), null);
    assert.equal(v.keyOf(join(v.projectDir, 'node_modules/@s/p')), 'node_modules/@s/p');
  });

  it('parses any other layout whole, and a repeated install path as JSON does (the last one)', () => {
    assert.deepEqual(recordsOf(view(JSON.stringify(lock))), expected);
    const repeated = serializeLock(lock).replace('"node_modules/@s/p": {', '"node_modules/a": { "name": "a", "version": "9.9.9", "files": {} },\n    "node_modules/@s/p": {');
    assert.deepEqual(view(repeated).record('node_modules/a'), { key: 'node_modules/a', version: '1.0.0', files: lock.packages['node_modules/a']!.files });
    const twice = serializeLock(lock).replace(/\n}\n$/, ',\n  "packages": { "node_modules/a": { "name": "a", "version": "9.9.9", "files": {} } }\n}\n');
    assert.deepEqual(view(twice).record('node_modules/a'), { key: 'node_modules/a', version: '9.9.9', files: {} });
  });

  it('reports a missing lock, broken JSON and a record of the wrong shape', () => {
    const dir = tmpProject();
    assert.throws(() => new LockView(dir, nodePowers).record('node_modules/a'), (e) => e instanceof LockUnavailable && /there is no packsec\.lock\.json in /.test(e.message));
    assert.throws(() => view('{"lockfileVersion": 1, "packages": {').record('node_modules/a'), (e) => e instanceof LockUnavailable && /is not valid JSON/.test(e.message));
    const wrong = serializeLock(lock).replace('"index.js": "sha256-AAAA"', '"index.js": 7');
    assert.throws(() => view(wrong).record('node_modules/a'), /packages\["node_modules\/a"\]\.files: expected an object of strings/);
  });
});
