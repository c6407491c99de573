// The approval domain: owners manage a package's (or a scope's) approval groups and invite coworkers;
// a pending publish opens a request bound to its tarball's integrity and the token that published it;
// approvals and rejections arrive as WebAuthn assertions that the web layer verified, and the rule
// (rule.ts) decides. The version then goes public or rejected through the registry's state machine.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { RegistryError } from '../registry/errors.js';
import { validatePackageName, validateUserName } from '../registry/names.js';
import { setVersionState, type Registry } from '../registry/packages.js';
import type { RegistryStore } from '../registry/store.js';
import type { Db } from './db.js';
import { ApprovalError } from './errors.js';
import { decide, shortfall, type Actor, type Decision, type Refusal, type Shortfall } from './rule.js';
import { DEVICE_DEFAULTS, Devices, type DeviceSettings, type VerifiedAssertion } from './service-devices.js';
import { LOCK } from './schema.js';
import { Notices } from './service-notices.js';
import {
  addMember, approvalsOf, deleteGroup, expireRequests, groupsAt, groupsFor, insertApproval, insertGroup, insertInvite, insertRequest, listRequests,
  readGroup, readRequest, removeMember, requestFor, scopeOf, setRequired, settleRequest, useInvite, type GroupRecord, type RequestRecord,
} from './store.js';
import { pruneChallenges, readCredential } from './store-devices.js';

export interface ApprovalSettings extends DeviceSettings {
  /** How long a request waits for its approvals before it expires (and its version is rejected). Default 7 days. */
  requestTtlMs: number;
  /** How long an invite code can be used. Default 7 days. */
  inviteTtlMs: number;
  /** A pending version with no request this long after its upload (a crash in between) is rejected by sweep(). Default 10 minutes. */
  orphanGraceMs: number;
}

export const APPROVAL_DEFAULTS: ApprovalSettings = { ...DEVICE_DEFAULTS, requestTtlMs: 7 * 86_400_000, inviteTtlMs: 7 * 86_400_000, orphanGraceMs: 10 * 60_000 };

/** The channel an action comes through: the npm token or the web session (its id) used. */
export interface Via {
  tokenKey?: string | null;
  sessionId?: string | null;
}

export interface Outcome {
  request: RequestRecord;
  decision: Decision;
}

const DEFAULT_GROUP = 'maintainers';

const REFUSAL_CODE: Record<Refusal, 'EXPIRED' | 'CONFLICT' | 'FORBIDDEN'> = {
  'expired': 'EXPIRED', 'not-pending': 'CONFLICT', 'already-approved': 'CONFLICT', 'publishing-device': 'FORBIDDEN', 'not-member': 'FORBIDDEN', 'no-groups': 'FORBIDDEN',
};

function checkScope(scope: string): string {
  if (/^@[a-z0-9][a-z0-9._-]*$/.test(scope) && scope.length <= 214) return scope;
  try {
    return validatePackageName(scope);
  } catch {
    throw new ApprovalError('BAD_REQUEST', `scope: expected a package name or "@scope", got ${JSON.stringify(scope.slice(0, 100))}`);
  }
}

function checkGroupName(name: string): string {
  const trimmed = name.trim();
  if (!/^[\p{L}\p{N}][\p{L}\p{N} _.-]{0,63}$/u.test(trimmed)) throw new ApprovalError('BAD_REQUEST', 'name: expected 1 to 64 letters, digits, spaces, dots, dashes or underscores');
  return trimmed;
}

function checkRequired(required: number): number {
  if (!Number.isInteger(required) || required < 1 || required > 100) throw new ApprovalError('BAD_REQUEST', `required: expected a whole number from 1 to 100, got ${String(required)}`);
  return required;
}

