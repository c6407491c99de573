// The approval service on a real database (PGlite; PostgreSQL too with PACKSEC_TEST_DATABASE_URL):
// default groups, invites, requests bound to a tarball and a token, approvals through challenges, every
// refusal issue 6 lists, rejection, expiry, crash recovery, and two gateways approving at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDb } from '../src/approval/db.js';
import { settleRequest } from '../src/approval/store.js';
import { addVersion, createTarball, updateMetadata } from '../src/registry/index.js';
import { device, gatewayOn, gateways, publish, refused, user, vote, type Gateway } from './approval-helpers.js';

const HOUR = 3600_000;

async function versionState(g: Gateway, name: string, version: string) {
  return (await g.reg.store.readPackage(name))?.versions[version]?.state;
}

/** alice publishes left-pad (so she owns it) and makes a second group, security; bob and carol are users too. */
async function team(g: Gateway) {
  const alice = await user(g, 'alice');
  await user(g, 'bob');
  await user(g, 'carol');
  await publish(g, alice, 'left-pad', '1.0.0');
  return { alice, security: await g.svc.createGroup('alice', { scope: 'left-pad', name: 'security', required: 1 }) };
}

for (const { backend, fresh } of gateways()) {
  describe(`approval service: ${backend.name}`, () => {
    it('a first publish gets a default group of its publisher; the publisher\'s own device approves it and it goes public', async () => {
      const g = await fresh();
      const alice = await user(g, 'alice');
      const { request, integrity } = await publish(g, alice, 'left-pad', '1.0.0');
      assert.equal(request.status, 'pending');
      assert.equal(request.integrity, integrity);
      assert.equal(request.publisher, 'alice');
      assert.equal(request.tokenKey, alice.tokenKey);
      assert.equal(request.expiresAt, new Date(g.clock.now.getTime() + 7 * 24 * HOUR).toISOString());
      const groups = await g.svc.policy('left-pad');
      assert.deepEqual(groups.map((x) => [x.scope, x.name, x.required, x.members]), [['left-pad', 'maintainers', 1, ['alice']]]);
      assert.deepEqual(request.policy, groups.map(({ id, name, required, members }) => ({ id, name, required, members })));
      assert.equal((await g.svc.openRequest(request.id)).createdAt, request.createdAt, 'opening again returns the same request');

      const phone = await device(g, 'alice');
      const outcome = await vote(g, phone, request.id, 'approve', { sessionId: 'phone-session' });
      assert.equal(outcome.decision.status, 'approved');
      assert.equal(outcome.request.status, 'approved');
      assert.equal(outcome.request.settledBy, 'alice');
      assert.equal(await versionState(g, 'left-pad', '1.0.0'), 'public');
      assert.deepEqual((await g.reg.store.readPackage('left-pad'))?.distTags, { latest: '1.0.0' });
      assert.equal((await g.svc.devices.credential(phone.id))?.counter, 1, 'the signature counter is recorded');
    });

    it('refuses the publishing token, a replayed assertion, and an assertion for another version, user or tarball', async () => {
      const g = await fresh();
      const alice = await user(g, 'alice');
      const one = (await publish(g, alice, 'left-pad', '1.0.0')).request;
      const two = (await publish(g, alice, 'left-pad', '1.0.1')).request;
      const phone = await device(g, 'alice');

      await refused(g.svc.challengeFor(one.id, 'alice', 'approve', { tokenKey: alice.tokenKey }), 'FORBIDDEN', /published the version/);
      const c = await g.svc.challengeFor(one.id, 'alice', 'approve');
      const assertion = { userId: 'alice', credentialId: phone.id, challengeId: c.challenge, requestId: one.id, integrity: one.integrity, newCounter: 1, userVerified: true };
      await refused(g.svc.approve(assertion, { tokenKey: alice.tokenKey }), 'FORBIDDEN', /published the version/);
      await refused(g.svc.approve({ ...assertion, newCounter: 2 }, { sessionId: 's' }), 'CHALLENGE', /unknown, used or expired/);

      const forOne = await g.svc.challengeFor(one.id, 'alice', 'approve');
      await refused(g.svc.approve({ ...assertion, challengeId: forOne.challenge, requestId: two.id, integrity: two.integrity, newCounter: 3 }), 'CHALLENGE', /another request/);
      await refused(g.svc.approve({ ...assertion, challengeId: forOne.challenge, newCounter: 3 }), 'CHALLENGE', /unknown, used or expired/); // a misused challenge is gone too

      const again = await g.svc.challengeFor(one.id, 'alice', 'approve');
      await refused(g.svc.approve({ ...assertion, challengeId: again.challenge, integrity: two.integrity, newCounter: 3 }), 'CHALLENGE', /another tarball/);
      const toReject = await g.svc.challengeFor(one.id, 'alice', 'reject');
      await refused(g.svc.approve({ ...assertion, challengeId: toReject.challenge, newCounter: 3 }), 'CHALLENGE', /issued to reject/);
      const login = await g.svc.devices.loginChallenge('alice');
      await refused(g.svc.approve({ ...assertion, challengeId: login.challenge, newCounter: 3 }), 'CHALLENGE', /issued to login/);
      await refused(g.svc.approve({ ...assertion, challengeId: 'x'.repeat(43), newCounter: 3 }), 'CHALLENGE');

      const late = await g.svc.challengeFor(one.id, 'alice', 'approve');
      g.advance(5 * 60_000);
      await refused(g.svc.approve({ ...assertion, challengeId: late.challenge, newCounter: 3 }), 'CHALLENGE', /expired/);
      assert.equal(await versionState(g, 'left-pad', '1.0.0'), 'pending', 'nothing got through');
      assert.equal((await g.svc.view(one.id)).decision.groups[0]?.approvedBy.length, 0);
    });

    it('refuses a non-member, a device of someone else, an unverified user and a counter that went back', async () => {
      const g = await fresh();
      const alice = await user(g, 'alice');
      await user(g, 'mallory');
      const { request } = await publish(g, alice, 'left-pad', '1.0.0');
      const mallorys = await device(g, 'mallory');
      await refused(vote(g, mallorys, request.id), 'FORBIDDEN', /not a member/);
      await refused(vote(g, mallorys, request.id, 'reject'), 'FORBIDDEN', /not a member/);

      const phone = await device(g, 'alice');
      const c = await g.svc.challengeFor(request.id, 'alice', 'approve');
      const base = { userId: 'alice', requestId: request.id, integrity: request.integrity, userVerified: true };
      await refused(g.svc.approve({ ...base, credentialId: mallorys.id, challengeId: c.challenge, newCounter: 5 }), 'CREDENTIAL', /no such device of alice/);
      const c2 = await g.svc.challengeFor(request.id, 'alice', 'approve');
      await refused(g.svc.approve({ ...base, credentialId: phone.id, challengeId: c2.challenge, newCounter: 5, userVerified: false }), 'CREDENTIAL', /did not verify the user/);

      await vote(g, phone, request.id);
      const next = (await publish(g, alice, 'left-pad', '1.0.1')).request;
      const c3 = await g.svc.challengeFor(next.id, 'alice', 'approve');
      await refused(g.svc.approve({ ...base, requestId: next.id, integrity: next.integrity, credentialId: phone.id, challengeId: c3.challenge, newCounter: 1 }), 'CREDENTIAL', /from 1 to 1: it may have been cloned/);
      assert.equal(await versionState(g, 'left-pad', '1.0.1'), 'pending');
    });

    it('needs every group: owners create a second group, invite a coworker with a one-time code, and both approve', async () => {
      const g = await fresh();
      const { alice, security } = await team(g);
      await refused(g.svc.createGroup('bob', { scope: 'left-pad', name: 'bobs', required: 1 }), 'FORBIDDEN', /not an owner/);
      await refused(g.svc.createGroup('alice', { scope: 'left-pad', name: 'security', required: 1 }), 'CONFLICT');
      await refused(g.svc.createGroup('alice', { scope: 'left-pad', name: 'x', required: 0 }), 'BAD_REQUEST');
      await refused(g.svc.invite('bob', security.id), 'FORBIDDEN');

      const { code, expiresAt } = await g.svc.invite('alice', security.id);
      assert.match(code, /^npsi_[A-Za-z0-9_-]{32}$/);
      assert.equal(expiresAt, new Date(g.clock.now.getTime() + 7 * 24 * HOUR).toISOString());
      const stored = await g.db.query<{ code_hash: string }>('select code_hash from approval_invites');
      assert.ok(stored.every((r) => r.code_hash !== code && /^[0-9a-f]{64}$/.test(r.code_hash)), 'only the hash is stored');
      assert.deepEqual((await g.svc.acceptInvite('bob', code)).members, ['bob']);
      await refused(g.svc.acceptInvite('carol', code), 'INVITE', /used or expired/);
      const late = await g.svc.invite('alice', security.id);
      g.advance(7 * 24 * HOUR);
      await refused(g.svc.acceptInvite('carol', late.code), 'INVITE');
      await refused(g.svc.acceptInvite('carol', 'npsi_guess'), 'INVITE');

      const { request } = await publish(g, alice, 'left-pad', '1.1.0');
      assert.deepEqual(request.policy.map((p) => p.name), ['maintainers', 'security']);
      const alices = await device(g, 'alice');
      const bobs = await device(g, 'bob');
      const first = await vote(g, alices, request.id);
      assert.equal(first.decision.status, 'pending');
      assert.deepEqual(first.decision.groups.map((x) => [x.name, x.missing]), [['maintainers', 0], ['security', 1]]);
      assert.equal(await versionState(g, 'left-pad', '1.1.0'), 'pending');
      const second = await vote(g, bobs, request.id);
      assert.equal(second.decision.status, 'approved');
      assert.equal(await versionState(g, 'left-pad', '1.1.0'), 'public');
      await refused(vote(g, alices, request.id), 'CONFLICT', /already approved/);
    });

    it('a coworker added during a request counts only for later ones; a lower count does not apply to a waiting request', async () => {
      const g = await fresh();
      const alice = await user(g, 'alice');
      await user(g, 'bob');
      await publish(g, alice, 'left-pad', '1.0.0');
      const [maintainers] = await g.svc.groups('left-pad');
      await g.svc.setRequired('alice', maintainers!.id, 2);
      const waiting = (await publish(g, alice, 'left-pad', '1.1.0')).request;
      await g.svc.acceptInvite('bob', (await g.svc.invite('alice', maintainers!.id)).code);
      const bobs = await device(g, 'bob');
      await refused(vote(g, bobs, waiting.id), 'FORBIDDEN', /added after the request/);
      await g.svc.setRequired('alice', maintainers!.id, 1);
      const alices = await device(g, 'alice');
      assert.equal((await vote(g, alices, waiting.id)).decision.status, 'pending', 'still needs 2: the count when it was made');

      const later = (await publish(g, alice, 'left-pad', '1.2.0')).request;
      assert.equal((await vote(g, bobs, later.id)).decision.status, 'approved');
      await g.svc.removeMember('alice', maintainers!.id, 'bob');
      const after = (await publish(g, alice, 'left-pad', '1.3.0')).request;
      await refused(vote(g, bobs, after.id), 'FORBIDDEN', /not a member/);
      await refused(g.svc.removeMember('bob', maintainers!.id, 'alice'), 'FORBIDDEN');
    });

    it('refuses a removal that leaves a group unable to reach its count unless the owner confirms it', async () => {
      const g = await fresh();
      const { alice, security } = await team(g);
      await g.svc.acceptInvite('bob', (await g.svc.invite('alice', security.id)).code);
      await g.svc.acceptInvite('carol', (await g.svc.invite('alice', security.id)).code);
      await g.svc.setRequired('alice', security.id, 2);
      assert.deepEqual((await g.svc.reach('left-pad')).map((s) => [s.name, s.missing]), [['maintainers', 0], ['security', 0]]);
      await refused(g.svc.removeMember('alice', security.id, 'bob'), 'BELOW_REQUIRED', /security would lack 1 of 2/);
      assert.deepEqual((await g.svc.groups('left-pad')).find((x) => x.name === 'security')?.members, ['bob', 'carol'], 'a refused removal changes nothing');
      await refused(g.svc.removeMember('carol', security.id, 'carol'), 'BELOW_REQUIRED', /no version of left-pad could be approved/);
      assert.deepEqual((await g.svc.removeMember('alice', security.id, 'bob', { belowRequired: true })).members, ['carol']);
      assert.deepEqual((await g.svc.reach('left-pad')).map((s) => [s.name, s.missing]), [['maintainers', 0], ['security', 1]]);
      await g.svc.acceptInvite('alice', (await g.svc.invite('alice', security.id)).code);
      assert.equal((await g.svc.reach('left-pad')).reduce((n, s) => n + s.missing, 0), 1, 'alice fills one place only: maintainers or security');
      const { request } = await publish(g, alice, 'left-pad', '1.1.0');
      await g.svc.removeMember('alice', security.id, 'alice', { belowRequired: true });
      assert.equal((await g.svc.view(request.id)).decision.status, 'pending');
    });

    it('any member may reject: the version is discarded and its number stays burned', async () => {
      const g = await fresh();
      const alice = await user(g, 'alice');
      const { request, tarball } = await publish(g, alice, 'left-pad', '1.0.0');
      const phone = await device(g, 'alice');
      const outcome = await vote(g, phone, request.id, 'reject', { sessionId: 'web' });
      assert.equal(outcome.request.status, 'rejected');
      assert.equal(outcome.request.reason, 'not ours');
      assert.equal(outcome.decision.status, 'rejected');
      assert.equal(await versionState(g, 'left-pad', '1.0.0'), 'rejected');
      const v = (await g.reg.store.readPackage('left-pad'))!.versions['1.0.0']!;
      assert.equal(await g.reg.store.readPackageFile('left-pad', v.tarball), null, 'the tarball is deleted');
      await refused(addVersion(g.reg, { name: 'left-pad', version: '1.0.0', manifest: { name: 'left-pad', version: '1.0.0' }, tarball, tag: 'latest', npmUser: { name: 'alice' } }), 'VERSION_EXISTS');
      await refused(vote(g, phone, request.id), 'CONFLICT', /already rejected/);
    });

    it('expires requests: no approval after the deadline, and sweep() rejects the version', async () => {
      const g = await fresh({ requestTtlMs: 2 * HOUR });
      const alice = await user(g, 'alice');
      const { request } = await publish(g, alice, 'left-pad', '1.0.0');
      const phone = await device(g, 'alice');
      const c = await g.svc.challengeFor(request.id, 'alice', 'approve');
      g.advance(2 * HOUR);
      assert.equal((await g.svc.view(request.id)).decision.status, 'expired');
      g.advance(-2 * HOUR + 60_000);
      const early = await g.svc.challengeFor(request.id, 'alice', 'approve');
      g.advance(2 * HOUR);
      await refused(g.svc.approve({ userId: 'alice', credentialId: phone.id, challengeId: early.challenge, requestId: request.id, integrity: request.integrity, newCounter: 1, userVerified: true }), 'CHALLENGE');
      assert.ok(c.expiresAt < g.clock.now.toISOString());
      assert.deepEqual(await g.svc.sweep(), { expired: [request.id], applied: [request.id], orphans: [] });
      assert.equal(await versionState(g, 'left-pad', '1.0.0'), 'rejected');
      assert.equal((await g.svc.view(request.id)).request.status, 'expired');
      assert.deepEqual(await g.svc.sweep(), { expired: [], applied: [], orphans: [] }, 'a second sweep finds nothing');
    });

    it('sweep() finishes a settlement a crash interrupted, and rejects a pending version that never got a request', async () => {
      const g = await fresh();
      const alice = await user(g, 'alice');
      const { request } = await publish(g, alice, 'left-pad', '1.0.0');
      await settleRequest(g.db, request.id, 'approved', 'alice', null, g.clock.now.toISOString());
      const tarball = createTarball({ 'package.json': JSON.stringify({ name: 'left-pad', version: '2.0.0' }) });
      const orphan = await addVersion(g.reg, { name: 'left-pad', version: '2.0.0', manifest: { name: 'left-pad', version: '2.0.0' }, tarball, tag: 'latest', npmUser: { name: 'alice' } });
      assert.deepEqual(await g.svc.sweep(), { expired: [], applied: [request.id], orphans: [] }, 'an upload in progress is left alone');
      assert.equal(await versionState(g, 'left-pad', '1.0.0'), 'public');
      g.advance(10 * 60_000);
      assert.deepEqual(await g.svc.sweep(), { expired: [], applied: [], orphans: [orphan.stageId] });
      assert.equal(await versionState(g, 'left-pad', '2.0.0'), 'rejected');
    });

    it('scope groups apply to every package of the scope, managed by who maintains all of them', async () => {
      const g = await fresh();
      const alice = await user(g, 'alice');
      const bob = await user(g, 'bob');
      await publish(g, alice, '@acme/a', '1.0.0');
      assert.deepEqual(await g.svc.owners('@acme'), ['alice']);
      const release = await g.svc.createGroup('alice', { scope: '@acme', name: 'release', required: 1 });
      await g.svc.acceptInvite('bob', (await g.svc.invite('alice', release.id)).code);
      await refused(g.svc.createGroup('bob', { scope: '@acme', name: 'mine', required: 1 }), 'FORBIDDEN');
      // Only a maintainer of a package in the scope may publish a new one there (the registry's rule).
      await updateMetadata(g.reg, '@acme/a', { maintainers: [{ name: 'alice' }, { name: 'bob' }] }, 'alice');
      const { request } = await publish(g, bob, '@acme/b', '1.0.0');
      assert.deepEqual(request.policy.map((p) => p.name), ['release'], 'the scope group applies; no default group is made');
      assert.deepEqual(await g.svc.owners('@acme'), ['bob'], 'bob maintains @acme/a and @acme/b, alice only @acme/a');
      const bobs = await device(g, 'bob');
      await refused(vote(g, bobs, request.id, 'approve', { tokenKey: bob.tokenKey }), 'FORBIDDEN', /published the version/);
      assert.equal((await vote(g, bobs, request.id)).decision.status, 'approved');
      assert.deepEqual((await g.svc.inbox('alice')).map((o) => o.request.packageName), ['@acme/a']);
    });

    if (backend.name === 'postgres') {
      it('two gateways on one PostgreSQL: two groups approve at the same moment, one invite is used once', async () => {
        const g = await fresh();
        const { alice, security } = await team(g);
        await g.svc.acceptInvite('bob', (await g.svc.invite('alice', security.id)).code);
        const secondDb = await openDb({ database: g.url });
        try {
          const other = gatewayOn(secondDb, g.url, g.reg.store.dir, {}, g.clock);
          const { request } = await publish(g, alice, 'left-pad', '1.1.0');
          const [alices, bobs] = [await device(g, 'alice'), await device(other, 'bob')];
          const outcomes = await Promise.all([vote(g, alices, request.id), vote(other, bobs, request.id)]);
          assert.deepEqual(outcomes.map((o) => o.decision.status).sort(), ['approved', 'pending']);
          assert.equal(await versionState(g, 'left-pad', '1.1.0'), 'public');
          assert.deepEqual((await other.svc.view(request.id)).decision.groups.map((x) => x.approvedBy), [['alice'], ['bob']]);

          const { code } = await g.svc.invite('alice', security.id);
          const accepted = await Promise.allSettled([g.svc.acceptInvite('carol', code), other.svc.acceptInvite('carol', code), other.svc.acceptInvite('carol', code)]);
          assert.equal(accepted.filter((a) => a.status === 'fulfilled').length, 1);
        } finally {
          await secondDb.close();
        }
      });
    }
  });
}
