// The approval rule, as one pure function: given a package's approval groups (as they were when the
// request was made and as they are now), the request and its approvals, it says whether the version may
// become public, what each group still lacks, and whether a given actor may approve or reject, and why not.
// docs/approval.md states the rule in prose; every branch here has a case in test/approval-rule.test.ts.

export type RequestStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface Group {
  id: string;
  name: string;
  /** How many distinct members must approve. */
  required: number;
  /** User names. */
  members: readonly string[];
}

export interface RequestFacts {
  status: RequestStatus;
  /** The integrity of the tarball the request is about; approvals of anything else do not count. */
  integrity: string;
  /** When it expires (ISO). */
  expiresAt: string;
  /** The token (its key) and the web session that published it: neither may approve or reject it. */
  tokenKey: string | null;
  sessionId: string | null;
  /** The groups when the request was made. */
  policy: readonly Group[];
}

export interface Approval {
  user: string;
  /** The integrity the approver's WebAuthn challenge was bound to. */
  integrity: string;
  /** When (ISO); earlier approvals are matched first. */
  at: string;
}

/** Who wants to act: the user, and the token or web session the action comes through. */
export interface Actor {
  user: string;
  tokenKey?: string | null;
  sessionId?: string | null;
}

export interface GroupTally {
  id: string;
  name: string;
  required: number;
  /** Who may count for this group now (see `eligible`). */
  eligible: string[];
  /** The approvers counted for this group. */
  approvedBy: string[];
  missing: number;
  /** 'added': created after the request; 'deleted': gone since, so nobody counts for it. */
  change?: 'added' | 'deleted';
}

export type Refusal = 'not-pending' | 'expired' | 'publishing-device' | 'not-member' | 'already-approved' | 'no-groups';
export type Permission = { allowed: true } | { allowed: false; code: Refusal; reason: string };

export interface Decision {
  status: RequestStatus;
  groups: GroupTally[];
  /** Approvals that count for nothing, and why. */
  ignored: { user: string; reason: string }[];
  approve: Permission;
  reject: Permission;
}

/**
 * The groups a pending request is judged by: the stricter of each group's state when the request was
 * made and now. A group counts with the larger required count; a member counts only if in the group
 * both then and now (so removing someone takes effect at once, adding someone does not help a request
 * already waiting). A group created since applies with its current members; a group deleted since still
 * applies, with nobody to count for it. No change made during a request makes it easier to pass.
 */
