// The runtime's path checks without running an app: where a path leads (as the kernel resolves it,
// through symlinks and `..` after them, with a tail that does not exist yet), which grant a denial
// suggests, and what is allowed for a restricted package and what is not.
import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Monitor, PacksecDenial } from '../src/runtime/denial.js';
import { Reach } from '../src/runtime/reach.js';
import { tmpProject } from './helpers.js';

function reachFor(projectDir: string, fs: { read?: string[]; write?: string[] }, warn = false) {
  const monitor = new Monitor({ warn, reportFile: null });
  const reach = new Reach({ version: 1, packages: { p: { builtins: ['fs'], fs } } }, monitor, { projectDir, ownDirs: ['/nonexistent-packsec/'], Error, mainAs: null });
  const root = join(projectDir, 'node_modules', 'p');
  mkdirSync(root, { recursive: true });
  reach.noteContext('p');
  reach.noteLoaded('p', root);
  return { reach, root, monitor };
}

/** What a read (or write) by package p through its own facade comes to: 'ok' or the denial's message. */
function verdict(reach: Reach, path: string, access: 'read' | 'write' = 'read', follow = true): string {
  try {
    reach.checkPath('p', path, access, follow, verdict);
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof PacksecDenial, String(err));
    return err.message;
  }
}

describe('where a path leads', () => {
  const dir = tmpProject({ 'node_modules/p/data.txt': 'x', 'secret.txt': 'S' });
  const { reach, root } = reachFor(dir, { read: ['$package'] });
  symlinkSync(join(dir, 'secret.txt'), join(root, 'out-link'));
  symlinkSync('.', join(root, 'here'));
  mkdirSync(join(root, 'sub'));

  it('follows symlinks to their target, and takes `..` after a link from the link\'s target', () => {
    assert.equal(reach.realTarget(join(root, 'out-link'), true), join(dir, 'secret.txt'));
    assert.equal(reach.realTarget(join(root, 'out-link'), false), join(root, 'out-link'), 'lstat, unlink: the link itself');
    // Lexically root/here/../secret.txt is root/secret.txt; the kernel goes root → here (= root) → .. → node_modules.
    assert.equal(reach.realTarget(`${root}/here/../secret.txt`, true), join(dir, 'node_modules', 'secret.txt'));
  });

  it('appends what does not exist yet to the real path of what does', () => {
    assert.equal(reach.realTarget(`${root}/sub/new/file.txt`, true), `${root}/sub/new/file.txt`);
    assert.equal(reach.realTarget(`${root}/missing/../../../secret.txt`, true), join(dir, 'secret.txt'));
  });

  it('allows the package\'s own files and refuses the rest, however spelled', () => {
    assert.equal(verdict(reach, join(root, 'data.txt')), 'ok');
    assert.equal(verdict(reach, `${root}/sub/../data.txt`), 'ok');
    assert.equal(verdict(reach, `${root}/`), 'ok', 'a trailing slash');
    for (const p of [join(root, 'out-link'), `${root}/here/../../secret.txt`, `${root}/../../secret.txt`, join(dir, 'secret.txt'), `${root}-evil/x`]) {
      assert.match(verdict(reach, p), /^packsec: "p" may not read /, p);
    }
    assert.match(verdict(reach, join(root, 'data.txt'), 'write'), /may not write .*data\.txt — to allow, add "\$package\/data\.txt" to packages\["p"\]\.fs\.write/);
  });
});

describe('the grant a denial suggests', () => {
  it('names the path under $package, $project, $tmp or $home, the narrowest that holds it', () => {
    const dir = tmpProject({});
    const { reach, root } = reachFor(dir, {});
    assert.equal(reach.suggest('p', join(root, 'x', 'y.json')), '$package/x/y.json');
    assert.equal(reach.suggest('p', join(dir, '.env')), '$project/.env');
    assert.equal(reach.suggest('p', '/etc/passwd'), '/etc/passwd');
    const tmp = realpathSync(tmpdir());
    if (!dir.startsWith(tmp)) assert.fail('the test project is expected under the temp folder');
    assert.equal(reach.suggest('p', join(tmp, 'other-thing')), '$tmp/other-thing');
    const home = realpathSync(homedir());
    if (!home.startsWith(tmp)) assert.equal(reach.suggest('p', join(home, '.npmrc')), '$home/.npmrc');
  });
});

describe('descriptors and warn mode', () => {
  it('lets a restricted package use only descriptors it opened (and 0, 1, 2)', () => {
    const dir = tmpProject({});
    const { reach } = reachFor(dir, { read: ['$package'] });
    const charge = { owners: ['p'], unattributed: false };
    assert.doesNotThrow(() => reach.allowFd(charge, 1, 'write'));
    assert.doesNotThrow(() => reach.allowFd(charge, 0, 'read'));
    assert.throws(() => reach.allowFd(charge, 7, 'read'), /may not use file descriptor 7, which it did not open itself/);
    reach.recordFd(['p'], 7, 'read');
    assert.doesNotThrow(() => reach.allowFd(charge, 7, 'read'));
    assert.throws(() => reach.allowFd(charge, 7, 'write'), /may not write to file descriptor 7/);
    reach.forgetFd(['p'], 7);
    assert.throws(() => reach.allowFd(charge, 7, 'read'));
  });

  it('records instead of throwing in warn mode', () => {
    const dir = tmpProject({ 'secret.txt': 'S' });
    const { reach, monitor } = reachFor(dir, { read: ['$package'] }, true);
    writeFileSync(join(dir, 'x'), '');
    assert.equal(verdict(reach, join(dir, 'secret.txt')), 'ok');
    assert.deepEqual(monitor.violations().map((v) => [v.kind, v.capability]), [['fs-read', '$project/secret.txt']]);
  });
});
