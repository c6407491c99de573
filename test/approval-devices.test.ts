// Approvers' devices and what hangs off them, on a real database: registration gated once a user has a
// device, sign-in sessions (hashed, expiring, revocable), Web Push subscriptions, the gateway's shared
// keys, and security notices signed with the registry key.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { noticeMessage, verifyNotice } from '../src/approval/index.js';
import { seedPackage } from '../src/registry/index.js';
import { device, gateways, publish, refused, user } from './approval-helpers.js';

for (const { backend, fresh } of gateways()) {
  describe(`approval devices and notices: ${backend.name}`, () => {
    it('registers a first device with any proof of the user, further ones only from a signed-in device', async () => {
      const g = await fresh();
      await user(g, 'alice');
      const laptop = await device(g, 'alice');
      const stored = (await g.svc.devices.credentials('alice'))[0]!;
      assert.deepEqual([stored.id, stored.counter, stored.transports, stored.lastUsedAt], [laptop.id, 0, ['internal'], null]);
      await refused(g.svc.devices.registrationChallenge('alice', null), 'FORBIDDEN', /sign in with it/);

      const login = await g.svc.devices.loginChallenge();
      const { token, session } = await g.svc.devices.login({ userId: 'alice', credentialId: laptop.id, challengeId: login.challenge, newCounter: 1, userVerified: true });
      assert.match(token, /^npss_/);
      assert.equal(session.user, 'alice');
      assert.deepEqual(await g.svc.devices.session(token), session);
      const rows = await g.db.query<{ id_hash: string }>('select id_hash from approval_sessions');
      assert.deepEqual(rows.map((r) => r.id_hash), [session.id], 'only the hash of the session token is stored');
      assert.notEqual(session.id, token);

      await refused(g.svc.devices.registrationChallenge('alice', { ...session, user: 'mallory' }), 'FORBIDDEN');
      const phone = await device(g, 'alice', session);
      assert.equal((await g.svc.devices.credentials('alice')).length, 2);

      const c = await g.svc.devices.registrationChallenge('alice', session);
      const again = { userId: 'alice', challengeId: c.challenge, credential: { id: phone.id, publicKey: randomBytes(77), counter: 0 }, userVerified: true };
      await refused(g.svc.devices.addCredential(again), 'CONFLICT', /registered already/);
      await refused(g.svc.devices.addCredential({ ...again, credential: { ...again.credential, id: randomBytes(20).toString('base64url') } }), 'CHALLENGE', /unknown, used or expired/);
      const c2 = await g.svc.devices.registrationChallenge('alice', session);
      await refused(g.svc.devices.addCredential({ ...again, challengeId: c2.challenge, userId: 'bob' }), 'CHALLENGE', /another user/);
      const c3 = await g.svc.devices.registrationChallenge('alice', session);
      await refused(g.svc.devices.addCredential({ ...again, challengeId: c3.challenge, userVerified: false }), 'CREDENTIAL', /did not verify the user/);

      await g.svc.devices.removeCredential(session, phone.id);
      await refused(g.svc.devices.removeCredential(session, laptop.id), 'CONFLICT', /only device/);
    });

    it('ends sessions on logout and when they expire; sign-in needs a fresh challenge and a growing counter', async () => {
      const g = await fresh({ sessionTtlMs: 3600_000 });
      await user(g, 'alice');
      const key = await device(g, 'alice');
      const signIn = async (counter: number) => {
        const c = await g.svc.devices.loginChallenge('alice');
        return g.svc.devices.login({ userId: 'alice', credentialId: key.id, challengeId: c.challenge, newCounter: counter, userVerified: true });
      };
      const first = await signIn(3);
      await refused(signIn(3), 'CREDENTIAL', /cloned/);
      const c = await g.svc.devices.loginChallenge('bob');
      await refused(g.svc.devices.login({ userId: 'alice', credentialId: key.id, challengeId: c.challenge, newCounter: 9, userVerified: true }), 'CHALLENGE', /another user/);
      await g.svc.devices.logout(first.token);
      assert.equal(await g.svc.devices.session(first.token), null);
      const second = await signIn(4);
      g.advance(3600_000);
      assert.equal(await g.svc.devices.session(second.token), null, 'expired');
      assert.equal(await g.svc.devices.session('npss_made-up'), null);
    });

    it('keeps Web Push subscriptions per user and refuses malformed ones', async () => {
      const g = await fresh();
      const keys = { p256dh: randomBytes(65).toString('base64url'), auth: randomBytes(16).toString('base64url') };
      await g.svc.devices.subscribe('alice', { endpoint: 'http://127.0.0.1:9/push/a', keys });
      await g.svc.devices.subscribe('bob', { endpoint: 'http://127.0.0.1:9/push/b', keys });
      await g.svc.devices.subscribe('alice', { endpoint: 'http://127.0.0.1:9/push/b', keys });
      assert.deepEqual((await g.svc.devices.subscriptions(['alice', 'bob'])).map((s) => [s.user, s.endpoint]), [['alice', 'http://127.0.0.1:9/push/a'], ['alice', 'http://127.0.0.1:9/push/b']]);
      assert.equal(await g.svc.devices.unsubscribe('http://127.0.0.1:9/push/a', 'bob'), false, 'only its own user unsubscribes it');
      assert.equal(await g.svc.devices.unsubscribe('http://127.0.0.1:9/push/a'), true);
      await refused(g.svc.devices.subscribe('alice', { endpoint: 'file:///etc/passwd', keys }), 'BAD_REQUEST');
      await refused(g.svc.devices.subscribe('alice', { endpoint: 'https://push.example/x', keys: { p256dh: 'x', auth: keys.auth } }), 'BAD_REQUEST');
    });

    it('keeps the gateway\'s keys in the database: the first one made is the one every gateway gets', async () => {
      const g = await fresh();
      let made = 0;
      const create = () => ({ publicKey: `key-${++made}`, privateKey: 'secret' });
      const all = await Promise.all([1, 2, 3].map(() => g.svc.devices.gatewayKey('vapid', create)));
      assert.ok(all.every((k) => k.publicKey === all[0]!.publicKey));
      assert.deepEqual(await g.svc.devices.gatewayKey('vapid', create), all[0]);
    });

    it('signs a maintainer\'s security notice with the registry key; a changed notice does not verify', async () => {
      const g = await fresh();
      await user(g, 'alice');
      await seedPackage(g.reg, { name: 'left-pad', version: '1.0.0', npmUser: { name: 'alice' } });
      const posted = await g.svc.notices.post('alice', { packageName: 'left-pad', version: '1.0.0', severity: 'high', title: 'Pads with the wrong character', body: 'Upgrade to 1.0.1.' });
      assert.equal(posted.keyid, g.reg.key.keyid);
      assert.ok(verifyNotice(posted, g.reg.key.entry));
      assert.ok(!verifyNotice({ ...posted, title: 'Nothing to see' }, g.reg.key.entry));
      assert.ok(!verifyNotice({ ...posted, severity: 'low' }, g.reg.key.entry));
      assert.match(noticeMessage(posted), /^packsec-notice:v1:\["/);
      assert.deepEqual(await g.svc.notices.list('left-pad'), [posted]);
      assert.deepEqual(await g.svc.notices.list('left-pad', '2.0.0'), []);

      await refused(g.svc.notices.post('mallory', { packageName: 'left-pad', version: '1.0.0', severity: 'high', title: 'x', body: '' }), 'FORBIDDEN');
      await refused(g.svc.notices.post('alice', { packageName: 'left-pad', version: '1.0.0', severity: 'dire', title: 'x', body: '' }), 'BAD_REQUEST');
      await refused(g.svc.notices.post('alice', { packageName: 'left-pad', version: '1.0.0', severity: 'low', title: 'two\nlines', body: '' }), 'BAD_REQUEST');
      const alice = await user(g, 'alice2');
      await publish(g, alice, 'pending-pkg', '1.0.0');
      await refused(g.svc.notices.post('alice2', { packageName: 'pending-pkg', version: '1.0.0', severity: 'low', title: 'x', body: '' }), 'NOT_FOUND', /not a published version/);
    });
  });
}
