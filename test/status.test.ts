// `packsec status` as a user meets it: packages and advisories on packsec's registry (its own process),
// a project installed through it with npsm, and the status command's output and exit codes; signed
// maintainer notices from a registry with the approval gateway, verified, and tampered with in the
// database and in transit; a registry without the advisory or notice endpoints; and the pure parts
// (advisory and notice answers, publishers) on hostile input.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { seedAdvisory, seedPackage, startRegistry, type RunningRegistry } from '../src/registry/index.js';
import { checkNotices, checkPublishers, matchAdvisories, readBulkAnswer, readNoticeAnswer, registryNameOf } from '../src/status/index.js';
import { runCli, runCliAsync, tmpProject } from './helpers.js';
import { startRegistryProcess } from './registry-helpers.js';

const OLD = '2024-01-01T00:00:00.000Z';
const LATER = '2024-03-01T00:00:00.000Z';
const alice = { name: 'alice', email: 'alice@example.com' };
const mallory = { name: 'mallory', email: 'mallory@example.com' };
const bundle = { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', dsseEnvelope: { payload: Buffer.from('{}').toString('base64'), payloadType: 'application/vnd.in-toto+json', signatures: [] } };

let registry: { url: string; process: ChildProcess };
let npmCache: string;

const env = (dir: string) => ({ npm_config_cache: npmCache, npm_config_userconfig: join(dir, '.npmrc-user'), CI: '1' });

function project(registryUrl = registry.url, npmrc = ''): string {
  return tmpProject({
    'package.json': { name: 'app', version: '1.0.0', private: true },
    '.npmrc': `registry=${registryUrl}/\naudit=false\nfund=false\nupdate-notifier=false\n${npmrc}`,
    '.npmrc-user': '',
  }, 'packsec-status-');
}

function install(dir: string, specs: string[]): void {
  const r = runCli(['install', ...specs, '--accept'], dir, env(dir));
  assert.equal(r.code, 0, r.stderr);
}

const status = (dir: string, args: string[] = []) => runCliAsync(['status', ...args], dir, env(dir));

function editLock(dir: string, edit: (lock: any) => void): void {
  const file = join(dir, 'packsec.lock.json');
  const lock = JSON.parse(readFileSync(file, 'utf8'));
  edit(lock);
  writeFileSync(file, JSON.stringify(lock, null, 2));
}

before(async () => {
  const root = tmpProject({}, 'packsec-status-registry-');
  const dataDir = join(root, 'data');
  npmCache = join(root, 'npm-cache');
  await seedPackage(dataDir, { name: 'steady', version: '1.0.0', npmUser: alice, time: OLD });
  await seedPackage(dataDir, { name: 'steady', version: '1.1.0', npmUser: alice, time: LATER });
  await seedPackage(dataDir, { name: 'sunset', version: '1.0.0', npmUser: alice, time: OLD, deprecated: 'use steady instead' });
  await seedPackage(dataDir, { name: 'handover', version: '1.0.0', npmUser: alice, time: OLD, attestations: [{ predicateType: 'https://slsa.dev/provenance/v1', bundle }] });
  await seedPackage(dataDir, { name: 'handover', version: '1.1.0', npmUser: mallory, time: LATER });
  await seedPackage(dataDir, { name: 'leaky', version: '1.0.0', npmUser: alice, time: OLD });
  seedAdvisory(dataDir, { name: 'leaky', range: '<1.0.1', severity: 'high', title: 'Leaks secrets', url: 'https://example.com/advisories/1' });
  seedAdvisory(dataDir, { name: 'leaky', range: '>=2.0.0', severity: 'critical', title: 'A later bug' });
  seedAdvisory(dataDir, { name: 'steady', range: '<1.0.0', severity: 'critical', title: 'Fixed long ago' });
  registry = await startRegistryProcess(dataDir);
});

after(() => {
  registry?.process.kill('SIGTERM');
});

describe('packsec status', () => {
  it('shows deprecations, newer versions and publisher heads-ups, and exits 0 when nothing affects what is installed', async () => {
    const dir = project();
    install(dir, ['steady@1.0.0', 'sunset', 'handover@1.0.0']);
    const r = await status(dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /(?:^|\n)packsec status: 3 package versions \(3 installed copies\) checked against http:\/\/127\.0\.0\.1:\d+\n {2}notices: http:\/\/127\.0\.0\.1:\d+ offers no signed maintainer notices\n\n/);
    assert.equal(r.stderr.split('\n').filter((line) => /notice/.test(line)).length, 1, 'a registry without notices is said once, not as an error');
    assert.match(r.stderr, /\nsunset@1\.0\.0 {2}node_modules\/sunset\n {2}deprecated: "use steady instead"\n/);
    assert.match(r.stderr, /\nhandover@1\.0\.0 {2}node_modules\/handover\n {2}before upgrading: 1\.1\.0 was published by "mallory", not a pinned publisher \("alice"\)\n {2}before upgrading: 1\.1\.0 has no provenance, though 1\.0\.0 had it\n {2}newer: 1\.1\.0 \(latest\)\n/);
    assert.match(r.stderr, /\nnewer versions \(latest\) of 1 more: steady 1\.0\.0 → 1\.1\.0\n/);
    assert.match(r.stderr, /\npacksec status: no advisories at or above low, no publisher changes, 2 heads-ups before upgrading, 1 deprecated\n$/);
    assert.doesNotMatch(r.stderr, /Fixed long ago/, 'an advisory for other versions is not shown');
    assert.equal(r.stdout, '');
  });

  it('fails on an advisory that applies at or above --audit-level (default low, or npm\'s audit-level), and prints one JSON document', async () => {
    const dir = project();
    install(dir, ['leaky@1.0.0', 'steady@1.0.0']);
    const r = await status(dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /\nleaky@1\.0\.0 {2}node_modules\/leaky\n {2}high advisory #1: Leaks secrets \(<1\.0\.1\) {2}https:\/\/example\.com\/advisories\/1\n/);
    assert.doesNotMatch(r.stderr, /A later bug/);
    assert.match(r.stderr, /packsec status: 1 advisory at or above low, no publisher changes, nothing deprecated\n {2}upgrade with `npsm update leaky` \(through the install gate\); --audit-level sets the severity that fails \(now low\)\n$/);

    const critical = await status(dir, ['--audit-level', 'critical']);
    assert.equal(critical.code, 0, critical.stderr);
    assert.match(critical.stderr, /packsec status: no advisories at or above critical, 1 below, /);
    writeFileSync(join(dir, '.npmrc'), readFileSync(join(dir, '.npmrc'), 'utf8') + 'audit-level=none\n');
    const none = await status(dir);
    assert.equal(none.code, 0, 'audit-level from .npmrc applies');
    assert.match(none.stderr, /packsec status: 1 advisory \(none fail at audit level none\), /);
    assert.equal((await status(dir, ['--audit-level=high'])).code, 1, 'the flag wins over .npmrc');

    const j = await status(dir, ['--json', '--audit-level', 'high']);
    assert.equal(j.code, 1);
    const doc = JSON.parse(j.stdout);
    assert.equal(doc.auditLevel, 'high');
    assert.deepEqual(doc.advisories, { available: true, unreadable: 0 });
    const leaky = doc.packages.find((p: { name: string }) => p.name === 'leaky');
    assert.deepEqual(leaky.advisories, [{ id: '1', title: 'Leaks secrets', severity: 'high', range: '<1.0.1', url: 'https://example.com/advisories/1', fails: true }]);
    assert.deepEqual(leaky.paths, ['node_modules/leaky']);
    assert.equal(doc.packages.find((p: { name: string }) => p.name === 'steady').latest, '1.1.0');
    assert.deepEqual({ ...doc.summary }, {
      packages: 2, copies: 2, advisories: 1, failingAdvisories: 1, notices: 0, failingNotices: 0, unverifiedNotices: 0, deprecated: 0, publisherChanges: 0, publishersUnknown: 0,
      headsUps: 0, newer: 1, unreadable: 0,
    });
    assert.deepEqual(doc.notices, { offered: false, available: false, reason: "the registry does not offer packsec's signed notices (HTTP 404)", unreadable: 0 }, 'a registry without the approval gateway has none');

    const bad = await status(dir, ['--audit-level', 'severe']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--audit-level: expected one of info, low, moderate, high, critical, none, got "severe"/);
  });

  it('compares publishers with the lock\'s pins and records: a change to the installed version fails, a pin made later does not', async () => {
    const dir = project();
    install(dir, ['steady@1.0.0']);
    editLock(dir, (lock) => (lock.publishers = { steady: { npmUsers: ['carol'], since: '1.0.0' } }));
    const other = await status(dir);
    assert.equal(other.code, 1, other.stderr);
    assert.match(other.stderr, /\n {2}publisher: 1\.0\.0 was published by "alice", who is not a pinned publisher \("carol"\)\n {2}before upgrading: 1\.1\.0 was published by "alice", not a pinned publisher \("carol"\)\n/);
    assert.match(other.stderr, /1 publisher change affecting installed versions, 1 heads-up before upgrading, nothing deprecated\n {2}review who published steady@1\.0\.0: `npm view steady@1\.0\.0 _npmUser dist\.attestations`\n$/);

    editLock(dir, (lock) => (lock.publishers = { steady: { npmUsers: ['alice'], repository: 'https://github.com/acme/steady', workflow: '.github/workflows/publish.yml', since: '1.0.0' } }));
    const provenance = await status(dir, ['--json']);
    assert.equal(provenance.code, 1);
    const notices = JSON.parse(provenance.stdout).packages[0].publishers;
    assert.deepEqual(notices.map((n: { kind: string; affectsInstalled: boolean }) => [n.kind, n.affectsInstalled]), [['installed-provenance', true], ['newer-provenance', false]]);
    assert.match(notices[0].message, /^1\.0\.0 has no provenance in the registry now, though the pin expects builds from https:\/\/github\.com\/acme\/steady$/);

    editLock(dir, (lock) => (lock.publishers = { steady: { npmUsers: ['carol'], since: '2.0.0' } }));
    assert.equal((await status(dir)).code, 0, 'a version older than the pin predates it');

    editLock(dir, (lock) => {
      delete lock.publishers;
      lock.packages['node_modules/steady'].publisher = { npmUser: 'bob', provenance: 'none' };
    });
    const recorded = await status(dir);
    assert.equal(recorded.code, 1);
    assert.match(recorded.stderr, /publisher: the registry now says "alice" published 1\.0\.0; packsec\.lock\.json recorded "bob"/);
  });

  it('groups copies of one version (aliases included) and skips copies that did not come from a registry', async () => {
    const tarball = `${registry.url}/steady/-/steady-1.0.0.tgz`;
    const dir = project();
    writeFileSync(join(dir, 'packsec.lock.json'), JSON.stringify({
      lockfileVersion: 1,
      packages: {
        'node_modules/steady': { name: 'steady', version: '1.0.0', resolved: tarball, files: {} },
        'node_modules/a/node_modules/steady': { name: 'steady', version: '1.0.0', resolved: tarball, files: {} },
        'node_modules/my-steady': { name: 'my-steady', version: '1.0.0', resolved: tarball, files: {} },
        'node_modules/sunset': { name: 'sunset', version: '1.0.0', resolved: 'git+ssh://git@example.com/acme/sunset.git#0123456789abcdef', files: {} },
      },
      inferred: {},
    }));
    const r = await status(dir, ['--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.packages.map((p: { name: string; version: string; paths: string[]; installedAs?: string[] }) => [p.name, p.version, p.paths, p.installedAs]),
      [['steady', '1.0.0', ['node_modules/a/node_modules/steady', 'node_modules/my-steady', 'node_modules/steady'], ['my-steady']]]);
    assert.deepEqual(doc.skipped.map((s: { name: string }) => s.name), ['sunset'], 'a git copy is never looked up by name in the registry');
    const human = await status(dir);
    assert.match(human.stderr, /not from a registry, not checked: sunset@1\.0\.0/);
  });

  it('needs a lock', async () => {
    const r = await status(project());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no packsec\.lock\.json in .*\n {2}run `packsec init` \(or install with npsm\) first/);
  });
});

describe('packsec status without an advisory endpoint', () => {
  it('says advisories are not available (never "no advisories") when the registry answers 405, and still checks the rest', async () => {
    // Like the npmjs mirror packsec is developed against: the bulk endpoint answers 405, and documents
    // come through without _npmUser and maintainers.
    const server = createServer((req, res) => {
      if (req.method !== 'GET') {
        res.writeHead(405, { 'content-type': 'application/json' }).end('{"error":"method not allowed"}');
        return;
      }
      fetch(registry.url + req.url, { headers: { accept: req.headers.accept ?? '*/*' } }).then(async (up) => {
        const doc = await up.json() as { versions?: Record<string, Record<string, unknown>> };
        for (const v of Object.values(doc.versions ?? {})) {
          delete v._npmUser;
          delete v.maintainers;
        }
        res.writeHead(up.status, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
      }, () => res.writeHead(502).end());
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const dir = project();
      install(dir, ['leaky@1.0.0', 'sunset']);
      writeFileSync(join(dir, '.npmrc'), `registry=${mirror}/\n`);
      const r = await status(dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`\n {2}advisories: not available from ${mirror} \\(the registry does not offer npm's bulk advisory endpoint \\(HTTP 405\\)\\); installed versions were not checked for known vulnerabilities\n`));
      assert.match(r.stderr, /\nsunset@1\.0\.0 {2}node_modules\/sunset\n {2}deprecated: "use steady instead"\n/, 'documents still come through');
      assert.match(r.stderr, /\npublishers: the registry names none for leaky, sunset; publisher changes were not checked there\n/);
      assert.match(r.stderr, /packsec status: advisories not checked, publishers not checked, 1 deprecated\n$/);
      assert.doesNotMatch(r.stderr, /no advisories|no publisher changes/);
      const j = JSON.parse((await status(dir, ['--json'])).stdout);
      assert.equal(j.advisories.available, false);
      assert.match(j.advisories.reason, /HTTP 405/);
      assert.equal(j.summary.advisories, 0);

      writeFileSync(join(dir, '.npmrc'), 'registry=http://127.0.0.1:9/\nfetch-retries=0\n');
      const down = await status(dir);
      assert.equal(down.code, 0, down.stderr);
      assert.match(down.stderr, /advisories: not available from http:\/\/127\.0\.0\.1:9 \(cannot reach the registry \(ECONNREFUSED\)\)/);
      assert.match(down.stderr, /\nleaky@1\.0\.0 {2}node_modules\/leaky\n {2}not checked: cannot reach the registry \(ECONNREFUSED\)\n/);
      assert.match(down.stderr, /\n {2}notices: not available from http:\/\/127\.0\.0\.1:9 \(cannot reach the registry \(ECONNREFUSED\)\); signed maintainer notices were not checked\n/);
      assert.match(down.stderr, /packsec status: advisories not checked, notices not checked, no registry document could be read: deprecations and publishers not checked\n$/);
    } finally {
      server.close();
    }
  });
});

describe('packsec status with signed maintainer notices', () => {
  let gateway: RunningRegistry;
  let dir: string;

  const mutate = (answer: any, edit: (n: any) => void) => {
    for (const list of Object.values(answer) as any[][]) for (const n of list) edit(n);
    return answer;
  };

  /** A registry in front of the gateway that forwards everything and lets a test change answers on the way. */
  async function proxy(edit: (path: string, body: any) => any): Promise<{ url: string; close(): void }> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const h of ['content-type', 'content-encoding', 'accept', 'authorization']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
        const body = req.method === 'POST' ? Buffer.concat(chunks) : undefined;
        fetch(gateway.url + req.url, { method: req.method!, headers, ...(body ? { body } : {}) }).then(async (up) => {
          const text = await up.text();
          const type = up.headers.get('content-type') ?? 'application/json';
          const out = type.includes('json') && up.ok ? JSON.stringify(edit(req.url!, JSON.parse(text))) : text;
          res.writeHead(up.status, { 'content-type': type }).end(out);
        }, () => res.writeHead(502).end());
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
  }

  before(async () => {
    gateway = await startRegistry({ dataDir: tmpProject({}, 'packsec-status-gateway-'), database: 'memory', port: 0, approval: 'required', gateway: { sweepEveryMs: 0 } });
    for (const version of ['1.0.0', '1.1.0']) await seedPackage(gateway.registry, { name: 'hacked', version, npmUser: alice, time: version === '1.0.0' ? OLD : LATER });
    await seedPackage(gateway.registry, { name: '@acme/calm', version: '1.0.0', npmUser: alice, time: OLD });
    const notices = gateway.gateway!.service.notices;
    await notices.post('alice', { packageName: 'hacked', version: '1.0.0', severity: 'high', title: 'Our token leaked', body: 'A stranger published with it.\nUpgrade to 1.1.0 and rotate \u001b[31myour secrets.' });
    await notices.post('alice', { packageName: 'hacked', version: '1.1.0', severity: 'critical', title: 'Not about what you have', body: '' });
    await notices.post('alice', { packageName: '@acme/calm', version: '1.0.0', severity: 'info', title: 'Moving to @acme/steady', body: '' });
    dir = project(gateway.url);
    const r = await runCliAsync(['install', 'hacked@1.0.0', '@acme/calm', '--accept'], dir, env(dir));
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await gateway?.close();
  });

  it('shows the verified notices about the installed versions, and fails on them as on advisories of their severity', async () => {
    const r = await status(dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /\nhacked@1\.0\.0 {2}node_modules\/hacked\n {2}high notice from alice, signed by the registry \(\d{4}-\d\d-\d\d\): Our token leaked\n {4}A stranger published with it\.\n {4}Upgrade to 1\.1\.0 and rotate \[31myour secrets\.\n/);
    assert.match(r.stderr, /\n@acme\/calm@1\.0\.0 {2}node_modules\/@acme\/calm\n {2}info notice from alice, signed by the registry \([^)]*\): Moving to @acme\/steady\n/);
    assert.doesNotMatch(r.stderr, /Not about what you have/, 'a notice about another version is not shown');
    assert.match(r.stderr, /\npacksec status: no advisories at or above low, 2 signed notices, no publisher changes/);
    assert.doesNotMatch(r.stderr, /does not verify/);

    assert.equal((await status(dir, ['--audit-level', 'critical'])).code, 0, 'a high notice passes at critical');
    const j = await status(dir, ['--json', '--audit-level', 'moderate']);
    assert.equal(j.code, 1);
    const doc = JSON.parse(j.stdout);
    assert.deepEqual(doc.notices, { offered: true, available: true, unreadable: 0 });
    const hacked = doc.packages.find((p: { name: string }) => p.name === 'hacked');
    assert.deepEqual(hacked.notices.map((n: any) => [n.severity, n.title, n.author, n.keyid, n.fails]), [['high', 'Our token leaked', 'alice', gateway.keyid, true]]);
    assert.deepEqual(hacked.unverifiedNotices, []);
    assert.deepEqual([doc.summary.notices, doc.summary.failingNotices, doc.summary.unverifiedNotices], [2, 1, 0]);
  });

  it('reports a notice changed in transit as not verifying, never as signed, and fails like an unknown severity', async () => {
    const changed = await proxy((path, body) => (path.startsWith('/-/packsec/v1/notices/bulk') ? mutate(body, (n) => {
      if (n.packageName === 'hacked') n.body = 'All is fine, nothing to do.';
    }) : body));
    try {
      writeFileSync(join(dir, '.npmrc'), `registry=${changed.url}/\n`);
      const r = await status(dir);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /\nhacked@1\.0\.0 {2}node_modules\/hacked\n {2}a notice that does not verify \(it claims high: "Our token leaked"\): its signature does not match its text \(key SHA256:[^)]+\): it was changed after signing, or not signed by this registry; not shown as signed\n/);
      assert.doesNotMatch(r.stderr, /All is fine|signed by the registry \([^)]*\): Our token leaked/);
      assert.match(r.stderr, /1 signed notice, 1 notice that does not verify/);
      const j = JSON.parse((await status(dir, ['--json', '--audit-level', 'none'])).stdout);
      const hacked = j.packages.find((p: { name: string }) => p.name === 'hacked');
      assert.deepEqual(hacked.notices, []);
      assert.deepEqual(hacked.unverifiedNotices.map((n: any) => [n.claimedSeverity, n.claimedTitle, n.fails]), [['high', 'Our token leaked', false]]);
      assert.equal((await status(dir, ['--audit-level', 'none'])).code, 0, 'audit level none fails on no notice, verified or not');
    } finally {
      changed.close();
      writeFileSync(join(dir, '.npmrc'), `registry=${gateway.url}/\n`);
    }
  });

  it('reports a notice edited in the database as not verifying', async () => {
    await gateway.gateway!.service.db.query("update security_notices set title = 'Nothing happened' where package_name = '@acme/calm'");
    const r = await status(dir, ['--audit-level', 'critical']);
    assert.equal(r.code, 1, `an unverified notice fails at any level but none: ${r.stderr}`);
    assert.match(r.stderr, /\n@acme\/calm@1\.0\.0 {2}node_modules\/@acme\/calm\n {2}a notice that does not verify \(it claims info: "Nothing happened"\): its signature does not match its text/);
    assert.match(r.stderr, /\n {4}Upgrade to 1\.1\.0/, 'the other package\'s notice still verifies');
  });

  it('says so when the registry\'s keys cannot be read, and checks nothing as signed', async () => {
    const keyless = await proxy((path, body) => (path === '/-/npm/v1/keys' ? { keys: 'none' } : body));
    try {
      writeFileSync(join(dir, '.npmrc'), `registry=${keyless.url}/\n`);
      const j = JSON.parse((await status(dir, ['--json'])).stdout);
      assert.equal(j.summary.notices, 0);
      assert.equal(j.summary.unverifiedNotices, 2);
      assert.match(j.packages[0].unverifiedNotices[0].reason, /^the registry's keys could not be read \(http:\/\/127\.0\.0\.1:\d+\/-\/npm\/v1\/keys: keys: expected an array, got "none"\)$/);
    } finally {
      keyless.close();
      writeFileSync(join(dir, '.npmrc'), `registry=${gateway.url}/\n`);
    }
  });
});

