// The stores the approver UI and the WebAuthn ceremonies ask for (interfaces in webauthn.ts, push.ts and
// web/services.ts), kept in the gateway's database: the same tables as the approval service's devices,
// so PGlite and PostgreSQL both serve them and several gateways share them.
import { iso, type Sql } from './db.js';
import type { PushSubscriptionRecord, SubscriptionStore } from './push.js';
import {
  consumeChallenge, credentialsOf, deletePushSubscription, insertChallenge, insertCredential, pushSubscriptionsOf, readCredential, upsertPushSubscription,
  type ChallengePurpose as StoredPurpose, type Challenge, type Credential,
} from './store-devices.js';
import type { LoginCode, LoginCodeStore, SessionRecord, SessionStore } from './web/services.js';
import type { ChallengeStore, ChallengePurpose, CredentialStore, StoredChallenge, StoredCredential } from './webauthn.js';

type Clock = () => number;

/** A step-up proves a registered device, as a sign-in does: the table calls that purpose 'login'. */
const toStored = (p: ChallengePurpose): StoredPurpose => (p === 'step-up' ? 'login' : p);
const fromStored = (p: StoredPurpose): ChallengePurpose => (p === 'login' ? 'step-up' : p);

export class DbChallenges implements ChallengeStore {
  constructor(private readonly sql: Sql, private readonly now: Clock) {}

  async put(c: StoredChallenge): Promise<void> {
    const row: Challenge = {
      challenge: c.challenge, purpose: toStored(c.purpose), user: c.userId, requestId: c.requestId ?? null, integrity: c.integrity ?? null, action: c.action ?? null,
      createdAt: new Date(this.now()).toISOString(), expiresAt: new Date(c.expiresAt).toISOString(), consumedAt: null,
    };
    await insertChallenge(this.sql, row);
  }

  /** Consumed in one conditional update: of two takes, one gets it; an expired challenge is not returned. */
  async take(challenge: string): Promise<StoredChallenge | undefined> {
    const c = await consumeChallenge(this.sql, challenge, new Date(this.now()).toISOString());
    if (!c || c.user === null) return undefined;
    return {
      challenge: c.challenge, purpose: fromStored(c.purpose), userId: c.user, expiresAt: Date.parse(c.expiresAt),
      ...(c.requestId !== null ? { requestId: c.requestId } : {}), ...(c.integrity !== null ? { integrity: c.integrity } : {}),
      ...(c.action !== null ? { action: c.action } : {}),
    };
  }
}

function stored(c: Credential): StoredCredential {
  return {
    id: c.id, userId: c.user, publicKey: c.publicKey, counter: c.counter, transports: c.transports, name: c.label ?? 'device', createdAt: c.createdAt,
    ...(c.lastUsedAt ? { lastUsedAt: c.lastUsedAt } : {}),
  };
}

export class DbCredentials implements CredentialStore {
  constructor(private readonly sql: Sql) {}

  add(c: StoredCredential): Promise<boolean> {
    return insertCredential(this.sql, {
      id: c.id, user: c.userId, publicKey: c.publicKey, counter: c.counter, transports: c.transports, deviceType: null, backedUp: null, label: c.name, createdAt: c.createdAt, lastUsedAt: null,
    });
  }

  async get(id: string): Promise<StoredCredential | undefined> {
    const c = await readCredential(this.sql, id);
    return c ? stored(c) : undefined;
  }

  async listByUser(userId: string): Promise<StoredCredential[]> {
    return (await credentialsOf(this.sql, userId)).map(stored);
  }

  async updateCounter(id: string, from: number, to: number, usedAt: string): Promise<boolean> {
    const rows = await this.sql.query('update webauthn_credentials set counter = $3, last_used_at = $4 where id = $1 and counter = $2 returning id', [id, from, to, usedAt]);
    return rows.length === 1;
  }
}

export class DbSubscriptions implements SubscriptionStore {
  constructor(private readonly sql: Sql) {}

