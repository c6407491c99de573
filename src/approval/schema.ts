// The gateway's tables, as numbered migrations applied in order on open. A migration is never edited
// once released: a change to the schema is a new one at the end. docs/approval.md describes the tables.
import type { Db } from './db.js';
import { ApprovalError } from './errors.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Keys of transaction-scoped advisory locks: (namespace, hashtext(name)). */
export const LOCK = { migrations: 1, package: 2, groups: 3 } as const;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'registry',
    sql: `
create table registry_packages (
  name text primary key,
  record jsonb not null,
  modified_at timestamptz not null
);
create table registry_users (
  name text primary key,
  email text,
  password text,
  created_at timestamptz not null
);
create table registry_tokens (
  key text primary key check (key ~ '^[0-9a-f]{64}$'),
  user_name text not null references registry_users (name) on delete cascade,
  created_at timestamptz not null,
  readonly boolean not null,
  preview text not null
);
create index registry_tokens_user on registry_tokens (user_name);
create table registry_stage (
  id uuid primary key,
  package_name text not null,
  version text not null,
  unique (package_name, version)
);
create table registry_advisories (
  id integer generated always as identity primary key,
  name text not null,
  range text not null,
  severity text not null check (severity in ('info', 'low', 'moderate', 'high', 'critical')),
  title text not null,
  url text,
  created_at timestamptz not null
);`,
  },
  {
    version: 2,
    name: 'approval',
    sql: `
create table approval_groups (
  id uuid primary key,
  scope text not null,
  name text not null,
  required integer not null check (required between 1 and 100),
  created_at timestamptz not null,
  created_by text not null,
  unique (scope, name)
);
create table approval_members (
  group_id uuid not null references approval_groups (id) on delete cascade,
  user_name text not null,
  added_at timestamptz not null,
  added_by text not null,
  primary key (group_id, user_name)
);
create index approval_members_user on approval_members (user_name);
create table approval_invites (
  code_hash text primary key check (code_hash ~ '^[0-9a-f]{64}$'),
  group_id uuid not null references approval_groups (id) on delete cascade,
  created_by text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  used_by text
);
create table approval_requests (
  id uuid primary key,
  package_name text not null,
  version text not null,
  integrity text not null,
  publisher text not null,
  token_key text,
  session_id text,
  policy jsonb not null,
  status text not null check (status in ('pending', 'approved', 'rejected', 'expired')),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  settled_at timestamptz,
  settled_by text,
  reason text,
  unique (package_name, version)
);
create index approval_requests_pending on approval_requests (expires_at) where status = 'pending';
create table approval_votes (
  request_id uuid not null references approval_requests (id) on delete cascade,
  user_name text not null,
  credential_id text not null,
  integrity text not null,
  challenge text not null unique,
  created_at timestamptz not null,
  primary key (request_id, user_name)
);
create table webauthn_credentials (
  id text primary key,
  user_name text not null,
  public_key bytea not null,
  counter bigint not null check (counter >= 0),
  transports jsonb not null,
  device_type text,
  backed_up boolean,
  label text,
  created_at timestamptz not null,
  last_used_at timestamptz
);
create index webauthn_credentials_user on webauthn_credentials (user_name);
create table webauthn_challenges (
  challenge text primary key,
  purpose text not null check (purpose in ('register', 'login', 'approve', 'reject')),
  user_name text,
  request_id uuid,
  integrity text,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  consumed_at timestamptz,
  check ((purpose in ('approve', 'reject')) = (request_id is not null and integrity is not null and user_name is not null)),
  check (purpose <> 'register' or user_name is not null)
);
create table approval_sessions (
  id_hash text primary key check (id_hash ~ '^[0-9a-f]{64}$'),
  user_name text not null,
  credential_id text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create table push_subscriptions (
  endpoint text primary key,
  user_name text not null,
  p256dh text not null,
  auth text not null,
  created_at timestamptz not null
);
create index push_subscriptions_user on push_subscriptions (user_name);
create table gateway_keys (
  name text primary key,
  value jsonb not null,
  created_at timestamptz not null
);
create table security_notices (
  id uuid primary key,
  package_name text not null,
  version text not null,
  severity text not null check (severity in ('info', 'low', 'moderate', 'high', 'critical')),
  title text not null,
  body text not null,
  author text not null,
  created_at timestamptz not null,
  keyid text not null,
  signature text not null
);
create index security_notices_version on security_notices (package_name, version);`,
  },
  {
    version: 3,
    name: 'approver web',
    sql: `
alter table approval_sessions alter column credential_id drop not null;
alter table approval_sessions add column method text not null default 'webauthn' check (method in ('webauthn', 'link', 'token'));
alter table approval_sessions add column token_key text;
alter table approval_sessions add column csrf text;
alter table approval_sessions add column elevated_until timestamptz;
create table approval_login_codes (
  code_hash text primary key check (code_hash ~ '^[0-9a-f]{64}$'),
  user_name text not null,
  expires_at timestamptz not null
);`,
  },
  {
    version: 4,
    name: 'owner actions',
    sql: `
alter table webauthn_challenges drop constraint webauthn_challenges_purpose_check;
alter table webauthn_challenges add constraint webauthn_challenges_purpose_check check (purpose in ('register', 'login', 'approve', 'reject', 'manage'));
alter table webauthn_challenges add column action text;
alter table webauthn_challenges add constraint webauthn_challenges_manage_check check ((purpose = 'manage') = (action is not null) and (purpose <> 'manage' or user_name is not null));`,
  },
  {
    version: 5,
    name: 'granular tokens',
    sql: `
alter table registry_tokens add column packages jsonb;
alter table registry_tokens add column expires_at timestamptz;`,
  },
];

/**
 * Applies the migrations this database lacks, each in the same transaction as its record, under a lock
 * so gateways starting together on one PostgreSQL apply each migration once.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1, 0)', [LOCK.migrations]);
    await tx.exec('create table if not exists schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())');
    const done = new Set((await tx.query<{ version: number }>('select version from schema_migrations')).map((r) => Number(r.version)));
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...done].filter((v) => !known.has(v));
    if (unknown.length) {
      throw new ApprovalError('DATABASE_NEWER', `${db.location}: the database has migration ${Math.max(...unknown)}, which this packsec does not know`);
    }
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
