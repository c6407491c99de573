// Approvers' devices: WebAuthn challenges (random, single use, short-lived, bound server-side to what
// they are for), credentials with their signature counters, web sessions, Web Push subscriptions and the
// gateway's own keys. The WebAuthn ceremonies themselves (webauthn.ts) verify signatures and hand over
// the Verified* values below; this module decides whether they may be used.
import { createHash, randomBytes } from 'node:crypto';
import type { Db, Sql } from './db.js';
import { ApprovalError } from './errors.js';
import {
  advanceCounter, consumeChallenge, countCredentials, credentialsOf, deleteCredential, deletePushSubscription, insertChallenge, insertCredential, insertSession,
  keyOrCreate, liveSession, pushSubscriptionsOf, readChallenge, readCredential, revokeSession, upsertPushSubscription,
  type Challenge, type ChallengePurpose, type Credential, type PushSubscription, type Session,
} from './store-devices.js';

/** A registration the WebAuthn layer verified; its challenge came from registrationChallenge. */
export interface VerifiedRegistration {
  userId: string;
  challengeId: string;
  credential: { id: string; publicKey: Uint8Array; counter: number; transports?: string[]; deviceType?: string; backedUp?: boolean };
  userVerified: boolean;
  /** A name for the device, chosen by its owner. */
  label?: string;
}

/** A sign-in assertion the WebAuthn layer verified against the stored credential's public key. */
export interface VerifiedLogin {
  /** The user the credential belongs to, as stored. */
  userId: string;
  credentialId: string;
  /** The challenge from the assertion's clientDataJSON. */
  challengeId: string;
  /** The authenticator's signature counter in this assertion (0 for one that keeps none). */
  newCounter: number;
  userVerified: boolean;
}

/** An approval or a rejection, verified; its challenge binds it to one request, one user and one tarball. */
export interface VerifiedAssertion extends VerifiedLogin {
  requestId: string;
  integrity: string;
}

export interface DeviceSettings {
  /** How long a challenge may be answered. Default 5 minutes. */
  challengeTtlMs: number;
  /** How long a web session lasts. Default 12 hours. */
  sessionTtlMs: number;
}

export const DEVICE_DEFAULTS: DeviceSettings = { challengeTtlMs: 5 * 60_000, sessionTtlMs: 12 * 3600_000 };

const label = (text: string | undefined): string | null => (text === undefined ? null : text.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 100) || null);