describe('status: reading registry answers without trusting them', () => {
  it('reads bulk advisory answers: unreadable entries are counted, unknown severities fail closed, text is cleaned', () => {
    assert.equal(readBulkAnswer([]), undefined);
    const answer = readBulkAnswer({
      a: [
        { id: 1, title: 'Bad\u001b[31m thing\nhere', severity: 'moderate', vulnerable_versions: '<2.0.0', url: 'javascript:alert(1)' },
        { id: 2, title: 'Odd', severity: 'apocalyptic', vulnerable_versions: '*' },
        { id: 3, title: 'No range' },
        { id: 4, title: 'Broken range', severity: 'low', vulnerable_versions: 'soon' },
      ],
      b: 'not a list',
      __proto__: [{ id: 5, vulnerable_versions: '*' }],
    } as unknown)!;
    assert.equal(answer.unreadable, 2);
    const m = matchAdvisories(answer.byName.get('a')!, '1.5.0');
    assert.deepEqual(m.applies.map((a) => [a.id, a.severity, a.title, a.url]), [['2', 'unknown', 'Odd', undefined], ['1', 'moderate', 'Bad [31m thing here', undefined]]);
    assert.deepEqual(m.unclear.map((a) => a.id), ['4']);
    assert.deepEqual(matchAdvisories(answer.byName.get('a')!, '2.0.0-rc.1').applies.map((a) => a.id), ['2', '1'], 'prereleases count inside a range, as in npm audit');
  });

  it('reads notice answers: malformed entries are counted, notices about other packages or versions are ignored', () => {
    assert.equal(readNoticeAnswer('nope'), undefined);
    const n = { id: '1', packageName: 'a', version: '1.0.0', severity: 'high', title: 't', body: '', author: 'x', createdAt: '2026-01-01T00:00:00.000Z', keyid: 'k', signature: 'AA==' };
    const answer = readNoticeAnswer({ a: [n, { ...n, title: 7 }, { ...n, version: '2.0.0' }, { ...n, packageName: 'b' }], b: 'x', __proto__: [n] } as unknown)!;
    assert.equal(answer.unreadable, 2);
    const checked = checkNotices(answer.byName.get('a')!, 'a', '1.0.0', [], 'low');
    assert.deepEqual(checked.verified, []);
    assert.deepEqual(checked.unverified.map((u) => [u.id, u.fails]), [['1', true]]);
    assert.match(checked.unverified[0]!.reason, /signed with "k", which is not among the registry's keys/);
    assert.equal(checkNotices(answer.byName.get('a')!, 'a', '1.0.0', { error: 'offline' }, 'none').unverified[0]!.fails, false);
  });

  it('publishers: nothing to compare without _npmUser (said so), and the registry name comes from the tarball URL', () => {
    const doc = { versions: { '1.0.0': { dist: {} }, '1.1.0': { dist: {} } }, 'dist-tags': { latest: '1.1.0' } };
    assert.deepEqual(checkPublishers({ name: 'x', version: '1.0.0', packument: doc }), { notices: [], unknown: true });
    assert.deepEqual(checkPublishers({ name: 'x', version: '1.0.0', packument: 'garbage' }), { notices: [], unknown: false });
    const rec = (resolved?: string) => ({ name: 'alias', version: '1.0.0', files: {}, ...(resolved ? { resolved } : {}) });
    assert.equal(registryNameOf(rec()), 'alias');
    assert.equal(registryNameOf(rec('https://registry.example/npm/@scope/real/-/real-1.0.0.tgz')), '@scope/real');
    assert.equal(registryNameOf(rec('https://registry.example/@scope%2freal/-/real-1.0.0.tgz')), '@scope/real');
    assert.equal(registryNameOf(rec('https://registry.example/real/-/real-1.0.0.tgz')), 'real');
    assert.equal(registryNameOf(rec('file:../real')), null);
    assert.equal(registryNameOf(rec('https://example.com/downloads/real.tgz')), null);
  });
});
