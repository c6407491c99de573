// `packsec trust show` and `packsec trust refresh` as a user runs them: the shipped root by default, a
// refresh that cannot reach Sigstore fails naming the URL (exit 2), and a refresh from a TUF repository on
// 127.0.0.1 succeeds only when it starts from that repository's own root, never from a mirror's say-so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { refreshedTrustFile, SHIPPED_TRUST_DIR } from '../src/verify/index.js';
import { repoRoot, runCli, runCliAsync } from './helpers.js';
import { tmpDir } from './registry-helpers.js';
import { makeTufRepository, serveTufRepository } from './tuf-helpers.js';

const shipped = (file: string) => readFileSync(join(SHIPPED_TRUST_DIR, file));

describe('packsec trust', () => {
  let cache: string;
  let cwd: string;
  const env = () => ({ PACKSEC_CACHE: cache });
  before(() => {
    cache = tmpDir('packsec-cache-');
    cwd = tmpDir('packsec-trust-cwd-');
  });

  it('ships the trust material that scripts/sigstore-trust.mjs makes from the locked @sigstore/tuf', () => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'sigstore-trust.mjs'), '--check'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  it('shows the shipped trust root', () => {
    const r = runCli(['trust', 'show', '--json'], cwd, env());
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.action, 'show');
    assert.equal(doc.trust.origin, 'shipped');
    assert.ok(doc.trust.rekor.some((l: { keyId: string }) => l.keyId === 'wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0='));
    const human = runCli(['trust', 'show'], cwd, env());
    assert.match(human.stderr, /using the trust root shipped with packsec/);
    assert.match(human.stderr, /Fulcio CA {2}https:\/\/fulcio\.sigstore\.dev/);
  });

  it('fails to refresh from Sigstore here, naming the URL, and keeps the root in use', () => {
    const r = runCli(['trust', 'refresh', '--json'], cwd, env());
    assert.equal(r.code, 2);
    const { error } = JSON.parse(r.stdout);
    assert.equal(error.code, 'TRUST_REFRESH_FAILED');
    assert.match(error.message, /^cannot refresh the Sigstore trust root from https:\/\/tuf-repo-cdn\.sigstore\.dev: /);
    assert.equal(existsSync(refreshedTrustFile(cache)), false);
    assert.match(runCli(['trust', 'refresh'], cwd, env()).stderr, /packsec: cannot refresh the Sigstore trust root from https:\/\/tuf-repo-cdn\.sigstore\.dev/);
    assert.equal(runCli(['trust', 'refresh', '--tuf-mirror', 'ftp://x'], cwd, env()).code, 2);
    assert.equal(runCli(['trust', 'rotate'], cwd, env()).code, 2);
  });

  describe('against a TUF repository on 127.0.0.1', () => {
    let repo: Awaited<ReturnType<typeof serveTufRepository>>;
    let rootFile: string;
    before(async () => {
      const root = JSON.parse(shipped('trusted_root.json').toString('utf8'));
      root.certificateAuthorities = root.certificateAuthorities.slice(1); // marks the refreshed copy
      const tuf = makeTufRepository({ 'trusted_root.json': Buffer.from(JSON.stringify(root)), 'registry.npmjs.org%2Fkeys.json': shipped('npm-keys.json') });
      repo = await serveTufRepository(tuf);
      rootFile = join(tmpDir('packsec-tufroot-'), 'root.json');
      writeFileSync(rootFile, tuf.root);
    });
    after(() => repo.close());

    it('refuses the mirror\'s metadata when starting from the pinned Sigstore root', async () => {
      const own = tmpDir('packsec-cache-');
      const r = await runCliAsync(['trust', 'refresh', '--tuf-mirror', repo.url, '--json'], cwd, { PACKSEC_CACHE: own });
      assert.equal(r.code, 2, r.stderr);
      assert.match(JSON.parse(r.stdout).error.message, new RegExp(`^cannot refresh the Sigstore trust root from ${repo.url}: `));
      assert.equal(existsSync(refreshedTrustFile(own)), false);
    });

    it('refreshes from the repository\'s own root, stores the copy atomically, and uses it from then on', async () => {
      const r = await runCliAsync(['trust', 'refresh', '--tuf-mirror', repo.url, '--tuf-root', rootFile, '--json'], cwd, env());
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const refreshed = JSON.parse(r.stdout).trust;
      assert.equal(refreshed.origin, 'refreshed');
      assert.equal(refreshed.mirror, repo.url);
      assert.equal(refreshed.fulcio.length, 1);
      assert.ok(repo.requested.includes('/targets/trusted_root.json'));
      const shown = JSON.parse(runCli(['trust', 'show', '--json'], cwd, env()).stdout).trust;
      assert.equal(shown.origin, 'refreshed');
      assert.equal(shown.location, refreshedTrustFile(cache));
      assert.equal(shown.fulcio.length, 1);
      assert.match(runCli(['trust', 'show'], cwd, env()).stderr, new RegExp(`using the trust root refreshed \\S+ from ${repo.url}`));
    });
  });
});
