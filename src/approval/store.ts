// Rows of the approval tables (groups, members, invites, requests, approvals) and the statements that
// read and change them. Each takes the Sql to run on, so the service can combine them in one transaction;
// every state change is a single conditional statement, so two gateways never both make it.
import { scopeOf } from '../registry/names.js';
import { iso, type Sql } from './db.js';
import type { Approval, Group, RequestStatus } from './rule.js';

export interface GroupRecord extends Group {
  /** A package name, or "@scope" for every package of that scope. */
  scope: string;
  createdAt: string;
  createdBy: string;
}

export interface RequestRecord {
  /** The registry's stage id. */
  id: string;
  packageName: string;
  version: string;
  integrity: string;
  publisher: string;
  tokenKey: string | null;
  sessionId: string | null;
  /** The groups when it was made. */
  policy: Group[];
  status: RequestStatus;
  createdAt: string;
  expiresAt: string;
  settledAt: string | null;
  settledBy: string | null;
  reason: string | null;
}

type Time = Date | string;

interface GroupRow {
  id: string;
  scope: string;
  name: string;
  required: number;
  created_at: Time;
  created_by: string;
  members: string[] | null;
  [key: string]: unknown;
}

interface RequestRow {
  id: string;
  package_name: string;
  version: string;
  integrity: string;
  publisher: string;
  token_key: string | null;
  session_id: string | null;
  policy: Group[];
  status: RequestStatus;
  created_at: Time;
  expires_at: Time;
  settled_at: Time | null;
  settled_by: string | null;
  reason: string | null;
  [key: string]: unknown;
}

const GROUPS = `select g.*, (select coalesce(json_agg(m.user_name order by m.user_name), '[]') from approval_members m where m.group_id = g.id) as members
  from approval_groups g`;

const group = (r: GroupRow): GroupRecord => ({
  id: r.id, scope: r.scope, name: r.name, required: Number(r.required), members: r.members ?? [], createdAt: iso(r.created_at), createdBy: r.created_by,
});

const request = (r: RequestRow): RequestRecord => ({
  id: r.id, packageName: r.package_name, version: r.version, integrity: r.integrity, publisher: r.publisher, tokenKey: r.token_key, sessionId: r.session_id,
  policy: r.policy, status: r.status, createdAt: iso(r.created_at), expiresAt: iso(r.expires_at),
  settledAt: r.settled_at === null ? null : iso(r.settled_at), settledBy: r.settled_by, reason: r.reason,
});

// Approval groups belong to a package or to its scope, as the registry names them.
export { scopeOf };

/** The groups that apply to a package: its own and its scope's, oldest first. */
export async function groupsFor(sql: Sql, packageName: string): Promise<GroupRecord[]> {
  const rows = await sql.query<GroupRow>(`${GROUPS} where g.scope = $1 or g.scope = $2 order by g.created_at, g.name`, [packageName, scopeOf(packageName) ?? packageName]);
  return rows.map(group);
}

/** The groups defined at exactly this scope (a package name or "@scope"). */
export async function groupsAt(sql: Sql, scope: string): Promise<GroupRecord[]> {
  return (await sql.query<GroupRow>(`${GROUPS} where g.scope = $1 order by g.created_at, g.name`, [scope])).map(group);
}

export async function readGroup(sql: Sql, id: string): Promise<GroupRecord | null> {
  const rows = await sql.query<GroupRow>(`${GROUPS} where g.id = $1`, [id]);
  return rows[0] ? group(rows[0]) : null;
}

/** False when the scope already has a group of that name. */
export async function insertGroup(sql: Sql, g: Omit<GroupRecord, 'members'>): Promise<boolean> {
  const rows = await sql.query(
    'insert into approval_groups (id, scope, name, required, created_at, created_by) values ($1, $2, $3, $4, $5, $6) on conflict (scope, name) do nothing returning id',
    [g.id, g.scope, g.name, g.required, g.createdAt, g.createdBy],
  );
  return rows.length === 1;
}

export async function setRequired(sql: Sql, id: string, required: number): Promise<boolean> {
  return (await sql.query('update approval_groups set required = $2 where id = $1 returning id', [id, required])).length === 1;
}

export async function deleteGroup(sql: Sql, id: string): Promise<boolean> {
  return (await sql.query('delete from approval_groups where id = $1 returning id', [id])).length === 1;
}

/** False when the user was already a member. */
export async function addMember(sql: Sql, groupId: string, user: string, by: string, at: string): Promise<boolean> {
  const rows = await sql.query(
    'insert into approval_members (group_id, user_name, added_at, added_by) values ($1, $2, $3, $4) on conflict do nothing returning user_name',
    [groupId, user, at, by],
  );
  return rows.length === 1;
}

