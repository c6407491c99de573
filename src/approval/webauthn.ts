// WebAuthn ceremonies of the approval gateway (with @simplewebauthn/server): registering an approver's
// device, and assertions bound server-side to one approval request, one user and one tarball integrity.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';

/** What an approver decides on a request; each needs its own fresh assertion. */
export type Decision = 'approve' | 'reject';

/**
 * What a challenge was issued for: a device registration, a decision on a request, re-proving a device
 * (step-up), or one owner's or maintainer's action on a package (a group change, an invite, a notice).
 */
export type ChallengePurpose = 'register' | Decision | 'step-up' | 'manage';

export interface ChallengeBinding {
  purpose: ChallengePurpose;
  userId: string;
  /** Approvals only: the approval request and the integrity of its tarball when the challenge was issued. */
  requestId?: string;
  integrity?: string;
  /** 'manage' only: the SHA-256 (hex) of the action's canonical description (actionDigest). */
  action?: string;
}

export interface StoredChallenge extends ChallengeBinding {
  /** base64url, as it appears in clientDataJSON; also the challenge's id. */
  challenge: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** Issued challenges. The database store implements it; expired ones may be purged at any time. */
export interface ChallengeStore {
  put(challenge: StoredChallenge): Promise<void>;
  /** Removes and returns the challenge, atomically: of two concurrent takes of one challenge, one gets undefined. */
  take(challenge: string): Promise<StoredChallenge | undefined>;
}

export interface StoredCredential {
  /** base64url credential id. */
  id: string;
  userId: string;
  /** COSE public key. */
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  /** A label the approver chose ("laptop"). */
  name: string;
  createdAt: string;
  lastUsedAt?: string;
}

export interface CredentialStore {
  /** False when a credential with this id exists (for any user). */
  add(credential: StoredCredential): Promise<boolean>;
  get(id: string): Promise<StoredCredential | undefined>;
  listByUser(userId: string): Promise<StoredCredential[]>;
  /** Compare-and-set: stores `to` only while the counter is still `from`; false otherwise. */
  updateCounter(id: string, from: number, to: number, usedAt: string): Promise<boolean>;
}

/** What the approval service accepts as proof that `userId` decided (approved or rejected) `requestId` at `integrity`. */
export interface VerifiedAssertion {
  decision: Decision;
  userId: string;
  credentialId: string;
  /** The challenge (base64url) the assertion signed; spent. */
  challengeId: string;
  requestId: string;
  integrity: string;
  /** The signature counter of this assertion, already stored (0 for authenticators that keep none). */
  newCounter: number;
  /** Always true: an assertion without user verification is refused before this exists. */
  userVerified: true;
}

export interface RelyingParty {
  /** The gateway's host name (WebAuthn does not accept IP addresses: use localhost locally). */
  rpID: string;
  rpName: string;
  /** The origin browsers report: scheme, host and port of the public URL. */
  origin: string;
}

export function relyingPartyFor(publicUrl: string, rpName = 'packsec registry'): RelyingParty {
  const url = new URL(publicUrl);
  return { rpID: url.hostname, rpName, origin: url.origin };
}

export type WebAuthnErrorCode =
  | 'MALFORMED'
  | 'CHALLENGE_UNKNOWN'
  | 'CHALLENGE_EXPIRED'
  | 'CHALLENGE_MISMATCH'
  | 'CREDENTIAL_UNKNOWN'
  | 'CREDENTIAL_EXISTS'
  | 'COUNTER_REGRESSION'
  | 'USER_NOT_VERIFIED'
  | 'VERIFICATION_FAILED';

export const WEBAUTHN_ERRORS: Record<WebAuthnErrorCode, { status: number; hint: string }> = {
  MALFORMED: { status: 400, hint: 'send the JSON that @simplewebauthn/browser returned' },
  CHALLENGE_UNKNOWN: { status: 403, hint: 'a challenge is used once: reload the page and try again' },
  CHALLENGE_EXPIRED: { status: 403, hint: 'challenges expire after a few minutes: reload the page and try again' },
  CHALLENGE_MISMATCH: { status: 403, hint: 'the challenge was issued for another request, user, tarball or purpose' },
  CREDENTIAL_UNKNOWN: { status: 403, hint: 'use a device registered to your account (Devices page)' },
  CREDENTIAL_EXISTS: { status: 409, hint: 'this authenticator is already registered' },
  COUNTER_REGRESSION: { status: 403, hint: 'the authenticator may have been cloned; remove it and register the device again' },
  USER_NOT_VERIFIED: { status: 403, hint: 'the authenticator must verify you (PIN, fingerprint or face)' },
  VERIFICATION_FAILED: { status: 403, hint: 'the authenticator response did not verify' },
};

export class WebAuthnError extends Error {
  readonly status: number;
  readonly hint: string;
  constructor(readonly code: WebAuthnErrorCode, message: string) {
    super(message);
    this.name = 'WebAuthnError';
    this.status = WEBAUTHN_ERRORS[code].status;
    this.hint = WEBAUTHN_ERRORS[code].hint;
  }
}

export interface CeremonyOptions {
  rp: RelyingParty;
  challenges: ChallengeStore;
  credentials: CredentialStore;
  /** How long a challenge may be answered. Default 5 minutes. */
  challengeTtlMs?: number;
  now?: () => number;
}

export interface Issued<T> {
  /** The challenge itself (the page sends it back with the response). */
  challengeId: string;
  options: T;
}

const DEFAULT_TTL_MS = 5 * 60 * 1000;

/**
 * ES256, EdDSA, RS256: what platform authenticators and security keys make. Fixed, so the accepted
 * algorithms do not change with the Node.js version (Node 24 would add experimental ML-DSA-44).
 */
const ALGORITHMS = [-7, -8, -257];

/**
 * The challenge is 32 random bytes followed by the SHA-256 of its binding, so the signed clientDataJSON
 * itself names what was approved: a stored assertion can be audited without trusting the database.
 */
function bindingDigest(b: ChallengeBinding): Buffer {
  const fields = ['packsec-webauthn/1', b.purpose, b.userId, b.requestId ?? '', b.integrity ?? '', ...(b.action !== undefined ? [b.action] : [])];
  return createHash('sha256').update(JSON.stringify(fields)).digest();
}

/**
 * The digest a 'manage' challenge is bound to: the action as a JSON array of its kind and arguments, so
 * an assertion made to invite someone into one group cannot create another group, post a notice, or act
 * on another package.
 */
export function actionDigest(action: readonly (string | number | boolean)[]): string {
  return createHash('sha256').update(JSON.stringify(['packsec-manage/1', ...action])).digest('hex');
}

function sameBinding(stored: StoredChallenge, expected: ChallengeBinding): boolean {
  if (stored.purpose !== expected.purpose || stored.userId !== expected.userId) return false;
  if ((stored.requestId ?? '') !== (expected.requestId ?? '') || (stored.integrity ?? '') !== (expected.integrity ?? '')) return false;
  if ((stored.action ?? '') !== (expected.action ?? '')) return false;
  const bytes = Buffer.from(stored.challenge, 'base64url');
  return bytes.length === 64 && timingSafeEqual(bytes.subarray(32), bindingDigest(expected));
}

/** The WebAuthn user handle: stable per user, bounded in size, and not the user name itself. */
function userHandle(userId: string): Uint8Array {
  return createHash('sha256').update(`packsec-user:${userId}`).digest();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A minimal shape check before the library parses it: untrusted JSON from the browser. */
function credentialResponse(value: unknown, fields: string[]): void {
  const ok = isRecord(value) && typeof value.id === 'string' && typeof value.rawId === 'string' && value.type === 'public-key'
    && isRecord(value.response) && fields.every((f) => typeof (value.response as Record<string, unknown>)[f] === 'string');
  if (!ok) throw new WebAuthnError('MALFORMED', `expected a public-key credential with response.${fields.join(', response.')}`);
}

/** Whether authenticatorData has the UV flag, to name that failure precisely (the library checks it too). */
function userVerifiedFlag(response: AuthenticationResponseJSON): boolean {
  const data = Buffer.from(response.response.authenticatorData, 'base64url');
  return data.length >= 37 && (data[32]! & 0x04) !== 0;
}

export class WebAuthnCeremonies {
  readonly rp: RelyingParty;
  readonly #challenges: ChallengeStore;
  readonly #credentials: CredentialStore;
  readonly #ttl: number;
  readonly #now: () => number;

  constructor(options: CeremonyOptions) {
    this.rp = options.rp;
    this.#challenges = options.challenges;
    this.#credentials = options.credentials;
    this.#ttl = options.challengeTtlMs ?? DEFAULT_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  async #issue(binding: ChallengeBinding): Promise<StoredChallenge> {
    const challenge = Buffer.concat([randomBytes(32), bindingDigest(binding)]).toString('base64url');
    const stored: StoredChallenge = { ...binding, challenge, expiresAt: this.#now() + this.#ttl };
    await this.#challenges.put(stored);
    return stored;
  }

  /** Takes the challenge (so it is spent whatever happens next) and checks its age and binding. */
  async #redeem(challengeId: unknown, expected: ChallengeBinding): Promise<StoredChallenge> {
    const stored = typeof challengeId === 'string' ? await this.#challenges.take(challengeId) : undefined;
    if (!stored) throw new WebAuthnError('CHALLENGE_UNKNOWN', 'unknown or already used challenge');
    if (stored.expiresAt <= this.#now()) throw new WebAuthnError('CHALLENGE_EXPIRED', 'the challenge has expired');
    if (!sameBinding(stored, expected)) {
      const what = expected.requestId !== undefined ? `to ${expected.purpose} this request, by this user, at this tarball` : expected.action !== undefined ? 'for this action by this user' : 'for this user and purpose';
      throw new WebAuthnError('CHALLENGE_MISMATCH', `the challenge was not issued ${what}`);
    }
    return stored;
  }

  /** The user's registered devices. */
  devices(userId: string): Promise<StoredCredential[]> {
    return this.#credentials.listByUser(userId);
  }

  /** Options for navigator.credentials.create(); the challenge is always the server's. */
  async startRegistration(user: { id: string; displayName?: string }): Promise<Issued<PublicKeyCredentialCreationOptionsJSON>> {
    const stored = await this.#issue({ purpose: 'register', userId: user.id });
    const existing = await this.#credentials.listByUser(user.id);
    const options = await generateRegistrationOptions({
      rpName: this.rp.rpName,
      rpID: this.rp.rpID,
      userName: user.id,
      userID: userHandle(user.id) as Uint8Array<ArrayBuffer>,
      userDisplayName: user.displayName ?? user.id,
      challenge: Buffer.from(stored.challenge, 'base64url') as Uint8Array<ArrayBuffer>,
      timeout: this.#ttl,
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      supportedAlgorithmIDs: ALGORITHMS,
    });
    return { challengeId: stored.challenge, options };
  }

  async finishRegistration(userId: string, challengeId: unknown, response: unknown, name: string): Promise<StoredCredential> {
    const stored = await this.#redeem(challengeId, { purpose: 'register', userId });
    credentialResponse(response, ['clientDataJSON', 'attestationObject']);
    let result;
    try {
      result = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: stored.challenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.rpID,
        requireUserVerification: true,
        supportedAlgorithmIDs: ALGORITHMS,
      });
    } catch (err) {
      throw new WebAuthnError('VERIFICATION_FAILED', `registration refused: ${(err as Error).message}`);
    }
    if (!result.verified) throw new WebAuthnError('VERIFICATION_FAILED', 'registration refused');
    if (!result.registrationInfo.userVerified) throw new WebAuthnError('USER_NOT_VERIFIED', 'the authenticator did not verify the user');
    const { credential } = result.registrationInfo;
    const record: StoredCredential = {
      id: credential.id,
      userId,
      publicKey: credential.publicKey,
      counter: credential.counter,
      transports: credential.transports ?? [],
      name: name.trim().slice(0, 64) || 'device',
      createdAt: new Date(this.#now()).toISOString(),
    };
    if (!(await this.#credentials.add(record))) throw new WebAuthnError('CREDENTIAL_EXISTS', 'this credential is already registered');
    return record;
  }

  /** Options for navigator.credentials.get() to approve (or reject) `requestId` at `integrity`. */
  startApproval(binding: { userId: string; requestId: string; integrity: string; decision?: Decision }): Promise<Issued<PublicKeyCredentialRequestOptionsJSON>> {
    const { decision = 'approve', ...rest } = binding;
    return this.#startAssertion({ purpose: decision, ...rest });
  }

  /** Options to prove possession of an already registered device (before registering another one). */
  startStepUp(userId: string): Promise<Issued<PublicKeyCredentialRequestOptionsJSON>> {
    return this.#startAssertion({ purpose: 'step-up', userId });
  }

  /** Options to confirm one action on a package (bound to `action`, an actionDigest) with a registered device. */
  startManage(userId: string, action: string): Promise<Issued<PublicKeyCredentialRequestOptionsJSON>> {
    return this.#startAssertion({ purpose: 'manage', userId, action });
  }

  async #startAssertion(binding: ChallengeBinding): Promise<Issued<PublicKeyCredentialRequestOptionsJSON>> {
    const credentials = await this.#credentials.listByUser(binding.userId);
    if (!credentials.length) throw new WebAuthnError('CREDENTIAL_UNKNOWN', `${binding.userId} has no registered device`);
    const stored = await this.#issue(binding);
    const options = await generateAuthenticationOptions({
      rpID: this.rp.rpID,
      challenge: Buffer.from(stored.challenge, 'base64url') as Uint8Array<ArrayBuffer>,
      timeout: this.#ttl,
      userVerification: 'required',
      allowCredentials: credentials.map((c) => ({ id: c.id, transports: c.transports })),
    });
    return { challengeId: stored.challenge, options };
  }

  /**
   * Checks an assertion for a decision (approve by default, or reject) against the request the caller
   * is looking at (its id and the tarball integrity it has now), spends the challenge and advances the
   * credential's counter.
   */
  async verifyApproval(expected: { userId: string; requestId: string; integrity: string; decision?: Decision }, challengeId: unknown, response: unknown): Promise<VerifiedAssertion> {
    const { decision = 'approve', ...binding } = expected;
    const { credential, challenge } = await this.#verifyAssertion({ purpose: decision, ...binding }, challengeId, response);
    return {
      decision,
      userId: credential.userId, credentialId: credential.id, challengeId: challenge.challenge, requestId: expected.requestId, integrity: expected.integrity,
      newCounter: credential.counter, userVerified: true,
    };
  }

  async verifyStepUp(userId: string, challengeId: unknown, response: unknown): Promise<StoredCredential> {
    return (await this.#verifyAssertion({ purpose: 'step-up', userId }, challengeId, response)).credential;
  }

  /**
   * Checks a fresh, user-verified assertion for exactly this action (an actionDigest recomputed by the
   * caller from what it is about to do), spends the challenge and advances the counter.
   */
  async verifyManage(userId: string, action: string, challengeId: unknown, response: unknown): Promise<StoredCredential> {
    return (await this.#verifyAssertion({ purpose: 'manage', userId, action }, challengeId, response)).credential;
  }

  async #verifyAssertion(expected: ChallengeBinding, challengeId: unknown, response: unknown): Promise<{ credential: StoredCredential; challenge: StoredChallenge }> {
    const challenge = await this.#redeem(challengeId, expected);
    credentialResponse(response, ['clientDataJSON', 'authenticatorData', 'signature']);
    const assertion = response as AuthenticationResponseJSON;
    const credential = await this.#credentials.get(assertion.id);
    // Another user's credential is refused exactly like an unknown one.
    if (!credential || credential.userId !== expected.userId) throw new WebAuthnError('CREDENTIAL_UNKNOWN', 'this device is not registered to your account');
    if (!userVerifiedFlag(assertion)) throw new WebAuthnError('USER_NOT_VERIFIED', 'the authenticator did not verify the user');
    let result;
    try {
      result = await verifyAuthenticationResponse({
        response: assertion,
        expectedChallenge: challenge.challenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.rpID,
        // Counter 0 turns the library's counter check off: ours below runs only on a valid signature,
        // so a cloned authenticator is named as such and a forged response as a forgery.
        credential: { id: credential.id, publicKey: credential.publicKey as Uint8Array<ArrayBuffer>, counter: 0, transports: credential.transports },
        requireUserVerification: true,
      });
    } catch (err) {
      throw new WebAuthnError('VERIFICATION_FAILED', `assertion refused: ${(err as Error).message}`);
    }
    if (!result.verified) throw new WebAuthnError('VERIFICATION_FAILED', 'assertion refused');
    if (!result.authenticationInfo.userVerified) throw new WebAuthnError('USER_NOT_VERIFIED', 'the authenticator did not verify the user');
    const next = result.authenticationInfo.newCounter;
    // Authenticators without a counter always send 0; any other counter must grow.
    if ((next > 0 || credential.counter > 0) && next <= credential.counter) {
      throw new WebAuthnError('COUNTER_REGRESSION', `signature counter ${next} is not above the stored ${credential.counter}`);
    }
    if (!(await this.#credentials.updateCounter(credential.id, credential.counter, next, new Date(this.#now()).toISOString()))) {
      // Another assertion of this credential landed in between: one of the two came from a copy.
      throw new WebAuthnError('COUNTER_REGRESSION', 'the signature counter changed during verification');
    }
    return { credential: { ...credential, counter: next }, challenge };
  }
}
