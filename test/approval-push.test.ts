// Web Push end to end: a push endpoint on 127.0.0.1 receives the notification, decrypts its aes128gcm
// payload with the subscription's private keys (RFC 8291, written here with node:crypto) and checks the
// VAPID JWT; gone subscriptions are removed, slow services time out, and VAPID keys persist at 0600.
import assert from 'node:assert/strict';
import { createECDH, createPublicKey, createDecipheriv, hkdfSync, randomBytes, verify, type ECDH } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isKnownPushService, loadOrCreateVapidKeys, parseSubscription, PushNotifier, VAPID_KEY_FILE, type VapidKeys } from '../src/approval/push.js';
import { MemorySubscriptions } from './approval-memory.js';
import { tmpDir } from './registry-helpers.js';
import { browserKeys, decrypt } from './push-helpers.js';

/** Checks the ES256 signature of `vapid t=…, k=…` with the key it names, and returns the JWT claims. */
function vapidClaims(authorization: string, keys: VapidKeys): Record<string, unknown> {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization);
  assert.ok(m, authorization);
  assert.equal(m[2], keys.publicKey);
  const [header, payload, signature] = m[1]!.split('.') as [string, string, string];
  assert.deepEqual(JSON.parse(Buffer.from(header, 'base64url').toString()), { typ: 'JWT', alg: 'ES256' });
  const point = Buffer.from(keys.publicKey, 'base64url');
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' });
  assert.ok(verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url')), 'VAPID signature');
  return JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
}

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

