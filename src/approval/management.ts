// The owners' pages of the approver UI (web/services.ts PackageManagement) over the approval service:
// the same createGroup, setRequired, invite and removeMember the operator's `packsec registry group`
// commands call, and the notices service. Who may do what is checked here before a challenge is issued,
// and again by the service when it acts.
import { validatePackageName } from '../registry/names.js';
import { isMaintainer } from '../registry/packages.js';
import { ApprovalError } from './errors.js';
import { shortfall } from './rule.js';
import type { ApprovalService } from './service.js';
import { scopeOf, type GroupRecord } from './store.js';
import { WebError, type WebErrorCode } from './web/errors.js';
import type { ManageAction, ManageResult, PackageGroupView, PackageManagement, PackageView } from './web/services.js';

const WEB_CODE: Partial<Record<ApprovalError['code'], WebErrorCode>> = {
  BAD_REQUEST: 'BAD_REQUEST', NOT_FOUND: 'NOT_FOUND', FORBIDDEN: 'NOT_OWNER', CONFLICT: 'CONFLICT', BELOW_REQUIRED: 'BELOW_REQUIRED', INVITE: 'NOT_ALLOWED',
};

/** The approval service's refusals as the web UI answers them; anything else is left to fail as it is. */
export function toWebError(err: unknown): unknown {
  if (!(err instanceof ApprovalError)) return err;
  return new WebError(WEB_CODE[err.code] ?? 'NOT_ALLOWED', err.message);
}

async function web<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toWebError(err);
  }
}

/** Whether removing `user` from group `id` would leave one of these groups less able to reach its count. */
function leavesShort(policy: GroupRecord[], id: string, user: string): boolean {
  const missing = (groups: GroupRecord[]) => shortfall(groups).reduce((n, s) => n + s.missing, 0);
  const without = policy.map((g) => (g.id === id ? { ...g, members: g.members.filter((m) => m !== user) } : g));
  return missing(without) > missing(policy);
}

export function packageManagement(service: ApprovalService): PackageManagement {
  const store = service.registry.store;

  const record = async (name: string) => {
    let valid: string;
    try {
      valid = validatePackageName(name);
    } catch {
      return null;
    }
    return store.readPackage(valid);
  };

  /** A group of this package's policy (its own or its scope's); another package's group is not found here. */
  const groupOf = async (packageName: string, id: string): Promise<GroupRecord> => {
    const found = (await service.policy(packageName)).find((g) => g.id === id);
    if (!found) throw new WebError('NOT_FOUND', `${packageName} has no such approval group`);
    return found;
  };

  const requireOwner = async (scope: string, user: string) => {
    if (!(await service.owners(scope)).includes(user)) throw new WebError('NOT_OWNER', `${user} is not an owner of ${scope}`);
  };

  const authorize = async (packageName: string, user: string, action: ManageAction): Promise<void> => {
    const r = await record(packageName);
    if (!r) throw new WebError('NOT_FOUND', 'no such package');
    switch (action.kind) {
      case 'create-group':
        if (action.scope !== r.name && action.scope !== scopeOf(r.name)) throw new WebError('BAD_REQUEST', `a group made here applies to ${r.name}${scopeOf(r.name) ? ` or ${scopeOf(r.name)}` : ''}`);
        return requireOwner(action.scope, user);
      case 'set-required':
      case 'invite':
        return requireOwner((await groupOf(r.name, action.groupId)).scope, user);
      case 'remove-member': {
        const g = await groupOf(r.name, action.groupId);
        // A member may leave; anyone else's removal is the owners' call.
        return action.user === user ? undefined : requireOwner(g.scope, user);
      }
      case 'post-notice':
        if (!isMaintainer(r, user)) throw new WebError('NOT_OWNER', `${user} is not a maintainer of ${r.name}`);
    }
  };

  return {
    packages: (user) => service.packagesOf(user),

    async view(packageName, user) {
      const r = await record(packageName);
      if (!r) return null;
      const policy = await service.policy(r.name);
      const owners = await service.owners(r.name);
      if (!owners.includes(user) && !policy.some((g) => g.members.includes(user))) return null;
      const scope = scopeOf(r.name);
      const scopeOwners = scope ? await service.owners(scope) : [];
      const missing = new Map(shortfall(policy).map((s) => [s.id, s.missing]));
      const groups: PackageGroupView[] = policy.map((g) => ({
        id: g.id, scope: g.scope, name: g.name, required: g.required, missing: missing.get(g.id) ?? 0,
        mayManage: (g.scope === r.name ? owners : scopeOwners).includes(user),
        members: g.members.map((m) => ({ user: m, removalLeavesShort: leavesShort(policy, g.id, m) })),
      }));
      const versions = Object.entries(r.versions)
        .filter(([, v]) => v.state === 'public')
        .sort(([, a], [, b]) => Date.parse(b.publishedAt ?? b.uploadedAt) - Date.parse(a.publishedAt ?? a.uploadedAt))
        .map(([v]) => v);
      const notices = (await service.notices.list(r.name)).reverse()
        .map((n) => ({ id: n.id, version: n.version, severity: n.severity, title: n.title, body: n.body, author: n.author, createdAt: n.createdAt }));
      return {
        name: r.name, owners, owner: owners.includes(user), groups, versions, notices,
        ...(scope && scopeOwners.includes(user) ? { ownedScope: scope } : {}),
      } satisfies PackageView;
    },

    authorize: (packageName, user, action) => web(() => authorize(packageName, user, action)),

    perform: (packageName, user, action) => web(async (): Promise<ManageResult> => {
      await authorize(packageName, user, action);
      const name = validatePackageName(packageName);
      switch (action.kind) {
        case 'create-group':
          await service.createGroup(user, { scope: action.scope, name: action.name, required: action.required });
          return {};
        case 'set-required':
          await service.setRequired(user, action.groupId, action.required);
          return {};
        case 'invite': {
          const made = await service.invite(user, action.groupId);
          return { invite: { code: made.code, group: made.group.name, expiresAt: made.expiresAt } };
        }
        case 'remove-member':
          await service.removeMember(user, action.groupId, action.user, { belowRequired: action.belowRequired });
          return {};
        case 'post-notice':
          await service.notices.post(user, { packageName: name, version: action.version, severity: action.severity, title: action.title, body: action.body });
          return {};
      }
    }),
  };
}
