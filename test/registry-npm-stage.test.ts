// npm's staged publishing with the real npm client against the registry on 127.0.0.1: a plain
// `npm publish` stays pending (npm prints where to approve), installs fail until approval, and
// `npm stage list|view|approve|reject` work, approve through npm's web-auth flow, in a terminal (npm
// polls doneUrl) and headless (the token from doneUrl passed with --otp). On files in `npm test`; on the
// databases in `npm run test:db` (registry-stage.test.ts covers the protocol on every store in both).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createUserToken, setVersionState } from '../src/registry/index.js';
import { npmSandbox, packageDir, type NpmSandbox } from './registry-helpers.js';
import { startOn, storeKinds, type Started } from './registry-stores.js';

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** npm in a pseudo-terminal (util-linux `script`), as a person runs it; resolves with all it printed. */
function npmInTerminal(sandbox: NpmSandbox, args: string[], cwd: string, onOutput: (text: string) => void): Promise<{ code: number | null; output: string }> {
  const child = spawn('script', ['-qfec', ['npm', ...args].join(' '), '/dev/null'], { cwd, env: { ...sandbox.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const take = (d: Buffer) => {
    output += d.toString('utf8');
    onOutput(output);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((done) => child.on('close', (code) => {
    clearTimeout(timer);
    done({ code, output });
  }));
}

function nodePrint(cwd: string, expression: string): string {
  return execFileSync(process.execPath, ['-p', expression], { cwd, encoding: 'utf8' }).trim();
}

for (const kind of storeKinds(['files'])) describe(`npm staged publishing with the npm client (${kind.name})`, () => {
  let reg: Started;
  let alice: NpmSandbox;
  let reader: NpmSandbox;
  let project: string;
  before(async () => {
    reg = await startOn(kind, { port: 0, approval: 'required', gate: 'version-state' });
    alice = npmSandbox(reg.url, (await createUserToken(reg.registry.store, 'alice')).token);
    reader = npmSandbox(reg.url);
    project = packageDir({ name: 'consumer', version: '1.0.0', private: true }, {});
  });
  after(() => reg.close());

  async function onlyStageId(): Promise<string> {
    const list = await alice.npm(['stage', 'list', '--json'], alice.dir);
    assert.equal(list.code, 0, list.stderr);
    const items = JSON.parse(list.stdout) as { id: string }[];
    assert.equal(items.length, 1, list.stdout);
    return items[0]!.id;
  }

  it('npm publish: pending, npm says where to approve, npm install fails until every group approved', { skip: hasScript() ? false : 'needs util-linux script for a terminal' }, async () => {
    const pub = await alice.npm(['publish'], packageDir({ name: 'gated', version: '1.0.0' }, { 'index.js': "module.exports = 'gated 1.0.0';\n" }));
    assert.equal(pub.code, 0, pub.stderr);
    const id = await onlyStageId();
    const page = `${reg.url}/-/approve/${id.replace(/-/g, '')}`;
    assert.ok(pub.stderr.includes(`npm notice gated@1.0.0 is pending approval and cannot be installed until every approval group approves it at ${page}`), pub.stderr);
    assert.ok(pub.stderr.includes(`npm stage view|approve|reject ${id}`), pub.stderr);

    const early = await reader.npm(['install', 'gated@1.0.0'], project);
    assert.notEqual(early.code, 0);
    assert.match(early.stderr, /E404|ETARGET|No matching version/);

    const view = await alice.npm(['stage', 'view', id], alice.dir);
    assert.equal(view.code, 0, view.stderr);
    assert.match(view.stdout, /package name: gated\nversion: 1\.0\.0\ntag: latest/);
    assert.match(view.stdout, /staged by: alice \(user\)/);
    assert.match(view.stdout, /state: pending/);

    // Without a terminal npm cannot wait: it prints both URLs (unredacted: the id has no dashes).
    const headless = await alice.npm(['stage', 'approve', id], alice.dir);
    assert.equal(headless.code, 1);
    assert.match(headless.stderr, /npm error code EOTP/);
    assert.ok(headless.stderr.includes(`Open this URL in your browser to authenticate:\nnpm error   ${page}\n`), headless.stderr);
    assert.ok(headless.stderr.includes(`${reg.url}/-/stage/${id.replace(/-/g, '')}/done/`), headless.stderr);

    // In a terminal npm shows the approval page and polls doneUrl until the request is approved.
    let settled: Promise<unknown> | undefined;
    const run = await npmInTerminal(alice, ['stage', 'approve', id], alice.dir, (text) => {
      if (!settled && text.includes(page)) settled = new Promise((r) => setTimeout(r, 1500)).then(() => setVersionState(reg.registry, 'gated', '1.0.0', 'public'));
    });
    await settled;
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /Authenticate your account at:\r?\n/);
    assert.ok(run.output.includes(page));
    assert.match(run.output, new RegExp(`Staged package ${id} approved and published successfully\\.`));

    const install = await reader.npm(['install', 'gated@1.0.0'], project);
    assert.equal(install.code, 0, install.stderr);
    assert.equal(nodePrint(project, "require('gated')"), 'gated 1.0.0');
  });

  it('npm stage publish, then approval headless: the token from doneUrl passed with --otp', async () => {
    const staged = await alice.npm(['stage', 'publish'], packageDir({ name: 'gated', version: '1.1.0' }));
    assert.equal(staged.code, 0, staged.stderr);
    const id = await onlyStageId();
    assert.ok(staged.stdout.includes(`+ gated@1.1.0 (staged with id ${id})`), staged.stdout);
    const asked = await alice.npm(['stage', 'approve', id, '--json'], alice.dir);
    assert.equal(asked.code, 1);
    const { doneUrl, authUrl } = (JSON.parse(asked.stdout) as { error: { doneUrl: string; authUrl: string } }).error;
    assert.equal(authUrl, `${reg.url}/-/approve/${id.replace(/-/g, '')}`);
    assert.equal((await fetch(doneUrl)).status, 202);
    await setVersionState(reg.registry, 'gated', '1.1.0', 'public');
    const { token } = (await (await fetch(doneUrl)).json()) as { token: string };
    const approve = await alice.npm(['stage', 'approve', id, `--otp=${token}`], alice.dir);
    assert.equal(approve.code, 0, approve.stderr);
    assert.match(approve.stdout, /approved and published successfully/);
    const latest = await reader.npm(['view', 'gated', 'version'], reader.dir);
    assert.equal(latest.stdout.trim(), '1.1.0', latest.stderr);
  });

  it('npm stage reject discards the request: nothing to install, and the number stays burned', async () => {
    const dir = packageDir({ name: 'gated', version: '1.2.0' });
    assert.equal((await alice.npm(['publish'], dir)).code, 0);
    const id = await onlyStageId();
    const reject = await alice.npm(['stage', 'reject', id], alice.dir);
    assert.equal(reject.code, 0, reject.stderr);
    assert.match(reject.stdout, new RegExp(`Staged package ${id} has been rejected\\.`));
    const list = await alice.npm(['stage', 'list'], alice.dir);
    assert.match(list.stdout, /No staged packages found\./);
    const install = await reader.npm(['install', 'gated@1.2.0'], project);
    assert.notEqual(install.code, 0);
    const again = await alice.npm(['publish'], dir);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /cannot publish over the previously published versions: 1\.2\.0/);
  });
});