export function sessionId(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class Devices {
  constructor(
    private readonly db: Db,
    private readonly clock: () => Date,
    readonly settings: DeviceSettings = DEVICE_DEFAULTS,
  ) {}

  private now(): string {
    return this.clock().toISOString();
  }

  /** A new challenge for `purpose`, bound to what it may be used for. */
  async issue(purpose: ChallengePurpose, binding: { user?: string | null; requestId?: string | null; integrity?: string | null; action?: string | null } = {}): Promise<Challenge> {
    const now = this.clock();
    const c: Challenge = {
      challenge: randomBytes(32).toString('base64url'), purpose, user: binding.user ?? null, requestId: binding.requestId ?? null, integrity: binding.integrity ?? null,
      action: binding.action ?? null,
      createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + this.settings.challengeTtlMs).toISOString(), consumedAt: null,
    };
    await insertChallenge(this.db, c);
    return c;
  }

  /**
   * A registration challenge for `user`. The caller has authenticated the user (token, password or
   * session); a user who already has a device must be signed in with one (`session`), so a stolen npm
   * token cannot add the thief's authenticator.
   */
  async registrationChallenge(user: string, session: Session | null): Promise<Challenge> {
    if ((await countCredentials(this.db, user)) > 0 && session?.user !== user) {
      throw new ApprovalError('FORBIDDEN', `${user} already has a registered device: sign in with it to add another`);
    }
    return this.issue('register', { user });
  }

  /** A sign-in challenge; without `user`, any registered credential (a passkey) may answer it. */
  loginChallenge(user?: string): Promise<Challenge> {
    return this.issue('login', { user: user ?? null });
  }

  /** The challenge as issued (not consumed): what the WebAuthn layer checks the signed clientDataJSON against. */
  challenge(value: string): Promise<Challenge | null> {
    return readChallenge(this.db, value);
  }

  /**
   * Uses up a challenge. It is consumed before its binding is compared, so a challenge presented for
   * anything else is gone as well: each challenge is answered at most once, right or wrong.
   */
  async consume(value: string, expect: { purpose: ChallengePurpose; user: string; requestId?: string; integrity?: string; action?: string }): Promise<Challenge> {
    const c = await consumeChallenge(this.db, value, this.now());
    if (!c) throw new ApprovalError('CHALLENGE', 'unknown, used or expired challenge');
    const mismatch = c.purpose !== expect.purpose ? `it was issued to ${c.purpose}, not to ${expect.purpose}`
      : c.user !== null && c.user !== expect.user ? 'it was issued to another user'
        : (expect.requestId !== undefined || c.requestId !== null) && c.requestId !== expect.requestId ? 'it was issued for another request'
          : (expect.integrity !== undefined || c.integrity !== null) && c.integrity !== expect.integrity ? 'it was issued for another tarball'
            : (expect.action !== undefined || c.action !== null) && c.action !== expect.action ? 'it was issued for another action'
              : null;
    if (mismatch) throw new ApprovalError('CHALLENGE', `the challenge does not fit: ${mismatch}`);
    return c;
  }

  /** Records the use of a credential in `sql`'s transaction: it must be the user's and its counter must grow. */
  async use(sql: Sql, user: string, credentialId: string, counter: number): Promise<void> {
    if (!Number.isSafeInteger(counter) || counter < 0) throw new ApprovalError('BAD_REQUEST', 'the signature counter must be a non-negative integer');
    if (await advanceCounter(sql, user, credentialId, counter, this.now())) return;
    const c = await readCredential(sql, credentialId);
    if (!c || c.user !== user) throw new ApprovalError('CREDENTIAL', `no such device of ${user}`);
    throw new ApprovalError('CREDENTIAL', `the device's signature counter went from ${c.counter} to ${counter}: it may have been cloned, so it is refused`);
  }

  async addCredential(r: VerifiedRegistration): Promise<Credential> {
    if (!r.userVerified) throw new ApprovalError('CREDENTIAL', 'the authenticator did not verify the user (PIN or biometrics); it cannot be used for approvals');
    await this.consume(r.challengeId, { purpose: 'register', user: r.userId });
    const c: Credential = {
      id: r.credential.id, user: r.userId, publicKey: r.credential.publicKey, counter: r.credential.counter, transports: r.credential.transports ?? [],
      deviceType: r.credential.deviceType ?? null, backedUp: r.credential.backedUp ?? null, label: label(r.label), createdAt: this.now(), lastUsedAt: null,
    };
    if (!/^[A-Za-z0-9_-]{16,1400}$/.test(c.id)) throw new ApprovalError('BAD_REQUEST', 'credential id: expected base64url');
    if (!(await insertCredential(this.db, c))) throw new ApprovalError('CONFLICT', 'this device is registered already');
    return c;
  }

  credential(id: string): Promise<Credential | null> {
    return readCredential(this.db, id);
  }

  credentials(user: string): Promise<Credential[]> {
    return credentialsOf(this.db, user);
  }

  /** Removes one of the signed-in user's devices, never the last (which would let a token register a new first one). */
  async removeCredential(session: Session, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      if ((await countCredentials(tx, session.user)) <= 1) throw new ApprovalError('CONFLICT', 'this is your only device: register another one before removing it');
      if (!(await deleteCredential(tx, session.user, id))) throw new ApprovalError('NOT_FOUND', 'no such device');
    });
  }

  /** Opens a web session for a verified sign-in; the token is returned once and stored only as its hash. */
  async login(l: VerifiedLogin): Promise<{ token: string; session: Session }> {
    if (!l.userVerified) throw new ApprovalError('CREDENTIAL', 'the authenticator did not verify the user');
    await this.consume(l.challengeId, { purpose: 'login', user: l.userId });
    const token = `npss_${randomBytes(32).toString('base64url')}`;
    const now = this.clock();
    const session: Session = { id: sessionId(token), user: l.userId, credentialId: l.credentialId, createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + this.settings.sessionTtlMs).toISOString() };
    await this.db.transaction(async (tx) => {
      await this.use(tx, l.userId, l.credentialId, l.newCounter);
      await insertSession(tx, session);
    });
    return { token, session };
  }

  /** The live session of a token (not expired, not ended), or null. */
  session(token: string): Promise<Session | null> {
    return liveSession(this.db, sessionId(token), this.now());
  }

  async logout(token: string): Promise<void> {
    await revokeSession(this.db, sessionId(token), this.now());
  }

  async subscribe(user: string, sub: { endpoint: string; keys: { p256dh: string; auth: string } }): Promise<PushSubscription> {
    let url: URL;
    try {
      url = new URL(sub.endpoint);
    } catch {
      throw new ApprovalError('BAD_REQUEST', 'endpoint: expected a URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ApprovalError('BAD_REQUEST', 'endpoint: expected an http(s) URL');
    if (!/^[A-Za-z0-9_-]{20,200}={0,2}$/.test(sub.keys.p256dh) || !/^[A-Za-z0-9_-]{8,100}={0,2}$/.test(sub.keys.auth)) {
      throw new ApprovalError('BAD_REQUEST', 'keys: expected the subscription\'s base64url p256dh and auth keys');
    }
    const s: PushSubscription = { endpoint: sub.endpoint, user, keys: { p256dh: sub.keys.p256dh, auth: sub.keys.auth }, createdAt: this.now() };
    await upsertPushSubscription(this.db, s);
    return s;
  }

  subscriptions(users: readonly string[]): Promise<PushSubscription[]> {
    return pushSubscriptionsOf(this.db, users);
  }

  /** Forgets a subscription (the push service said it is gone, or its user unsubscribed: then only theirs). */
  unsubscribe(endpoint: string, user?: string): Promise<boolean> {
    return deletePushSubscription(this.db, endpoint, user);
  }

  /** A key of the gateway kept in the database, so every gateway sharing it uses the same one (VAPID: name "vapid"). */
  gatewayKey<T>(name: string, create: () => T): Promise<T> {
    return keyOrCreate(this.db, name, create, this.now());
  }
}