export function inviteHash(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

export class ApprovalService {
  readonly settings: ApprovalSettings;
  readonly devices: Devices;
  readonly notices: Notices;

  constructor(
    readonly db: Db,
    readonly registry: Registry<RegistryStore>,
    settings: Partial<ApprovalSettings> = {},
  ) {
    this.settings = { ...APPROVAL_DEFAULTS, ...settings };
    this.devices = new Devices(db, () => registry.now(), this.settings);
    this.notices = new Notices(db, registry);
  }

  private now(): string {
    return this.registry.now().toISOString();
  }

  // Owners and groups

  /** The packages hosted here that a scope's groups apply to: the package itself, or every package of "@scope". */
  private async packagesUnder(scope: string): Promise<string[]> {
    if (!scope.startsWith('@') || scope.includes('/')) return [scope];
    return (await this.registry.store.listPackages()).filter((n) => n.startsWith(`${scope}/`));
  }

  /** Owners of a package are its maintainers; of a scope, the users who maintain every package hosted in it. */
  async owners(scope: string): Promise<string[]> {
    if (!scope.startsWith('@') || scope.includes('/')) {
      const record = await this.registry.store.readPackage(scope);
      return record ? record.maintainers.map((m) => m.name) : [];
    }
    let owners: string[] | null = null;
    for (const name of await this.packagesUnder(scope)) {
      const maintainers = ((await this.registry.store.readPackage(name))?.maintainers ?? []).map((m) => m.name);
      owners = owners === null ? maintainers : owners.filter((o) => maintainers.includes(o));
    }
    return owners ?? [];
  }

  private async requireOwner(user: string, scope: string): Promise<void> {
    if (!(await this.owners(scope)).includes(user)) throw new ApprovalError('FORBIDDEN', `${user} is not an owner of ${scope}`);
  }

  private async requireGroup(id: string): Promise<GroupRecord> {
    const g = /^[0-9a-f-]{36}$/.test(id) ? await readGroup(this.db, id) : null;
    if (!g) throw new ApprovalError('NOT_FOUND', 'no such approval group');
    return g;
  }

  /** The groups that apply to a package now: its own and its scope's. */
  policy(packageName: string): Promise<GroupRecord[]> {
    return groupsFor(this.db, validatePackageName(packageName));
  }

  /** The groups defined at exactly this scope (a package name or "@scope"). */
  groups(scope: string): Promise<GroupRecord[]> {
    return groupsAt(this.db, checkScope(scope));
  }

  async createGroup(actor: string, input: { scope: string; name: string; required: number }): Promise<GroupRecord> {
    const scope = checkScope(input.scope);
    await this.requireOwner(actor, scope);
    const id = randomUUID();
    const made = await insertGroup(this.db, { id, scope, name: checkGroupName(input.name), required: checkRequired(input.required), createdAt: this.now(), createdBy: actor });
    if (!made) throw new ApprovalError('CONFLICT', `${scope} already has a group named ${input.name.trim()}`);
    return (await readGroup(this.db, id))!;
  }

  async setRequired(actor: string, groupId: string, required: number): Promise<GroupRecord> {
    const g = await this.requireGroup(groupId);
    await this.requireOwner(actor, g.scope);
    await setRequired(this.db, g.id, checkRequired(required));
    return (await readGroup(this.db, g.id))!;
  }

  async deleteGroup(actor: string, groupId: string): Promise<void> {
    const g = await this.requireGroup(groupId);
    await this.requireOwner(actor, g.scope);
    await deleteGroup(this.db, g.id);
  }

  /**
   * An owner removes a member, or a member leaves. A removal that leaves a group unable to reach its
   * required count (rule.ts `shortfall`, for every package the group applies to) is refused unless
   * `belowRequired` says the owner knows: no version of those packages could be approved until someone
   * joins or the count is lowered. Changes to one scope's groups are serialised, so two removals at once
   * cannot each leave the other's group short unseen.
   */
  async removeMember(actor: string, groupId: string, user: string, options: { belowRequired?: boolean } = {}): Promise<GroupRecord> {
    const g = await this.requireGroup(groupId);
    if (actor !== user) await this.requireOwner(actor, g.scope);
    const packages = await this.packagesUnder(g.scope);
    return this.db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1, hashtext($2))', [LOCK.groups, scopeOf(g.scope) ?? g.scope]);
      const missing = async () => {
        const out = new Map<string, Shortfall>();
        for (const name of packages) {
          for (const s of shortfall(await groupsFor(tx, name))) if (s.missing > (out.get(s.id)?.missing ?? -1)) out.set(s.id, s);
        }
        return out;
      };
      const before = await missing();
      if (!(await removeMember(tx, g.id, user))) throw new ApprovalError('NOT_FOUND', `${user} is not a member of ${g.name}`);
      const worse = [...(await missing()).values()].filter((s) => s.missing > (before.get(s.id)?.missing ?? 0));
      if (worse.length && !options.belowRequired) {
        const lacking = worse.map((s) => `${s.name} would lack ${s.missing} of ${s.required}`).join(', ');
        throw new ApprovalError('BELOW_REQUIRED', `removing ${user} from ${g.name} leaves a group unable to reach its required count (${lacking}): no version of ${g.scope} could be approved until someone joins or the count is lowered`);
      }
      return (await readGroup(tx, g.id))!;
    });
  }

  /** What each group of a package lacks to be satisfied by its members as they are now (rule.ts `shortfall`). */
  async reach(packageName: string): Promise<Shortfall[]> {
    return shortfall(await this.policy(packageName));
  }

  /** The packages hosted here that `user` maintains (owns), by name. */
  async packagesOf(user: string): Promise<string[]> {
    const out: string[] = [];
    for (const name of await this.registry.store.listPackages()) {
      if ((await this.registry.store.readPackage(name))?.maintainers.some((m) => m.name === user)) out.push(name);
    }
    return out.sort();
  }

  /** A one-time invite code into a group; only its hash is stored. */
  async invite(actor: string, groupId: string): Promise<{ code: string; group: GroupRecord; expiresAt: string }> {
    const g = await this.requireGroup(groupId);
    await this.requireOwner(actor, g.scope);
    const code = `npsi_${randomBytes(24).toString('base64url')}`;
    const now = this.registry.now();
    const expiresAt = new Date(now.getTime() + this.settings.inviteTtlMs).toISOString();
    await insertInvite(this.db, { codeHash: inviteHash(code), groupId: g.id, createdBy: actor, createdAt: now.toISOString(), expiresAt });
    return { code, group: g, expiresAt };
  }

  /** Joins the invite's group as `user` (a registry user); the code is used up, whoever presented it. */
  async acceptInvite(user: string, code: string): Promise<GroupRecord> {
    if (!(await this.registry.store.readUser(validateUserName(user)))) throw new ApprovalError('NOT_FOUND', `no registry user named ${user}`);
    const now = this.now();
    const groupId = await this.db.transaction(async (tx) => {
      const id = await useInvite(tx, inviteHash(code), user, now);
      if (!id) throw new ApprovalError('INVITE', 'this invite code is unknown, used or expired');
      await addMember(tx, id, user, `invite`, now);
      return id;
    });
    return (await readGroup(this.db, groupId))!;
  }

  // Requests

  /**
   * Opens the approval request of a version the registry just stored as pending (stage id `id`). What it
   * is bound to comes from the stored version, not from the caller: its integrity and publisher. The
   * first publish of a package with no groups creates its default group of the package's maintainers.
   * Opening it again returns the same request.
   */
  async openRequest(id: string, via: Via = {}): Promise<RequestRecord> {
    const ref = await this.registry.store.readStage(id);
    const record = ref ? await this.registry.store.readPackage(ref.packageName) : null;
    const v = ref && record?.versions[ref.version];
    if (!ref || !record || !v || v.stageId !== id) throw new ApprovalError('NOT_FOUND', 'no such staged version');
    const existing = await readRequest(this.db, id);
    if (existing) return existing;
    if (v.state !== 'pending') throw new ApprovalError('CONFLICT', `${record.name}@${ref.version} is ${v.state}, not pending`);
    const now = this.registry.now();
    const request = await this.db.transaction(async (tx) => {
      let policy = await groupsFor(tx, record.name);
      if (policy.length === 0) {
        const groupId = randomUUID();
        if (await insertGroup(tx, { id: groupId, scope: record.name, name: DEFAULT_GROUP, required: 1, createdAt: now.toISOString(), createdBy: v.npmUser.name })) {
          for (const m of record.maintainers) await addMember(tx, groupId, m.name, v.npmUser.name, now.toISOString());
        }
        policy = await groupsFor(tx, record.name);
      }
      const r: RequestRecord = {
        id, packageName: record.name, version: ref.version, integrity: v.integrity, publisher: v.npmUser.name, tokenKey: via.tokenKey ?? null, sessionId: via.sessionId ?? null,
        policy: policy.map((g) => ({ id: g.id, name: g.name, required: g.required, members: g.members })), status: 'pending',
        createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + this.settings.requestTtlMs).toISOString(), settledAt: null, settledBy: null, reason: null,
      };
      await insertRequest(tx, r);
      return (await readRequest(tx, id))!;
    });
    return request;
  }

  /** A request and the rule's verdict on it, for `actor` (who may approve or reject, and why not). */
  async view(id: string, actor: Actor | null = null): Promise<Outcome> {
    const request = /^[0-9a-f-]{36}$/.test(id) ? await readRequest(this.db, id) : null;
    if (!request) throw new ApprovalError('NOT_FOUND', 'no such approval request');
    const decision = decide(await groupsFor(this.db, request.packageName), request, await approvalsOf(this.db, id), actor, this.registry.now());
    return { request, decision };
  }

  /** The request of a version, if it has one. */
  requestOf(packageName: string, version: string): Promise<RequestRecord | null> {
    return requestFor(this.db, packageName, version);
  }

  /** Pending requests that `user` may approve or reject, or sees as an owner, oldest first. */
  async inbox(user: string): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (const request of await listRequests(this.db, { status: 'pending' })) {
      const seen = await this.view(request.id, { user });
      if (seen.decision.reject.allowed || (await this.owners(request.packageName)).includes(user)) out.push(seen);
    }
    return out;
  }

  /**
   * A challenge for approving or rejecting a request, bound to it, to `user` and to the tarball's integrity
   * as stored; refused up front to anyone the rule would refuse (through `via`: the publishing token too).
   */
  async challengeFor(requestId: string, user: string, purpose: 'approve' | 'reject', via: Via = {}): Promise<{ challenge: string; expiresAt: string; request: RequestRecord }> {
    const { request, decision } = await this.view(requestId, { user, tokenKey: via.tokenKey ?? null, sessionId: via.sessionId ?? null });
    const permission = purpose === 'approve' ? decision.approve : decision.reject;
    if (!permission.allowed) throw new ApprovalError(REFUSAL_CODE[permission.code], permission.reason);
    const c = await this.devices.issue(purpose, { user, requestId: request.id, integrity: request.integrity });
    return { challenge: c.challenge, expiresAt: c.expiresAt, request };
  }

  /** Records a verified approval; when it completes every group, the version becomes public. */
  approve(assertion: VerifiedAssertion, via: Via = {}): Promise<Outcome> {
    return this.vote('approve', assertion, via, null);
  }

  /** A member's verified rejection: the version is discarded and its number stays burned. */
  reject(assertion: VerifiedAssertion, via: Via = {}, reason: string | null = null): Promise<Outcome> {
    return this.vote('reject', assertion, via, reason === null ? null : reason.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 500));
  }

  /**
   * `approve` or `reject` for a WebAuthn layer that has consumed the challenge itself (checking the same
   * binding: purpose, user, request, integrity) and advanced the credential's counter (compare-and-set),
   * as the approver UI's ceremonies do. The credential must still be the user's.
   */
  decideVerified(purpose: 'approve' | 'reject', assertion: VerifiedAssertion, via: Via = {}, reason: string | null = null): Promise<Outcome> {
    return this.vote(purpose, assertion, via, reason, true);
  }

  private async vote(purpose: 'approve' | 'reject', a: VerifiedAssertion, via: Via, reason: string | null, spent = false): Promise<Outcome> {
    if (!a.userVerified) throw new ApprovalError('CREDENTIAL', 'the authenticator did not verify the user (PIN or biometrics)');
    if (!spent) await this.devices.consume(a.challengeId, { purpose, user: a.userId, requestId: a.requestId, integrity: a.integrity });
    const now = this.registry.now();
    const outcome = await this.db.transaction(async (tx): Promise<Outcome> => {
      const request = await readRequest(tx, a.requestId, true);
      if (!request) throw new ApprovalError('NOT_FOUND', 'no such approval request');
      if (!spent) await this.devices.use(tx, a.userId, a.credentialId, a.newCounter);
      else if ((await readCredential(tx, a.credentialId))?.user !== a.userId) throw new ApprovalError('CREDENTIAL', `no such device of ${a.userId}`);
      const policy = await groupsFor(tx, request.packageName);
      const approvals = await approvalsOf(tx, request.id);
      const actor: Actor = { user: a.userId, tokenKey: via.tokenKey ?? null, sessionId: via.sessionId ?? null };
      const before = decide(policy, request, approvals, actor, now);
      const permission = purpose === 'approve' ? before.approve : before.reject;
      if (!permission.allowed) throw new ApprovalError(REFUSAL_CODE[permission.code], permission.reason);
      if (purpose === 'reject') {
        await settleRequest(tx, request.id, 'rejected', a.userId, reason, now.toISOString());
        return { request: (await readRequest(tx, request.id))!, decision: decide(policy, { ...request, status: 'rejected' }, approvals, actor, now) };
      }
      const approval = { user: a.userId, integrity: a.integrity, at: now.toISOString(), credentialId: a.credentialId, challenge: a.challengeId };
      await insertApproval(tx, request.id, approval);
      const decision = decide(policy, request, [...approvals, approval], actor, now);
      if (decision.status === 'approved') await settleRequest(tx, request.id, 'approved', a.userId, null, now.toISOString());
      return { request: (await readRequest(tx, request.id))!, decision };
    });
    await this.applyToVersion(outcome.request);
    return outcome;
  }

  /** Carries a settled request over to its version (public or rejected); a version settled already is left alone. */
  private async applyToVersion(r: RequestRecord): Promise<boolean> {
    if (r.status === 'pending') return false;
    try {
      await setVersionState(this.registry, r.packageName, r.version, r.status === 'approved' ? 'public' : 'rejected');
      return true;
    } catch (err) {
      if (err instanceof RegistryError && (err.code === 'CONFLICT' || err.code === 'NOT_FOUND')) return false;
      throw err;
    }
  }

  /**
   * Housekeeping, safe to run from every gateway at once: expires requests that are due (rejecting their
   * versions), finishes settlements a crash interrupted, rejects pending versions that never got a request,
   * and forgets old challenges. Returns the ids of the requests it changed.
   */
  async sweep(): Promise<{ expired: string[]; applied: string[]; orphans: string[] }> {
    const now = this.registry.now();
    const expired = await expireRequests(this.db, now.toISOString());
    const applied: string[] = [];
    for (const r of expired) if (await this.applyToVersion(r)) applied.push(r.id);
    const orphans: string[] = [];
    for (const ref of await this.registry.store.listStages()) {
      const request = await readRequest(this.db, ref.id);
      if (request) {
        if (request.status !== 'pending' && (await this.applyToVersion(request))) applied.push(request.id);
        continue;
      }
      const v = (await this.registry.store.readPackage(ref.packageName))?.versions[ref.version];
      if (v?.state === 'pending' && v.stageId === ref.id && Date.parse(v.uploadedAt) + this.settings.orphanGraceMs <= now.getTime()) {
        await setVersionState(this.registry, ref.packageName, ref.version, 'rejected').catch((err: unknown) => {
          if (!(err instanceof RegistryError && err.code === 'CONFLICT')) throw err;
        });
        orphans.push(ref.id);
      }
    }
    await pruneChallenges(this.db, now.toISOString());
    return { expired: expired.map((r) => r.id), applied, orphans };
  }
}