export function effectiveGroups(then: readonly Group[], now: readonly Group[]): GroupTally[] {
  const current = new Map(now.map((g) => [g.id, g]));
  const out: GroupTally[] = [];
  for (const g of then) {
    const n = current.get(g.id);
    const members = n ? g.members.filter((m) => n.members.includes(m)) : [];
    out.push({ id: g.id, name: n?.name ?? g.name, required: Math.max(g.required, n?.required ?? 0), eligible: unique(members), approvedBy: [], missing: 0, ...(n ? {} : { change: 'deleted' as const }) });
  }
  const before = new Set(then.map((g) => g.id));
  for (const n of now) {
    if (!before.has(n.id)) out.push({ id: n.id, name: n.name, required: n.required, eligible: unique(n.members), approvedBy: [], missing: 0, change: 'added' });
  }
  return out;
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

/**
 * Counts approvals: each approver fills at most one place, in one group they are eligible for — a person
 * in two groups is one person, so one approval never satisfies two groups. Places are assigned by a
 * maximum bipartite matching (approvers in time order, groups in policy order), so an approver in
 * several groups counts wherever that lets every group be satisfied.
 */
function assign(groups: GroupTally[], approvers: string[]): void {
  const slots: number[] = groups.flatMap((g, i) => Array.from({ length: g.required }, () => i));
  const holder: (string | undefined)[] = slots.map(() => undefined);
  const place = (user: string, seen: Set<number>): boolean => {
    for (let s = 0; s < slots.length; s++) {
      if (seen.has(s) || !groups[slots[s]!]!.eligible.includes(user)) continue;
      seen.add(s);
      const other = holder[s];
      if (other === undefined || place(other, seen)) {
        holder[s] = user;
        return true;
      }
    }
    return false;
  };
  for (const user of approvers) place(user, new Set());
  holder.forEach((user, s) => {
    if (user !== undefined) groups[slots[s]!]!.approvedBy.push(user);
  });
  for (const g of groups) {
    g.approvedBy.sort((a, b) => approvers.indexOf(a) - approvers.indexOf(b));
    g.missing = g.required - g.approvedBy.length;
  }
}

/** What a group lacks to ever be satisfied by the members it has now. */
export interface Shortfall {
  id: string;
  name: string;
  required: number;
  /** Places no member could fill (0: the group can reach its count). */
  missing: number;
}

/**
 * Whether a package's groups (its own and its scope's) can all be satisfied by their members as they
 * are, counted as `decide` counts: one person fills one place, so a group whose only member also fills
 * another group cannot be satisfied. Such a policy is allowed (a new group waits for its invites), but
 * no version can be approved while any group is short; owners are told, and removing a member that makes
 * a group short needs their explicit confirmation (ApprovalService.removeMember).
 */
export function shortfall(policy: readonly Group[]): Shortfall[] {
  const groups: GroupTally[] = policy.map((g) => ({ id: g.id, name: g.name, required: g.required, eligible: unique(g.members), approvedBy: [], missing: 0 }));
  assign(groups, unique(policy.flatMap((g) => g.members)));
  return groups.map((g) => ({ id: g.id, name: g.name, required: g.required, missing: g.missing }));
}

const refuse = (code: Refusal, reason: string): Permission => ({ allowed: false, code, reason });

/** The rule. `policy` is the package's groups now; `now` the current time. */
export function decide(policy: readonly Group[], request: RequestFacts, approvals: readonly Approval[], actor: Actor | null, now: Date): Decision {
  const groups = effectiveGroups(request.policy, policy);
  const eligible = new Set(groups.flatMap((g) => g.eligible));
  const ignored: Decision['ignored'] = [];
  const approvers: string[] = [];
  for (const a of [...approvals].sort((x, y) => x.at.localeCompare(y.at))) {
    if (a.integrity !== request.integrity) ignored.push({ user: a.user, reason: `approved ${a.integrity}, not this tarball (${request.integrity})` });
    else if (approvers.includes(a.user)) ignored.push({ user: a.user, reason: 'approved more than once; counted once' });
    else if (!eligible.has(a.user)) ignored.push({ user: a.user, reason: 'not a member of any group (now and when the request was made)' });
    else approvers.push(a.user);
  }
  assign(groups, approvers);

  let status = request.status;
  if (status === 'pending' && now.getTime() >= Date.parse(request.expiresAt)) status = 'expired';
  else if (status === 'pending' && groups.length > 0 && groups.every((g) => g.missing === 0)) status = 'approved';

  const gate = (): Permission | null => {
    if (!actor) return refuse('not-member', 'nobody is signed in');
    if (status === 'expired') return refuse('expired', `the request expired at ${request.expiresAt}`);
    if (status !== 'pending') return refuse('not-pending', `the request is already ${status}`);
    if (groups.length === 0) return refuse('no-groups', 'the package has no approval groups; an owner must create one');
    if ((actor.tokenKey && actor.tokenKey === request.tokenKey) || (actor.sessionId && actor.sessionId === request.sessionId)) {
      return refuse('publishing-device', 'this token or session published the version; approve or reject it from another device');
    }
    if (!eligible.has(actor.user)) return refuse('not-member', `${actor.user} is not a member of any approval group of this package (members added after the request was made count only for later requests)`);
    return null;
  };
  const refused = gate();
  const approve = refused ?? (approvers.includes(actor!.user) ? refuse('already-approved', `${actor!.user} has already approved this tarball`) : { allowed: true as const });
  return { status, groups, ignored, approve, reject: refused ?? { allowed: true } };
}
