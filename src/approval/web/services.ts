// What the approver web UI needs from the rest of the gateway, as interfaces: the approval service,
// accounts, and the stores for sessions and one-time login codes (the database store implements them).
import type { SecurityNotice } from '../../util/notice.js';
import type { VerifiedAssertion } from '../webauthn.js';
import type { Tarballs } from './capabilities.js';

export type RequestState = 'pending' | 'approved' | 'rejected' | 'expired';

export interface RequestGroupView {
  name: string;
  /** Approvals this group needs. */
  required: number;
  /** Who in this group approved so far. */
  approvedBy: string[];
}

/** One approval request as one user may see it. */
export interface ApprovalRequestView {
  id: string;
  packageName: string;
  version: string;
  tag?: string;
  /** sha512 SRI of the tarball: approvals are for exactly these bytes. */
  integrity: string;
  state: RequestState;
  createdAt: string;
  expiresAt?: string;
  /** Who published it (the npm user). */
  publisher: string;
  groups: RequestGroupView[];
  /** Whether this user may approve or reject it now (the approval rule's answer), and if not, why. */
  mayApprove: boolean;
  whyNot?: string;
}

/** Who acts: the user, and the registry token their session was opened with (if any). */
export interface Actor {
  userId: string;
  /** The service refuses an approval with the token that published the request. */
  tokenKey?: string;
}

export type Outcome = { ok: true; state: RequestState } | { ok: false; reason: string };

export interface ApprovalRequests {
  /** Requests this user takes part in, newest first. */
  list(userId: string): Promise<ApprovalRequestView[]>;
  /** Null when the request does not exist or this user may not see it. */
  get(id: string, userId: string): Promise<ApprovalRequestView | null>;
  /** Records a WebAuthn-verified approval; the service applies the approval rule again. */
  approve(assertion: VerifiedAssertion, actor: Actor): Promise<Outcome>;
  /** A rejection needs a fresh assertion too: a stolen session must not be able to burn a release. */
  reject(assertion: VerifiedAssertion, actor: Actor): Promise<Outcome>;
  /** The stored tarball of the request and of the version before it, for the capability diff. */
  tarballs(id: string): Promise<Tarballs>;
}

export interface Accounts {
  /** The user a registry token belongs to; null for an unknown or revoked token. */
  userForToken(token: string): Promise<{ userId: string; tokenKey: string } | null>;
}

export interface SessionRecord {
  /** SHA-256 (hex) of the cookie's value; the value itself is never stored. */
  idHash: string;
  userId: string;
  /** How the user signed in: a one-time login link, or a registry token pasted once. */
  method: 'link' | 'token';
  tokenKey?: string;
  csrf: string;
  createdAt: number;
  expiresAt: number;
  /** Until when the user counts as having just proved a registered device (to add another one). */
  elevatedUntil?: number;
}

export interface SessionStore {
  /** Creates or replaces. */
  put(session: SessionRecord): Promise<void>;
  get(idHash: string): Promise<SessionRecord | undefined>;
  delete(idHash: string): Promise<void>;
}

export interface LoginCode {
  /** SHA-256 (hex) of the code. */
  codeHash: string;
  userId: string;
  expiresAt: number;
}

export interface LoginCodeStore {
  put(code: LoginCode): Promise<void>;
  /** Removes and returns it, atomically (a code works once). */
  take(codeHash: string): Promise<LoginCode | undefined>;
}

// Owners' and maintainers' pages: a package's approval groups, invites and security notices.

/** One approval group as a package page shows it. */
export interface PackageGroupView {
  id: string;
  /** The package name, or "@scope" for a group of every package in the scope. */
  scope: string;
  name: string;
  required: number;
  members: Array<{
    user: string;
    /** Whether removing this member would leave a group of this package unable to reach its count. */
    removalLeavesShort: boolean;
  }>;
  /** Places its members cannot fill (one person counts once): while above 0, no version can be approved. */
  missing: number;
  /** Whether this user may change it (an owner of its scope). */
  mayManage: boolean;
}

/** A security notice as the package page lists it. */
export type NoticeView = Omit<SecurityNotice, 'packageName' | 'keyid' | 'signature'>;

export interface PackageView {
  name: string;
  owners: string[];
  /** The package's scope ("@acme"), when it has one and this user owns it: groups may be made for all of it. */
  ownedScope?: string;
  /** An owner (a maintainer) may create groups, change counts, invite and remove members, and post notices. */
  owner: boolean;
  groups: PackageGroupView[];
  /** Public versions, newest first: what a notice may be about. */
  versions: string[];
  notices: NoticeView[];
}

/** What an owner asks for. Each is confirmed by a fresh assertion bound to exactly this action. */
export type ManageAction =
  | { kind: 'create-group'; scope: string; name: string; required: number }
  | { kind: 'set-required'; groupId: string; required: number }
  | { kind: 'invite'; groupId: string }
  | { kind: 'remove-member'; groupId: string; user: string; belowRequired: boolean }
  | { kind: 'post-notice'; version: string; severity: string; title: string; body: string };

export interface ManageResult {
  /** For an invite: the one-time code (the page turns it into a link) and when it expires. */
  invite?: { code: string; group: string; expiresAt: string };
}

export interface PackageManagement {
  /** The packages this user maintains, by name. */
  packages(userId: string): Promise<string[]>;
  /** Null when there is no such package or the user takes no part in it (neither an owner nor a group member). */
  view(packageName: string, userId: string): Promise<PackageView | null>;
  /** Refuses (WebError) what this user may not do to this package, before any challenge is issued. */
  authorize(packageName: string, userId: string, action: ManageAction): Promise<void>;
  /** Does it, after the assertion was verified; the approval service checks the user's rights again. */
  perform(packageName: string, userId: string, action: ManageAction): Promise<ManageResult>;
}
