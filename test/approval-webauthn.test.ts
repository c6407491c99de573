// WebAuthn ceremonies with a software authenticator: registration takes only the server's challenge and
// requires user verification; an approval assertion is refused without a credential, replayed, for another
// request, version or user, with a counter going back, without UV, from another origin, or too late.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { actionDigest, relyingPartyFor, WebAuthnCeremonies, WebAuthnError, type WebAuthnErrorCode } from '../src/approval/webauthn.js';
import { MemoryChallenges, MemoryCredentials } from './approval-memory.js';
import { SoftAuthenticator, UP } from './webauthn-authenticator.js';

const ORIGIN = 'https://registry.example.test';
const RP_ID = 'registry.example.test';
const A = { userId: 'alice', requestId: 'req-1', integrity: 'sha512-AAAA' };

async function refused(promise: Promise<unknown>, code: WebAuthnErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof WebAuthnError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  });
}

describe('WebAuthn ceremonies', () => {
  let clock: number;
  let challenges: MemoryChallenges;
  let credentials: MemoryCredentials;
  let ceremonies: WebAuthnCeremonies;
  let alice: SoftAuthenticator;

  async function register(user: string, auth: SoftAuthenticator) {
    const { challengeId, options } = await ceremonies.startRegistration({ id: user });
    return ceremonies.finishRegistration(user, challengeId, auth.register(options), 'laptop');
  }

  beforeEach(async () => {
    clock = Date.parse('2026-01-01T00:00:00Z');
    challenges = new MemoryChallenges();
    credentials = new MemoryCredentials();
    ceremonies = new WebAuthnCeremonies({ rp: relyingPartyFor(`${ORIGIN}/`), challenges, credentials, now: () => clock });
    alice = new SoftAuthenticator(ORIGIN, RP_ID);
  });

  describe('registration', () => {
    it('stores the public key, counter and transports of a user-verified credential', async () => {
      const { options } = await ceremonies.startRegistration({ id: 'alice' });
      assert.equal(options.rp.id, RP_ID);
      assert.equal(options.authenticatorSelection?.userVerification, 'required');
      assert.equal(options.attestation, 'none');
      assert.deepEqual(options.pubKeyCredParams.map((p) => p.alg), [-7, -8, -257]);
      const stored = await register('alice', alice);
      assert.equal(stored.id, alice.id);
      assert.equal(stored.userId, 'alice');
      assert.equal(stored.counter, 0);
      assert.deepEqual(stored.transports, ['internal']);
      assert.ok(stored.publicKey.length > 64);
      assert.deepEqual((await credentials.listByUser('alice')).map((c) => c.id), [alice.id]);
    });

    it('issues a fresh random challenge every time', async () => {
      const one = await ceremonies.startRegistration({ id: 'alice' });
      const two = await ceremonies.startRegistration({ id: 'alice' });
      assert.notEqual(one.options.challenge, two.options.challenge);
      assert.equal(Buffer.from(one.options.challenge, 'base64url').length, 64);
    });

    it('refuses a challenge the client chose, an unknown challenge id and a second use', async () => {
      const { challengeId, options } = await ceremonies.startRegistration({ id: 'alice' });
      await refused(ceremonies.finishRegistration('alice', challengeId, alice.register(options, { challenge: Buffer.alloc(64, 7).toString('base64url') }), 'x'), 'VERIFICATION_FAILED');
      const next = await ceremonies.startRegistration({ id: 'alice' });
      await refused(ceremonies.finishRegistration('alice', 'made-up-id', alice.register(next.options), 'x'), 'CHALLENGE_UNKNOWN');
      await ceremonies.finishRegistration('alice', next.challengeId, alice.register(next.options), 'x');
      await refused(ceremonies.finishRegistration('alice', next.challengeId, alice.register(next.options), 'x'), 'CHALLENGE_UNKNOWN');
      assert.equal((await credentials.listByUser('alice')).length, 1);
    });

    it('refuses registration without user verification, from another origin or RP, or for another user', async () => {
      const cases: [Parameters<SoftAuthenticator['register']>[1], WebAuthnErrorCode][] = [
        [{ flags: UP }, 'VERIFICATION_FAILED'],
        [{ origin: 'https://evil.example.test' }, 'VERIFICATION_FAILED'],
        [{ rpID: 'evil.example.test' }, 'VERIFICATION_FAILED'],
        [{ type: 'webauthn.get' }, 'VERIFICATION_FAILED'],
      ];
      for (const [bend, code] of cases) {
        const { challengeId, options } = await ceremonies.startRegistration({ id: 'alice' });
        await refused(ceremonies.finishRegistration('alice', challengeId, alice.register(options, bend), 'x'), code);
      }
      const { challengeId, options } = await ceremonies.startRegistration({ id: 'bob' });
      await refused(ceremonies.finishRegistration('alice', challengeId, alice.register(options), 'x'), 'CHALLENGE_MISMATCH');
      assert.equal(credentials.map.size, 0);
    });

    it('refuses a credential that is already registered, also to someone else', async () => {
      await register('alice', alice);
      await refused(register('bob', alice), 'CREDENTIAL_EXISTS');
      assert.equal((await credentials.get(alice.id))?.userId, 'alice');
    });

    it('refuses malformed responses', async () => {
      for (const bad of [null, 'x', { id: 1 }, { id: 'a', rawId: 'a', type: 'public-key', response: {} }]) {
        const { challengeId } = await ceremonies.startRegistration({ id: 'alice' });
        await refused(ceremonies.finishRegistration('alice', challengeId, bad, 'x'), 'MALFORMED');
      }
    });
  });

  describe('approval', () => {
    beforeEach(() => register('alice', alice).then(() => undefined));

    it('accepts a fresh assertion and returns what was approved, advancing the counter', async () => {
      const { challengeId, options } = await ceremonies.startApproval(A);
      assert.equal(options.userVerification, 'required');
      assert.deepEqual(options.allowCredentials?.map((c) => c.id), [alice.id]);
      const verified = await ceremonies.verifyApproval(A, challengeId, alice.assert(options));
      assert.deepEqual(verified, { decision: 'approve', userId: 'alice', credentialId: alice.id, challengeId, requestId: 'req-1', integrity: 'sha512-AAAA', newCounter: 1, userVerified: true });
      assert.equal(challengeId, options.challenge);
      assert.equal((await credentials.get(alice.id))?.counter, 1);
      const again = await ceremonies.startApproval(A);
      await ceremonies.verifyApproval(A, again.challengeId, alice.assert(again.options));
      assert.equal((await credentials.get(alice.id))?.counter, 2);
    });

    it('binds the challenge to the request, user and integrity in its own bytes', async () => {
      const one = await ceremonies.startApproval(A);
      const two = await ceremonies.startApproval({ ...A, integrity: 'sha512-BBBB' });
      const tail = (c: string) => Buffer.from(c, 'base64url').subarray(32).toString('hex');
      const same = await ceremonies.startApproval(A);
      assert.equal(tail(one.options.challenge), tail(same.options.challenge));
      assert.notEqual(tail(one.options.challenge), tail(two.options.challenge));
      assert.notEqual(one.options.challenge, same.options.challenge);
    });

    it('refuses an approval without a registered credential', async () => {
      await refused(ceremonies.startApproval({ ...A, userId: 'carol' }), 'CREDENTIAL_UNKNOWN');
      const { challengeId, options } = await ceremonies.startApproval(A);
      const stranger = new SoftAuthenticator(ORIGIN, RP_ID);
      await refused(ceremonies.verifyApproval(A, challengeId, stranger.assert(options)), 'CREDENTIAL_UNKNOWN');
    });

    it('refuses a replayed assertion, with the same or a new challenge id', async () => {
      const { challengeId, options } = await ceremonies.startApproval(A);
      const assertion = alice.assert(options);
      await ceremonies.verifyApproval(A, challengeId, assertion);
      await refused(ceremonies.verifyApproval(A, challengeId, assertion), 'CHALLENGE_UNKNOWN');
      const fresh = await ceremonies.startApproval(A);
      await refused(ceremonies.verifyApproval(A, fresh.challengeId, assertion), 'VERIFICATION_FAILED');
    });

    it('accepts one of two concurrent uses of a challenge', async () => {
      const { challengeId, options } = await ceremonies.startApproval(A);
      const assertion = alice.assert(options);
      const results = await Promise.allSettled([ceremonies.verifyApproval(A, challengeId, assertion), ceremonies.verifyApproval(A, challengeId, assertion)]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    });

    it('refuses an assertion for another version (integrity) or another request', async () => {
      for (const other of [{ ...A, integrity: 'sha512-BBBB' }, { ...A, requestId: 'req-2' }]) {
        const { challengeId, options } = await ceremonies.startApproval(A);
        await refused(ceremonies.verifyApproval(other, challengeId, alice.assert(options)), 'CHALLENGE_MISMATCH');
      }
      // A step-up challenge is not an approval either.
      const stepUp = await ceremonies.startStepUp('alice');
      await refused(ceremonies.verifyApproval(A, stepUp.challengeId, alice.assert(stepUp.options)), 'CHALLENGE_MISMATCH');
    });

    it('keeps approving and rejecting apart: a challenge for one does not serve the other', async () => {
      const toReject = await ceremonies.startApproval({ ...A, decision: 'reject' });
      await refused(ceremonies.verifyApproval(A, toReject.challengeId, alice.assert(toReject.options)), 'CHALLENGE_MISMATCH');
      const toApprove = await ceremonies.startApproval(A);
      await refused(ceremonies.verifyApproval({ ...A, decision: 'reject' }, toApprove.challengeId, alice.assert(toApprove.options)), 'CHALLENGE_MISMATCH');
      const ok = await ceremonies.startApproval({ ...A, decision: 'reject' });
      assert.equal((await ceremonies.verifyApproval({ ...A, decision: 'reject' }, ok.challengeId, alice.assert(ok.options))).decision, 'reject');
    });

    it("refuses another user's credential, and another user's challenge", async () => {
      const bob = new SoftAuthenticator(ORIGIN, RP_ID);
      await register('bob', bob);
      const forAlice = await ceremonies.startApproval(A);
      await refused(ceremonies.verifyApproval(A, forAlice.challengeId, bob.assert(forAlice.options)), 'CREDENTIAL_UNKNOWN');
      const forBob = await ceremonies.startApproval({ ...A, userId: 'bob' });
      await refused(ceremonies.verifyApproval(A, forBob.challengeId, alice.assert(forBob.options)), 'CHALLENGE_MISMATCH');
    });

    it('refuses a counter that goes back or stays put, and keeps the stored one', async () => {
      for (let i = 0; i < 3; i++) {
        const { challengeId, options } = await ceremonies.startApproval(A);
        await ceremonies.verifyApproval(A, challengeId, alice.assert(options));
      }
      for (const counter of [1, 3]) {
        const { challengeId, options } = await ceremonies.startApproval(A);
        await refused(ceremonies.verifyApproval(A, challengeId, alice.assert(options, { counter })), 'COUNTER_REGRESSION');
      }
      assert.equal((await credentials.get(alice.id))?.counter, 3);
    });

    it('accepts counters that stay at zero (authenticators without a counter)', async () => {
      for (let i = 0; i < 2; i++) {
        const { challengeId, options } = await ceremonies.startApproval(A);
        await ceremonies.verifyApproval(A, challengeId, alice.assert(options, { counter: 0 }));
      }
      assert.equal((await credentials.get(alice.id))?.counter, 0);
    });

    it('refuses an assertion without user verification, and spends the challenge', async () => {
      const { challengeId, options } = await ceremonies.startApproval(A);
      await refused(ceremonies.verifyApproval(A, challengeId, alice.assert(options, { flags: UP })), 'USER_NOT_VERIFIED');
      await refused(ceremonies.verifyApproval(A, challengeId, alice.assert(options)), 'CHALLENGE_UNKNOWN');
    });

    it('refuses another origin, another RP ID, a wrong type or a tampered signature', async () => {
      for (const bend of [{ origin: 'https://evil.example.test' }, { origin: 'http://registry.example.test' }, { rpID: 'evil.example.test' }, { type: 'webauthn.create' }]) {
        const { challengeId, options } = await ceremonies.startApproval(A);
        await refused(ceremonies.verifyApproval(A, challengeId, alice.assert(options, bend)), 'VERIFICATION_FAILED');
      }
      const { challengeId, options } = await ceremonies.startApproval(A);
      const assertion = alice.assert(options);
      const sig = Buffer.from(assertion.response.signature, 'base64url');
      sig[sig.length - 1]! ^= 1;
      await refused(ceremonies.verifyApproval(A, challengeId, { ...assertion, response: { ...assertion.response, signature: sig.toString('base64url') } }), 'VERIFICATION_FAILED');
    });

    it('refuses an expired challenge', async () => {
      const { challengeId, options } = await ceremonies.startApproval(A);
      clock += 5 * 60 * 1000;
      await refused(ceremonies.verifyApproval(A, challengeId, alice.assert(options)), 'CHALLENGE_EXPIRED');
      assert.equal((await credentials.get(alice.id))?.counter, 0);
    });

    it('binds an owner\'s confirmation to one action: another action, another user, a step-up or a replay is refused', async () => {
      const invite = actionDigest(['team-lib', 'invite', 'group-1']);
      const ok = await ceremonies.startManage('alice', invite);
      assert.equal((await ceremonies.verifyManage('alice', invite, ok.challengeId, alice.assert(ok.options))).id, alice.id);
      await refused(ceremonies.verifyManage('alice', invite, ok.challengeId, alice.assert(ok.options)), 'CHALLENGE_UNKNOWN');
      for (const other of [actionDigest(['team-lib', 'invite', 'group-2']), actionDigest(['other-lib', 'invite', 'group-1'])]) {
        const c = await ceremonies.startManage('alice', invite);
        await refused(ceremonies.verifyManage('alice', other, c.challengeId, alice.assert(c.options)), 'CHALLENGE_MISMATCH');
      }
      const stepUp = await ceremonies.startStepUp('alice');
      await refused(ceremonies.verifyManage('alice', invite, stepUp.challengeId, alice.assert(stepUp.options)), 'CHALLENGE_MISMATCH');
      const manage = await ceremonies.startManage('alice', invite);
      await refused(ceremonies.verifyStepUp('alice', manage.challengeId, alice.assert(manage.options)), 'CHALLENGE_MISMATCH');
      const bob = new SoftAuthenticator(ORIGIN, RP_ID);
      await register('bob', bob);
      const forAlice = await ceremonies.startManage('alice', invite);
      await refused(ceremonies.verifyManage('bob', invite, forAlice.challengeId, bob.assert(forAlice.options)), 'CHALLENGE_MISMATCH');
      const expired = await ceremonies.startManage('alice', invite);
      clock += 5 * 60 * 1000;
      await refused(ceremonies.verifyManage('alice', invite, expired.challengeId, alice.assert(expired.options)), 'CHALLENGE_EXPIRED');
    });

    it('verifies a step-up with a registered device of the same user only', async () => {
      const ok = await ceremonies.startStepUp('alice');
      assert.equal((await ceremonies.verifyStepUp('alice', ok.challengeId, alice.assert(ok.options))).id, alice.id);
      const approval = await ceremonies.startApproval(A);
      await refused(ceremonies.verifyStepUp('alice', approval.challengeId, alice.assert(approval.options)), 'CHALLENGE_MISMATCH');
    });
  });
});
