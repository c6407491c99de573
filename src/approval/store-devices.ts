// Rows of the device tables: WebAuthn credentials, challenges, web sessions, Web Push subscriptions and
// the gateway's own keys (VAPID). Single-use and monotonic rules are enforced by conditional updates.
import { iso, type Sql } from './db.js';

export type ChallengePurpose = 'register' | 'login' | 'approve' | 'reject' | 'manage';

export interface Credential {
  /** base64url credential id. */
  id: string;
  user: string;
  /** The COSE public key, as the authenticator gave it. */
  publicKey: Uint8Array;
  /** The last signature counter seen (0 for authenticators that keep none). */
  counter: number;
  transports: string[];
  deviceType: string | null;
  backedUp: boolean | null;
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface Challenge {
  /** base64url of 32 random bytes: the value the browser signs. */
  challenge: string;
  purpose: ChallengePurpose;
  user: string | null;
  requestId: string | null;
  integrity: string | null;
  /** 'manage' only: the SHA-256 (hex) of the owner's or maintainer's action it may confirm. */
  action: string | null;
  createdAt: string;
  expiresAt: string;
  consumedAt: string | null;
}

export interface Session {
  /** SHA-256 hex of the session token; the token itself is never stored. */
  id: string;
  user: string;
  /** The credential whose assertion opened it. */
  credentialId: string;
  createdAt: string;
  expiresAt: string;
}

export interface PushSubscription {
  endpoint: string;
  user: string;
  keys: { p256dh: string; auth: string };
  createdAt: string;
}

type Time = Date | string;
const maybeIso = (t: Time | null): string | null => (t === null ? null : iso(t));

interface CredentialRow {
  id: string;
  user_name: string;
  public_key: Uint8Array;
  counter: number | string;
  transports: string[];
  device_type: string | null;
  backed_up: boolean | null;
  label: string | null;
  created_at: Time;
  last_used_at: Time | null;
  [key: string]: unknown;
}

interface ChallengeRow {
  challenge: string;
  purpose: ChallengePurpose;
  user_name: string | null;
  request_id: string | null;
  integrity: string | null;
  action: string | null;
  created_at: Time;
  expires_at: Time;
  consumed_at: Time | null;
  [key: string]: unknown;
}

const credential = (r: CredentialRow): Credential => ({
  id: r.id, user: r.user_name, publicKey: new Uint8Array(r.public_key), counter: Number(r.counter), transports: r.transports,
  deviceType: r.device_type, backedUp: r.backed_up, label: r.label, createdAt: iso(r.created_at), lastUsedAt: maybeIso(r.last_used_at),
});

const challenge = (r: ChallengeRow): Challenge => ({
  challenge: r.challenge, purpose: r.purpose, user: r.user_name, requestId: r.request_id, integrity: r.integrity, action: r.action,
  createdAt: iso(r.created_at), expiresAt: iso(r.expires_at), consumedAt: maybeIso(r.consumed_at),
});

/** False when a credential with this id exists already (of anyone). */
export async function insertCredential(sql: Sql, c: Credential): Promise<boolean> {
  const rows = await sql.query(
    `insert into webauthn_credentials (id, user_name, public_key, counter, transports, device_type, backed_up, label, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (id) do nothing returning id`,
    [c.id, c.user, Buffer.from(c.publicKey), c.counter, JSON.stringify(c.transports), c.deviceType, c.backedUp, c.label, c.createdAt],
  );
  return rows.length === 1;
}

export async function readCredential(sql: Sql, id: string): Promise<Credential | null> {
  const rows = await sql.query<CredentialRow>('select * from webauthn_credentials where id = $1', [id]);
  return rows[0] ? credential(rows[0]) : null;
}

export async function credentialsOf(sql: Sql, user: string): Promise<Credential[]> {
  return (await sql.query<CredentialRow>('select * from webauthn_credentials where user_name = $1 order by created_at, id', [user])).map(credential);
}

export async function countCredentials(sql: Sql, user: string): Promise<number> {
  return Number((await sql.query<{ n: number }>('select count(*)::int as n from webauthn_credentials where user_name = $1', [user]))[0]?.n ?? 0);
}

export async function deleteCredential(sql: Sql, user: string, id: string): Promise<boolean> {
  return (await sql.query('delete from webauthn_credentials where id = $1 and user_name = $2 returning id', [id, user])).length === 1;
}

/**
 * Records a use of the credential: the counter must grow (both zero: an authenticator without one).
 * False when the credential is not the user's or the counter did not grow (a cloned authenticator?).
 */
export async function advanceCounter(sql: Sql, user: string, id: string, counter: number, at: string): Promise<boolean> {
  const rows = await sql.query(
    `update webauthn_credentials set counter = $3, last_used_at = $4
     where id = $1 and user_name = $2 and (counter < $3 or (counter = 0 and $3 = 0)) returning id`,
    [id, user, counter, at],
  );
  return rows.length === 1;
}

export async function insertChallenge(sql: Sql, c: Challenge): Promise<void> {
  await sql.query(
    `insert into webauthn_challenges (challenge, purpose, user_name, request_id, integrity, action, created_at, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [c.challenge, c.purpose, c.user, c.requestId, c.integrity, c.action, c.createdAt, c.expiresAt],
  );
}

export async function readChallenge(sql: Sql, value: string): Promise<Challenge | null> {
  const rows = await sql.query<ChallengeRow>('select * from webauthn_challenges where challenge = $1', [value]);
  return rows[0] ? challenge(rows[0]) : null;
}

/** Marks an unused, unexpired challenge as used and returns it; null when there is none (any more). */
export async function consumeChallenge(sql: Sql, value: string, now: string): Promise<Challenge | null> {
  const rows = await sql.query<ChallengeRow>(
    'update webauthn_challenges set consumed_at = $2 where challenge = $1 and consumed_at is null and expires_at > $2 returning *',
    [value, now],
  );
  return rows[0] ? challenge(rows[0]) : null;
}

/** Forgets challenges that ended more than a day ago; they can never be used again anyway. */
export async function pruneChallenges(sql: Sql, now: string): Promise<void> {
  await sql.query("delete from webauthn_challenges where expires_at < $1::timestamptz - interval '1 day'", [now]);
}

export async function insertSession(sql: Sql, s: Session): Promise<void> {
  await sql.query(
    'insert into approval_sessions (id_hash, user_name, credential_id, created_at, expires_at) values ($1, $2, $3, $4, $5)',
    [s.id, s.user, s.credentialId, s.createdAt, s.expiresAt],
  );
}

/** The session, if it exists, is not revoked and has not expired by `now`. */
export async function liveSession(sql: Sql, id: string, now: string): Promise<Session | null> {
  const rows = await sql.query<{ id_hash: string; user_name: string; credential_id: string; created_at: Time; expires_at: Time }>(
    'select * from approval_sessions where id_hash = $1 and revoked_at is null and expires_at > $2',
    [id, now],
  );
  const r = rows[0];
  return r ? { id: r.id_hash, user: r.user_name, credentialId: r.credential_id, createdAt: iso(r.created_at), expiresAt: iso(r.expires_at) } : null;
}

export async function revokeSession(sql: Sql, id: string, now: string): Promise<boolean> {
  return (await sql.query('update approval_sessions set revoked_at = $2 where id_hash = $1 and revoked_at is null returning id_hash', [id, now])).length === 1;
}

/** Saves a subscription; an endpoint subscribed again (by anyone) is replaced. */
export async function upsertPushSubscription(sql: Sql, s: PushSubscription): Promise<void> {
  await sql.query(
    `insert into push_subscriptions (endpoint, user_name, p256dh, auth, created_at) values ($1, $2, $3, $4, $5)
     on conflict (endpoint) do update set user_name = excluded.user_name, p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at`,
    [s.endpoint, s.user, s.keys.p256dh, s.keys.auth, s.createdAt],
  );
}

export async function pushSubscriptionsOf(sql: Sql, users: readonly string[]): Promise<PushSubscription[]> {
  const rows = await sql.query<{ endpoint: string; user_name: string; p256dh: string; auth: string; created_at: Time }>(
    'select * from push_subscriptions where $1::jsonb ? user_name order by user_name, created_at, endpoint',
    [JSON.stringify(users)],
  );
  return rows.map((r) => ({ endpoint: r.endpoint, user: r.user_name, keys: { p256dh: r.p256dh, auth: r.auth }, createdAt: iso(r.created_at) }));
}

export async function deletePushSubscription(sql: Sql, endpoint: string, user?: string): Promise<boolean> {
  const rows = await sql.query('delete from push_subscriptions where endpoint = $1 and ($2::text is null or user_name = $2) returning endpoint', [endpoint, user ?? null]);
  return rows.length === 1;
}

/** The stored key named `name`, or `create()` stored under it when there was none (of several gateways starting at once, the first wins). */
export async function keyOrCreate<T>(sql: Sql, name: string, create: () => T, at: string): Promise<T> {
  const read = async () => (await sql.query<{ value: T }>('select value from gateway_keys where name = $1', [name]))[0]?.value;
  const found = await read();
  if (found !== undefined) return found;
  await sql.query('insert into gateway_keys (name, value, created_at) values ($1, $2, $3) on conflict (name) do nothing', [name, JSON.stringify(create()), at]);
  return (await read())!;
}
