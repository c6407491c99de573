// What every route shares: the registry, its public URL and options, the approval gate, and who is
// calling (checked once per request; the user name is kept for the log line, never the token).
import type { IncomingMessage } from 'node:http';
import type { SecurityNotice } from '../util/notice.js';
import { authenticate, checkTokenWrites, type Caller } from './auth.js';
import { RegistryError } from './errors.js';
import type { C } from './http.js';
import { isMaintainer, setVersionState, type Registry } from './packages.js';
import type { Upstream } from './proxy.js';
import type { PackageRecord, VersionState } from './storage.js';

/** A version waiting in a stage request. */
export interface StagedVersion {
  id: string;
  record: PackageRecord;
  version: string;
}

/**
 * Where approval is decided. The default follows the version's state (moved by setVersionState); the
 * approval service (groups, WebAuthn) replaces it without touching the routes.
 */
export interface ApprovalGate {
  /** 'pending' until every approval group approved; then 'public', or 'rejected'. */
  state(staged: StagedVersion): Promise<VersionState>;
  /** `user` (a maintainer) rejects the request: the tarball is discarded, the number stays burned. */
  reject(staged: StagedVersion, user: string): Promise<void>;
  /** A publish just stored `staged` as pending, through the token `via.tokenKey`. */
  opened(staged: StagedVersion, via: { tokenKey?: string }): Promise<void>;
  /** Whether `user` may see the request (npm stage list|view). */
  canSee(staged: StagedVersion, user: string): Promise<boolean>;
}

export function defaultGate(reg: Registry): ApprovalGate {
  return {
    async state(staged) {
      return staged.record.versions[staged.version]!.state;
    },
    async reject(staged) {
      await setVersionState(reg, staged.record.name, staged.version, 'rejected');
    },
    async opened() {},
    async canSee(staged, user) {
      return isMaintainer(staged.record, user);
    },
  };
}

export interface ServerContext {
  reg: Registry;
  /** Set once the server listens (the real port is known then). */
  publicUrl: string;
  upstream: Upstream | null;
  signup: boolean;
  gate: ApprovalGate;
  /** Seals doneUrl tickets and one-time tokens (approval-flow.ts). */
  flowKey: Buffer;
  /** The approver web UI under /-/approve, when the approval gateway runs. */
  web: { handle(c: { req: { raw: Request } }): Promise<Response> } | null;
  /** Signed security notices (the approval gateway's), served to readers; null without the gateway. */
  notices: {
    list(name: string): Promise<SecurityNotice[]>;
    forVersions(query: Map<string, string[]>): Promise<Record<string, SecurityNotice[]>>;
  } | null;
  /** The approver UI's base URL (publicUrl, with a loopback address as localhost for WebAuthn). */
  webUrl: string;
  /** Largest publish body: a tarball in base64 plus its manifest. */
  maxBody: number;
}

/** Small JSON bodies: logins, tokens, dist-tags. */
export const JSON_LIMIT = 1024 * 1024;
/** A bulk advisory query lists every installed name and version: a few hundred kB for large apps. */
export const ADVISORY_QUERY_LIMIT = 8 * 1024 * 1024;

const loggedUsers = new WeakMap<IncomingMessage, string>();

/** Names the user in this request's log line. */
export function noteUser(c: C, name: string): void {
  if (c.env?.incoming) loggedUsers.set(c.env.incoming, name);
}

export function loggedUser(req: IncomingMessage): string | undefined {
  return loggedUsers.get(req);
}

/** The caller, or null for anonymous; a bad token is a 401 (not anonymous access). */
export async function callerOf(c: C, ctx: ServerContext): Promise<Caller | null> {
  let pending = c.get('caller');
  if (!pending) {
    pending = authenticate(ctx.reg.store, c.req.header('authorization'));
    c.set('caller', pending);
  }
  const caller = await pending;
  if (caller) noteUser(c, caller.user.name);
  return caller;
}

export async function requireCaller(c: C, ctx: ServerContext, write = false): Promise<Caller> {
  const caller = await callerOf(c, ctx);
  if (!caller) throw new RegistryError('UNAUTHORIZED', 'authentication required');
  if (write && caller.readonly) throw new RegistryError('FORBIDDEN', 'this token is read-only');
  return caller;
}

/** A caller who may write `name`: not read-only, and a granular token must list the package or its scope. */
export async function requireWriter(c: C, ctx: ServerContext, name: string): Promise<Caller> {
  const caller = await requireCaller(c, ctx, true);
  checkTokenWrites(caller.token, name);
  return caller;
}