  put(s: PushSubscriptionRecord): Promise<void> {
    return upsertPushSubscription(this.sql, { endpoint: s.endpoint, user: s.userId, keys: { p256dh: s.p256dh, auth: s.auth }, createdAt: s.createdAt });
  }

  async listByUsers(userIds: string[]): Promise<PushSubscriptionRecord[]> {
    return (await pushSubscriptionsOf(this.sql, userIds)).map((s) => ({ userId: s.user, endpoint: s.endpoint, p256dh: s.keys.p256dh, auth: s.keys.auth, createdAt: s.createdAt }));
  }

  async remove(endpoint: string): Promise<void> {
    await deletePushSubscription(this.sql, endpoint);
  }
}

interface SessionRow {
  id_hash: string;
  user_name: string;
  method: string;
  token_key: string | null;
  csrf: string | null;
  created_at: Date | string;
  expires_at: Date | string;
  elevated_until: Date | string | null;
  [key: string]: unknown;
}

const ms = (t: Date | string): number => Date.parse(iso(t));
const at = (t: number): string => new Date(t).toISOString();

/** The approver UI's cookie sessions: only the cookie's hash is stored. */
export class DbSessions implements SessionStore {
  constructor(private readonly sql: Sql) {}

  async put(s: SessionRecord): Promise<void> {
    await this.sql.query(
      `insert into approval_sessions (id_hash, user_name, credential_id, created_at, expires_at, method, token_key, csrf, elevated_until)
       values ($1, $2, null, $3, $4, $5, $6, $7, $8)
       on conflict (id_hash) do update set expires_at = excluded.expires_at, csrf = excluded.csrf, elevated_until = excluded.elevated_until
       where approval_sessions.user_name = excluded.user_name`,
      [s.idHash, s.userId, at(s.createdAt), at(s.expiresAt), s.method, s.tokenKey ?? null, s.csrf, s.elevatedUntil === undefined ? null : at(s.elevatedUntil)],
    );
  }

  async get(idHash: string): Promise<SessionRecord | undefined> {
    const rows = await this.sql.query<SessionRow>("select * from approval_sessions where id_hash = $1 and revoked_at is null and method in ('link', 'token')", [idHash]);
    const r = rows[0];
    if (!r || r.csrf === null) return undefined;
    return {
      idHash: r.id_hash, userId: r.user_name, method: r.method as 'link' | 'token', csrf: r.csrf, createdAt: ms(r.created_at), expiresAt: ms(r.expires_at),
      ...(r.token_key !== null ? { tokenKey: r.token_key } : {}), ...(r.elevated_until !== null ? { elevatedUntil: ms(r.elevated_until) } : {}),
    };
  }

  async delete(idHash: string): Promise<void> {
    await this.sql.query('delete from approval_sessions where id_hash = $1', [idHash]);
  }

  /** Forgets sessions that ended more than a day ago. */
  async prune(now: number): Promise<void> {
    await this.sql.query("delete from approval_sessions where expires_at < $1::timestamptz - interval '1 day'", [at(now)]);
  }
}

export class DbLoginCodes implements LoginCodeStore {
  constructor(private readonly sql: Sql) {}

  async put(code: LoginCode): Promise<void> {
    await this.sql.query('insert into approval_login_codes (code_hash, user_name, expires_at) values ($1, $2, $3)', [code.codeHash, code.userId, at(code.expiresAt)]);
  }

  /** Deleted as it is read, so a code works once even with several gateways. */
  async take(codeHash: string): Promise<LoginCode | undefined> {
    if (!/^[0-9a-f]{64}$/.test(codeHash)) return undefined;
    const rows = await this.sql.query<{ code_hash: string; user_name: string; expires_at: Date | string }>('delete from approval_login_codes where code_hash = $1 returning *', [codeHash]);
    const r = rows[0];
    return r ? { codeHash: r.code_hash, userId: r.user_name, expiresAt: ms(r.expires_at) } : undefined;
  }

  async prune(now: number): Promise<void> {
    await this.sql.query('delete from approval_login_codes where expires_at < $1', [at(now)]);
  }
}