describe('Web Push', () => {
  let server: Server;
  let base: string;
  const received: Received[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
        const answer = () => {
          inFlight--;
          if (req.url!.startsWith('/gone')) res.writeHead(410).end();
          else if (req.url!.startsWith('/missing')) res.writeHead(404).end();
          else if (req.url!.startsWith('/broken')) res.writeHead(500).end();
          else res.writeHead(201).end();
        };
        if (req.url!.startsWith('/slow')) setTimeout(answer, 2000);
        else setTimeout(answer, 20);
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('keeps the VAPID keys in the data folder, 0600, the same on every start', () => {
    const data = tmpDir('packsec-vapid-');
    const keys = loadOrCreateVapidKeys(data);
    assert.equal(statSync(join(data, VAPID_KEY_FILE)).mode & 0o777, 0o600);
    assert.equal(Buffer.from(keys.publicKey, 'base64url').length, 65);
    assert.deepEqual(loadOrCreateVapidKeys(data), keys);
    writeFileSync(join(data, VAPID_KEY_FILE), '{"publicKey": "x"}');
    assert.throws(() => loadOrCreateVapidKeys(data), /expected \{ publicKey, privateKey \}/);
  });

  it('accepts subscriptions only for known push services, with well-formed keys', () => {
    const { p256dh, auth } = browserKeys();
    const ok = parseSubscription({ endpoint: 'https://fcm.googleapis.com/fcm/send/abc', keys: { p256dh, auth } });
    assert.equal(ok.endpoint, 'https://fcm.googleapis.com/fcm/send/abc');
    for (const endpoint of ['http://fcm.googleapis.com/x', 'https://169.254.169.254/latest', 'https://evil.example/fcm.googleapis.com', 'https://fcm.googleapis.com:8443/x', 'https://user:pw@fcm.googleapis.com/x', 'not a url']) {
      assert.throws(() => parseSubscription({ endpoint, keys: { p256dh, auth } }), /subscription\.endpoint/, endpoint);
    }
    assert.throws(() => parseSubscription({ endpoint: 'https://fcm.googleapis.com/x', keys: { p256dh: 'AAAA', auth } }), /p256dh/);
    assert.throws(() => parseSubscription({ endpoint: 'https://fcm.googleapis.com/x', keys: { p256dh, auth: 'AAAA' } }), /auth/);
    assert.ok(isKnownPushService(new URL('https://web.push.apple.com/abc')));
    assert.ok(isKnownPushService(new URL('https://wns2-by3p.notify.windows.com/w/?token=1')));
  });

  it("encrypts each approver's notification for their subscription, signed with the VAPID key", async () => {
    const keys = loadOrCreateVapidKeys(tmpDir('packsec-vapid-'));
    const subscriptions = new MemorySubscriptions();
    const alice = browserKeys();
    const now = new Date().toISOString();
    await subscriptions.put({ userId: 'alice', endpoint: `${base}/push/alice-1`, p256dh: alice.p256dh, auth: alice.auth, createdAt: now });
    await subscriptions.put({ userId: 'bob', endpoint: `${base}/gone/bob-1`, ...browserKeys(), createdAt: now });
    await subscriptions.put({ userId: 'bob', endpoint: `${base}/broken/bob-2`, ...browserKeys(), createdAt: now });
    await subscriptions.put({ userId: 'carol', endpoint: `${base}/push/carol-1`, ...browserKeys(), createdAt: now });
    const notifier = new PushNotifier({ keys, subject: 'mailto:ops@example.test', subscriptions, publicUrl: 'https://registry.example.test/' });
    received.length = 0;
    const started = Math.floor(Date.now() / 1000);
    const report = await notifier.notifyRequest({ id: 'req 1/x', packageName: '@acme/left-pad', version: '1.2.3' }, ['alice', 'bob', 'alice']);
    assert.deepEqual(report, { sent: 1, removed: 1, failed: [{ service: base, reason: 'HTTP 500' }] });
    assert.deepEqual(received.map((r) => r.path).sort(), ['/broken/bob-2', '/gone/bob-1', '/push/alice-1']);
    assert.deepEqual([...subscriptions.map.keys()].sort(), [`${base}/broken/bob-2`, `${base}/push/alice-1`, `${base}/push/carol-1`]);

    const push = received.find((r) => r.path === '/push/alice-1')!;
    assert.equal(push.headers['content-encoding'], 'aes128gcm');
    assert.equal(push.headers.ttl, '86400');
    const payload = JSON.parse(decrypt(push.body, alice.ecdh, alice.auth));
    assert.deepEqual(payload, {
      title: '@acme/left-pad@1.2.3 waits for approval',
      body: 'Review the files and capabilities, then approve or reject.',
      url: 'https://registry.example.test/-/approve/req%201%2Fx',
      requestId: 'req 1/x',
      package: '@acme/left-pad',
      version: '1.2.3',
    });
    const claims = vapidClaims(String(push.headers.authorization), keys);
    assert.equal(claims.aud, base);
    assert.equal(claims.sub, 'mailto:ops@example.test');
    assert.ok(typeof claims.exp === 'number' && claims.exp > started && claims.exp <= started + 24 * 3600 + 5, String(claims.exp));
    // Another subscription's keys cannot read it.
    const other = browserKeys();
    assert.throws(() => decrypt(push.body, other.ecdh, other.auth));
  });

  it('bounds concurrency and times out slow push services', async () => {
    const keys = loadOrCreateVapidKeys(tmpDir('packsec-vapid-'));
    const subscriptions = new MemorySubscriptions();
    for (let i = 0; i < 9; i++) await subscriptions.put({ userId: `u${i}`, endpoint: `${base}/push/${i}`, ...browserKeys(), createdAt: '' });
    await subscriptions.put({ userId: 'u9', endpoint: `${base}/slow/9`, ...browserKeys(), createdAt: '' });
    const notifier = new PushNotifier({ keys, subject: 'mailto:ops@example.test', subscriptions, publicUrl: 'https://registry.example.test', concurrency: 3, timeoutMs: 300 });
    maxInFlight = 0;
    const report = await notifier.notifyRequest({ id: 'r', packageName: 'a', version: '1.0.0' }, Array.from({ length: 10 }, (_, i) => `u${i}`));
    assert.equal(report.sent, 9);
    assert.deepEqual(report.failed, [{ service: base, reason: 'timed out' }]);
    assert.ok(maxInFlight <= 3, `max in flight ${maxInFlight}`);
    assert.equal(subscriptions.map.size, 10, 'a timeout does not remove the subscription');
  });
});