export async function removeMember(sql: Sql, groupId: string, user: string): Promise<boolean> {
  return (await sql.query('delete from approval_members where group_id = $1 and user_name = $2 returning user_name', [groupId, user])).length === 1;
}

export async function insertInvite(sql: Sql, invite: { codeHash: string; groupId: string; createdBy: string; createdAt: string; expiresAt: string }): Promise<void> {
  await sql.query(
    'insert into approval_invites (code_hash, group_id, created_by, created_at, expires_at) values ($1, $2, $3, $4, $5)',
    [invite.codeHash, invite.groupId, invite.createdBy, invite.createdAt, invite.expiresAt],
  );
}

/** Marks an unused, unexpired invite as used by `user` and returns its group; null when there is none (any more). */
export async function useInvite(sql: Sql, codeHash: string, user: string, now: string): Promise<string | null> {
  const rows = await sql.query<{ group_id: string }>(
    'update approval_invites set used_at = $3, used_by = $2 where code_hash = $1 and used_at is null and expires_at > $3 returning group_id',
    [codeHash, user, now],
  );
  return rows[0]?.group_id ?? null;
}

/** False when a request for this version (or with this id) exists already. */
export async function insertRequest(sql: Sql, r: RequestRecord): Promise<boolean> {
  const rows = await sql.query(
    `insert into approval_requests (id, package_name, version, integrity, publisher, token_key, session_id, policy, status, created_at, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict do nothing returning id`,
    [r.id, r.packageName, r.version, r.integrity, r.publisher, r.tokenKey, r.sessionId, JSON.stringify(r.policy), r.status, r.createdAt, r.expiresAt],
  );
  return rows.length === 1;
}

/** The request; `lock` holds its row until the transaction ends, so approvals of it are taken one at a time. */
export async function readRequest(sql: Sql, id: string, lock = false): Promise<RequestRecord | null> {
  const rows = await sql.query<RequestRow>(`select * from approval_requests where id = $1${lock ? ' for update' : ''}`, [id]);
  return rows[0] ? request(rows[0]) : null;
}

export async function requestFor(sql: Sql, packageName: string, version: string): Promise<RequestRecord | null> {
  const rows = await sql.query<RequestRow>('select * from approval_requests where package_name = $1 and version = $2', [packageName, version]);
  return rows[0] ? request(rows[0]) : null;
}

export async function listRequests(sql: Sql, filter: { status?: RequestStatus; packageNames?: string[] } = {}): Promise<RequestRecord[]> {
  const rows = await sql.query<RequestRow>(
    `select * from approval_requests where ($1::text is null or status = $1) and ($2::jsonb is null or $2::jsonb ? package_name) order by created_at, id`,
    [filter.status ?? null, filter.packageNames ? JSON.stringify(filter.packageNames) : null],
  );
  return rows.map(request);
}

/** Settles a pending request; false when it was no longer pending (someone else settled it first). */
export async function settleRequest(sql: Sql, id: string, status: Exclude<RequestStatus, 'pending'>, by: string | null, reason: string | null, at: string): Promise<boolean> {
  const rows = await sql.query(
    "update approval_requests set status = $2, settled_by = $3, reason = $4, settled_at = $5 where id = $1 and status = 'pending' returning id",
    [id, status, by, reason, at],
  );
  return rows.length === 1;
}

/** Marks every pending request due by `now` as expired and returns them. */
export async function expireRequests(sql: Sql, now: string): Promise<RequestRecord[]> {
  const rows = await sql.query<RequestRow>(
    "update approval_requests set status = 'expired', settled_at = $1, reason = 'expired' where status = 'pending' and expires_at <= $1 returning *",
    [now],
  );
  return rows.map(request);
}

/** False when this user has approved this request before. */
export async function insertApproval(sql: Sql, requestId: string, a: Approval & { credentialId: string; challenge: string }): Promise<boolean> {
  const rows = await sql.query(
    `insert into approval_votes (request_id, user_name, credential_id, integrity, challenge, created_at) values ($1, $2, $3, $4, $5, $6)
     on conflict (request_id, user_name) do nothing returning user_name`,
    [requestId, a.user, a.credentialId, a.integrity, a.challenge, a.at],
  );
  return rows.length === 1;
}

export async function approvalsOf(sql: Sql, requestId: string): Promise<(Approval & { credentialId: string })[]> {
  const rows = await sql.query<{ user_name: string; integrity: string; credential_id: string; created_at: Time }>(
    'select * from approval_votes where request_id = $1 order by created_at, user_name',
    [requestId],
  );
  return rows.map((r) => ({ user: r.user_name, integrity: r.integrity, credentialId: r.credential_id, at: iso(r.created_at) }));
}
