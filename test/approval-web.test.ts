// The approver UI over HTTP on 127.0.0.1 (no browser): sign-in, cookies, CSRF and Origin checks, headers,
// escaping of publisher-controlled text, who may add a device, and approving with a software authenticator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApprovalWeb } from '../src/approval/web/index.js';
import { relyingPartyFor, WebAuthnCeremonies } from '../src/approval/webauthn.js';
import { MemoryChallenges, MemoryCredentials, MemoryLoginCodes, MemorySessions, MemorySubscriptions } from './approval-memory.js';
import { startUi, StandInAccounts, StandInApprovals, tokenKeyOf, type RunningUi } from './approval-web-helpers.js';
import { SoftAuthenticator } from './webauthn-authenticator.js';
import { Client } from './approval-web-client.js';

const FILES = { 'package.json': '{"name":"left-pad","version":"1.1.0"}', 'index.js': 'module.exports = require("child_process").execSync;\n' };

describe('approver UI over HTTP', () => {
  let ui: RunningUi;
  let aliceLaptop: SoftAuthenticator;
  before(async () => {
    ui = await startUi({ allowPushEndpoint: (u) => u.protocol === 'https:' && u.hostname === 'push.example.test' });
    ui.accounts.tokens.set('npsec_alice', 'alice');
    ui.accounts.tokens.set('npsec_publisher', 'alice');
    ui.approvals.add({ id: 'r1', packageName: 'left-pad', version: '1.1.0', publisher: 'alice', publisherTokenKey: tokenKeyOf('npsec_publisher'), approvers: ['alice', 'bob'], required: 2, files: FILES, previous: { version: '1.0.0', files: { 'package.json': '{"name":"left-pad","version":"1.0.0"}', 'index.js': 'module.exports = 1;\n' } } });
  });
  after(() => ui.close());

  it('sends signed-out visitors to the sign-in page, with strict headers', async () => {
    const c = new Client(ui);
    const list = await c.fetch('/-/approve/');
    assert.equal(list.status, 303);
    assert.equal(list.headers.get('location'), '/-/approve/login');
    assert.equal((await c.fetch('/-/approve/r1')).headers.get('location'), '/-/approve/login?next=%2F-%2Fapprove%2Fr1');
    const login = await c.fetch('/-/approve/login');
    assert.equal(login.status, 200);
    const csp = login.headers.get('content-security-policy')!;
    for (const directive of ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "require-trusted-types-for 'script'", 'trusted-types packsec']) assert.ok(csp.includes(directive), directive);
    assert.equal(login.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(login.headers.get('referrer-policy'), 'same-origin');
    assert.equal(login.headers.get('cache-control'), 'no-store');
    assert.doesNotMatch(await login.text(), /<script>|\son[a-z]+=/i, 'no inline script or handlers');
  });

  it('signs in once with a login code: an HttpOnly, SameSite=Strict cookie; the code is then spent', async () => {
    const link = await ui.loginLink('alice');
    assert.match(link, /\/-\/approve\/login#code=[A-Za-z0-9_-]{43}$/);
    const code = new URL(link).hash.slice('#code='.length);
    const c = new Client(ui);
    const res = await c.signIn({ code, next: '/-/approve/r1' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/-/approve/r1');
    assert.match(res.headers.getSetCookie()[0]!, /^packsec-session=[A-Za-z0-9_-]{43}; Path=\/-\/approve; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    assert.ok([...ui.sessions.map.values()].some((s) => s.userId === 'alice' && s.method === 'link'));
    assert.equal((await new Client(ui).signIn({ code })).status, 401, 'a code works once');
  });

  it('refuses an expired code, an unknown token, an outside next, and logins from another origin', async () => {
    const link = await ui.loginLink('alice');
    ui.clock.now += 25 * 60 * 60 * 1000;
    try {
      assert.equal((await new Client(ui).signIn({ code: new URL(link).hash.slice(6) })).status, 401);
    } finally {
      ui.clock.now -= 25 * 60 * 60 * 1000;
    }
    assert.equal((await new Client(ui).signIn({ token: 'npsec_nobody' })).status, 401);
    const outside = await new Client(ui).signIn({ token: 'npsec_alice', next: 'https://evil.example/' });
    assert.equal(outside.headers.get('location'), '/-/approve/');
    const code = new URL(await ui.loginLink('alice')).hash.slice(6);
    assert.equal((await new Client(ui).form('/-/approve/login', { code }, { origin: 'https://evil.example' })).status, 403);
    assert.equal((await new Client(ui).form('/-/approve/login', { code }, { origin: null })).status, 403);
  });

  it('makes the cookie Secure and __Host- on an https gateway', async () => {
    const loginCodes = new MemoryLoginCodes();
    const { issueLoginCode } = await import('../src/approval/web/index.js');
    const code = await issueLoginCode(loginCodes, 'alice');
    const web = createApprovalWeb({
      publicUrl: 'https://registry.example.test', requests: new StandInApprovals(), accounts: new StandInAccounts(), sessions: new MemorySessions(), loginCodes,
      subscriptions: new MemorySubscriptions(), vapidPublicKey: 'x',
      ceremonies: new WebAuthnCeremonies({ rp: relyingPartyFor('https://registry.example.test'), challenges: new MemoryChallenges(), credentials: new MemoryCredentials() }),
    });
    const res = await web.handle({ req: { raw: new Request('https://registry.example.test/-/approve/login', { method: 'POST', headers: { origin: 'https://registry.example.test', 'content-type': 'application/x-www-form-urlencoded' }, body: `code=${code}` }) } });
    assert.equal(res.status, 303);
    assert.match(res.headers.get('set-cookie')!, /^__Host-packsec-session=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Strict;/);
  });

  it('refuses POSTs without the CSRF token, from another origin, or with another media type', async () => {
    const c = new Client(ui);
    await c.signInWithLink('bob');
    assert.equal((await c.json('/-/approve/r1/options', {}, { csrf: null })).body.code, 'CSRF');
    assert.equal((await c.json('/-/approve/r1/options', {}, { csrf: 'x'.repeat(43) })).body.code, 'CSRF');
    assert.equal((await c.json('/-/approve/r1/options', {}, { origin: 'http://localhost:1' })).body.code, 'ORIGIN');
    assert.equal((await c.json('/-/approve/r1/options', {}, { origin: null })).status, 403);
    const plain = await c.fetch('/-/approve/r1/options', { method: 'POST', headers: { 'content-type': 'text/plain', 'x-csrf-token': c.csrf }, body: '{}' });
    assert.equal(plain.status, 415);
    assert.equal((await c.json('/-/approve/r1/reject', {}, { csrf: null })).body.code, 'CSRF');
    assert.equal((await c.form('/-/approve/logout', { csrf: 'wrong' })).status, 403);
    assert.equal((await c.fetch('/-/approve/')).status, 200, 'still signed in');
    const big = await c.json('/-/approve/push', { pad: 'x'.repeat(70 * 1024) });
    assert.equal(big.status, 413);
    assert.equal(ui.approvals.held.get('r1')!.state, 'pending');
    assert.equal((await new Client(ui).json('/-/approve/r1/options', {}, { csrf: null })).body.code, 'SIGN_IN');
  });

  it('serves its own scripts, including the SimpleWebAuthn bundle', async () => {
    const c = new Client(ui);
    for (const path of ['static/app.js', 'static/webauthn.js', 'sw.js']) {
      const res = await c.fetch(`/-/approve/${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
    }
    assert.match(await (await c.fetch('/-/approve/static/webauthn.js')).text(), /SimpleWebAuthnBrowser/);
    assert.equal((await c.fetch('/-/approve/static/..%2f..%2fpackage.json')).status, 404);
    assert.equal((await c.fetch('/-/approve/static/other.js')).status, 404);
  });

  it('escapes publisher-controlled text and shows hidden characters', async () => {
    ui.approvals.add({
      id: 'evil', packageName: '<script>alert(1)</script>', version: '1.0.0"><img src=x onerror=alert(2)>', publisher: "mallory' onmouseover='x",
      approvers: ['bob'], required: 1,
      files: { 'package.json': '{"name":"x","version":"1.0.0"}', '"><svg onload=alert(3)>.js': 'x', 'readme\u202Etxt.js': 'y' },
    });
    const c = new Client(ui);
    await c.signInWithLink('bob');
    const page = await (await c.fetch('/-/approve/evil')).text();
    assert.doesNotMatch(page, /<script>alert|<img src=x|<svg onload|' onmouseover='/);
    assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(page, /&quot;&gt;&lt;svg onload=alert\(3\)&gt;\.js/);
    assert.match(page, /readme\\u\{202e\}txt\.js/);
    assert.doesNotMatch(page, /\u202E/);
  });

  it('shows the request: integrity, files and the capability diff against the previous version', async () => {
    const c = new Client(ui);
    await c.signInWithLink('bob');
    const page = await (await c.fetch('/-/approve/r1')).text();
    assert.match(page, new RegExp(`id="integrity">${ui.approvals.held.get('r1')!.integrity.replace(/[+/]/g, (m) => `\\${m}`)}<`));
    assert.match(page, /Capabilities against 1\.0\.0/);
    assert.match(page, /class="gained mono">builtins:child_process\.execSync<\/span> <span class="mono">at node_modules\/left-pad\/index\.js:1/);
    assert.match(page, /<td class="mono">index\.js<\/td><td>[^<]+<\/td><td class="changed">changed/);
    assert.match(page, /id="approve"[^>]*data-request-id="r1"/);
  });

  it('lets a token session view but not register a first device; a login link can', async () => {
    const viaToken = new Client(ui);
    assert.equal((await viaToken.signIn({ token: 'npsec_alice' })).status, 303);
    assert.match(await (await viaToken.fetch('/-/approve/devices')).text(), /sign in with a one-time login link/);
    const refused = await viaToken.register(new SoftAuthenticator(ui.url, 'localhost'));
    assert.deepEqual([refused.status, refused.body.code], [403, 'LINK_REQUIRED']);
    assert.equal((await ui.credentials.listByUser('alice')).length, 0);

    const viaLink = new Client(ui);
    await viaLink.signInWithLink('alice');
    const laptop = aliceLaptop = new SoftAuthenticator(ui.url, 'localhost');
    const ok = await viaLink.register(laptop);
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.deepEqual((await ui.credentials.listByUser('alice')).map((d) => d.id), [laptop.id]);
    assert.match(await (await viaLink.fetch('/-/approve/devices')).text(), /<span class="device">laptop<\/span>/);

    // A second device needs a fresh assertion by the first, also in the session that added it.
    const phone = new SoftAuthenticator(ui.url, 'localhost');
    assert.equal((await viaLink.register(phone)).body.code, 'STEP_UP_REQUIRED');
    const stepUp = await viaLink.json('/-/approve/devices/step-up/options', {});
    assert.equal((await viaLink.json('/-/approve/devices/step-up', { challengeId: stepUp.body.challengeId, response: phone.assert(stepUp.body.options) })).status, 403, 'the new device cannot vouch for itself');
    const again = await viaLink.json('/-/approve/devices/step-up/options', {});
    assert.equal((await viaLink.json('/-/approve/devices/step-up', { challengeId: again.body.challengeId, response: laptop.assert(again.body.options) })).status, 200);
    assert.equal((await viaLink.register(phone, 'phone')).status, 201);
    assert.equal((await ui.credentials.listByUser('alice')).length, 2);
  });

  it('approves with a registered device; replays, other users and the publishing token are refused', async () => {
    const bob = new Client(ui);
    await bob.signInWithLink('bob');
    const bobKey = new SoftAuthenticator(ui.url, 'localhost');
    assert.equal((await bob.register(bobKey)).status, 201);

    const carol = new Client(ui);
    await carol.signInWithLink('carol');
    assert.equal((await carol.approve('r1', bobKey)).status, 404, "carol does not see the request");
    assert.equal((await carol.fetch('/-/approve/r1')).status, 404);

    const options = await bob.json('/-/approve/r1/options', {});
    const assertion = bobKey.assert(options.body.options);
    const first = await bob.json('/-/approve/r1/approve', { challengeId: options.body.challengeId, response: assertion });
    assert.deepEqual(first.body, { ok: true, state: 'pending' });
    const replay = await bob.json('/-/approve/r1/approve', { challengeId: options.body.challengeId, response: assertion });
    assert.deepEqual([replay.status, replay.body.code], [403, 'NOT_ALLOWED'], 'bob already approved');
    assert.equal((await bob.approve('r1', bobKey)).body.code, 'NOT_ALLOWED');

    // Alice signed in with the token that published r1: her device verifies, but the service refuses that session.
    const publisher = new Client(ui);
    await publisher.signIn({ token: 'npsec_publisher' });
    const viaPublisherToken = await publisher.approve('r1', aliceLaptop);
    assert.deepEqual([viaPublisherToken.status, viaPublisherToken.body.error], [403, 'the token that published this version cannot approve it']);
    // Alice with her device but bob's session is not alice: the device is not registered to bob.
    assert.equal((await bob.approve('r1', aliceLaptop)).status, 403);
    const alice = new Client(ui);
    await alice.signInWithLink('alice');
    assert.deepEqual((await alice.approve('r1', aliceLaptop)).body, { ok: true, state: 'approved' });
    assert.deepEqual(ui.approvals.held.get('r1')!.approvedBy, ['bob', 'alice']);
  });

  it('refuses an assertion when the tarball changed after the challenge was issued', async () => {
    ui.approvals.add({ id: 'r2', packageName: 'left-pad', version: '1.2.0', publisher: 'alice', approvers: ['dave'], required: 1, files: FILES });
    const dave = new Client(ui);
    await dave.signInWithLink('dave');
    const key = new SoftAuthenticator(ui.url, 'localhost');
    assert.equal((await dave.register(key)).status, 201);
    const options = await dave.json('/-/approve/r2/options', {});
    ui.approvals.replaceTarball('r2', { ...FILES, 'index.js': 'evil()' });
    const res = await dave.json('/-/approve/r2/approve', { challengeId: options.body.challengeId, response: key.assert(options.body.options) });
    assert.deepEqual([res.status, res.body.code], [403, 'CHALLENGE_MISMATCH']);
    assert.equal(ui.approvals.held.get('r2')!.state, 'pending');
    assert.deepEqual((await dave.approve('r2', key)).body, { ok: true, state: 'approved' });
    assert.equal(ui.approvals.held.get('r2')!.accepted[0]!.integrity, ui.approvals.held.get('r2')!.integrity);
  });

  it('rejects only with a fresh assertion for a rejection', async () => {
    ui.approvals.add({ id: 'r3', packageName: 'left-pad', version: '1.3.0', publisher: 'alice', approvers: ['erin'], required: 1, files: FILES });
    const viaToken = new Client(ui);
    ui.accounts.tokens.set('npsec_erin', 'erin');
    await viaToken.signIn({ token: 'npsec_erin' });
    assert.equal((await viaToken.approve('r3', new SoftAuthenticator(ui.url, 'localhost'), 'reject')).body.code, 'CREDENTIAL_UNKNOWN', 'no device, no rejection');
    const erin = new Client(ui);
    await erin.signInWithLink('erin');
    const key = new SoftAuthenticator(ui.url, 'localhost');
    assert.equal((await erin.register(key)).status, 201);
    const forApproval = await erin.json('/-/approve/r3/options', {});
    const crossed = await erin.json('/-/approve/r3/reject', { challengeId: forApproval.body.challengeId, response: key.assert(forApproval.body.options) });
    assert.deepEqual([crossed.status, crossed.body.code], [403, 'CHALLENGE_MISMATCH']);
    assert.equal(ui.approvals.held.get('r3')!.state, 'pending');
    assert.deepEqual((await erin.approve('r3', key, 'reject')).body, { ok: true, state: 'rejected' });
    assert.equal(ui.approvals.held.get('r3')!.accepted[0]!.decision, 'reject');
    assert.match(await (await erin.fetch('/-/approve/r3')).text(), /This request is rejected\./);
  });

  it('stores push subscriptions only for accepted services', async () => {
    const erin = new Client(ui);
    await erin.signInWithLink('erin');
    const keys = { p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url'), auth: Buffer.alloc(16, 2).toString('base64url') };
    assert.equal((await erin.json('/-/approve/push', { subscription: { endpoint: 'https://push.example.test/s/1', keys } })).status, 201);
    assert.equal((await erin.json('/-/approve/push', { subscription: { endpoint: 'http://127.0.0.1:9/x', keys } })).status, 400);
    assert.deepEqual([...ui.subscriptions.map.values()].map((s) => [s.userId, s.endpoint]), [['erin', 'https://push.example.test/s/1']]);
  });

  it('signs out', async () => {
    const c = new Client(ui);
    await c.signInWithLink('bob');
    const out = await c.form('/-/approve/logout', { csrf: c.csrf });
    assert.equal(out.status, 303);
    assert.match(out.headers.getSetCookie()[0]!, /Max-Age=0/);
    assert.equal((await c.fetch('/-/approve/')).status, 303);
  });
});
