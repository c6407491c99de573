// The approval gateway over HTTP, on PGlite and (when PACKSEC_TEST_DATABASE_URL is set) PostgreSQL: a
// publish opens a request and pushes an encrypted notification to the approvers' endpoint; the attempts
// to get around approval are refused (no device, a non-member, the publishing token's session, a replayed
// assertion, npm's reject with a token alone); an approval makes the version public and completes npm's
// web-auth flow.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createUserToken, FileStore, startRegistry, type RunningRegistry } from '../src/registry/index.js';
import { Client } from './approval-web-client.js';
import { backends } from './db-helpers.js';
import { browserKeys, decrypt } from './push-helpers.js';
import { call, publishBody } from './registry-client.js';
import { tmpDir } from './registry-helpers.js';
import { SoftAuthenticator } from './webauthn-authenticator.js';

for (const backend of backends()) {
  describe(`approval gateway over HTTP (${backend.name})`, () => {
    let reg: RunningRegistry;
    let drop: () => Promise<void>;
    let pushServer: Server;
    let pushBase: string;
    const pushed: Buffer[] = [];
    const tokens: Record<string, string> = {};
    let web: string;
    const keys = browserKeys();

    const client = () => new Client({ url: web, loginLink: (user) => reg.gateway!.loginLink(user) });
    const device = () => new SoftAuthenticator(web, 'localhost');

    before(async () => {
      pushServer = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          pushed.push(Buffer.concat(chunks));
          res.writeHead(201).end();
        });
      });
      await new Promise<void>((done) => pushServer.listen(0, '127.0.0.1', done));
      pushBase = `http://127.0.0.1:${(pushServer.address() as AddressInfo).port}`;
      const opened = await backend.open();
      drop = opened.drop;
      const data = tmpDir('packsec-gateway-http-');
      const store = new FileStore(data);
      store.init();
      for (const user of ['alice', 'bob']) tokens[user] = createUserToken(store, user).token;
      reg = await startRegistry({
        dataDir: data, port: 0, approval: 'required', approvalDb: opened.db,
        gateway: { allowPushEndpoint: (u) => u.origin === pushBase, sweepEveryMs: 0 },
      });
      web = reg.gateway!.webUrl;
    });
    after(async () => {
      await reg?.close();
      await drop?.();
      pushServer?.closeAllConnections();
      pushServer?.close();
    });

    let alice: Client;
    let aliceKey: SoftAuthenticator;
    let first: string;

    it('opens a request on publish and pushes it, encrypted, to the approvers\' subscriptions', async () => {
      alice = client();
      await alice.signInWithLink('alice');
      aliceKey = device();
      assert.equal((await alice.register(aliceKey)).status, 201);
      const sub = await alice.json('/-/approve/push', { subscription: { endpoint: `${pushBase}/alice`, keys: { p256dh: keys.p256dh, auth: keys.auth } } });
      assert.equal(sub.status, 201, JSON.stringify(sub.body));

      const put = await call(reg.url, 'PUT', '/team-lib', { token: tokens.alice, body: publishBody('team-lib', '1.0.0') });
      assert.equal(put.status, 201);
      assert.equal(put.body.pending, true);
      first = put.body.stageId.replace(/-/g, '');
      assert.equal(put.body.approveUrl, `${web}/-/approve/${first}`);
      for (let i = 0; i < 100 && pushed.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      const payload = JSON.parse(decrypt(pushed[0]!, keys.ecdh, keys.auth)) as { title: string; url: string };
      assert.equal(payload.title, 'team-lib@1.0.0 waits for approval');
      assert.equal(payload.url, `${web}/-/approve/${first}`);
      assert.equal((await fetch(`${reg.url}/team-lib/-/team-lib-1.0.0.tgz`)).status, 404, 'the pending tarball cannot be downloaded');
    });

    it('refuses approval without a registered device, and by a user who is in no group', async () => {
      const bob = client();
      await bob.signInWithLink('bob');
      const page = await bob.fetch(`/-/approve/${first}`);
      assert.equal(page.status, 404, 'a request is invisible to someone not involved');
      const noDevice = await bob.approve(first, device());
      assert.equal(noDevice.status, 404);
      assert.equal((await bob.register(device())).status, 201);
      const nonMember = await bob.approve(first, device());
      assert.equal(nonMember.status, 404);
    });

    it("refuses an approval from the session of the token that published", async () => {
      const viaToken = client();
      const res = await viaToken.signIn({ token: tokens.alice! });
      assert.equal(res.status, 303);
      const refused = await viaToken.approve(first, aliceKey);
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.match(refused.body.error, /publish/);
    });

    it("refuses npm stage reject with a token alone: rejecting takes a device", async () => {
      const rejected = await call(reg.url, 'DELETE', `/-/stage/${first}`, { token: tokens.alice });
      assert.equal(rejected.status, 403);
      assert.match(rejected.body.error, /registered device/);
    });

    it('approves with a fresh assertion, completes npm\'s web-auth flow, and refuses the same assertion again', async () => {
      const start = await call(reg.url, 'POST', `/-/stage/${first}/approve`, { token: tokens.alice });
      assert.equal(start.status, 401);
      assert.equal(start.body.authUrl, `${web}/-/approve/${first}`);
      assert.equal((await fetch(start.body.doneUrl)).status, 202, 'doneUrl waits while the request is pending');

      const options = await alice.json(`/-/approve/${first}/options`, { decision: 'approve' });
      const response = aliceKey.assert(options.body.options);
      const approved = await alice.json(`/-/approve/${first}/approve`, { challengeId: options.body.challengeId, response });
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.equal(approved.body.state, 'approved');
      const replay = await alice.json(`/-/approve/${first}/approve`, { challengeId: options.body.challengeId, response });
      assert.ok(replay.status >= 400 && replay.status < 500, `replayed: ${replay.status}`);

      const done = await fetch(start.body.doneUrl);
      assert.equal(done.status, 200);
      const { token } = (await done.json()) as { token: string };
      const finished = await call(reg.url, 'POST', `/-/stage/${first}/approve`, { token: tokens.alice, headers: { 'npm-otp': token } });
      assert.equal(finished.status, 200);
      assert.equal((await fetch(`${reg.url}/team-lib/-/team-lib-1.0.0.tgz`)).status, 200, 'public once approved');
    });
  });
}
