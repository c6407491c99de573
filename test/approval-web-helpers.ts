// The approver UI on a real HTTP server on 127.0.0.1 for tests: mounted in a minimal hono app, with
// in-memory stores, and a small stand-in for the approval service (the real rule is
// the approval-core part's; this one only does what the UI tests need).
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import webpush from 'web-push';
import { createApprovalWeb, issueLoginCode, loginLink, type Accounts, type Actor, type ApprovalRequests, type ApprovalRequestView, type ApprovalWeb, type Outcome, type Tarballs } from '../src/approval/web/index.js';
import { relyingPartyFor, WebAuthnCeremonies, type VerifiedAssertion } from '../src/approval/webauthn.js';
import { createTarball } from '../src/registry/index.js';
import { MemoryChallenges, MemoryCredentials, MemoryLoginCodes, MemorySessions, MemorySubscriptions } from './approval-memory.js';

export interface StandInRequest {
  id: string;
  packageName: string;
  version: string;
  publisher: string;
  /** The token the publisher used: it may not approve. */
  publisherTokenKey?: string;
  approvers: string[];
  required: number;
  files: Record<string, string>;
  previous?: { version: string; files: Record<string, string> };
}

interface Held {
  spec: StandInRequest;
  integrity: string;
  tarball: Buffer;
  state: ApprovalRequestView['state'];
  approvedBy: string[];
  accepted: VerifiedAssertion[];
}

function integrityOf(tarball: Buffer): string {
  return `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
}

export class StandInApprovals implements ApprovalRequests {
  readonly held = new Map<string, Held>();

  add(spec: StandInRequest): Held {
    const tarball = createTarball(spec.files);
    const held: Held = { spec, integrity: integrityOf(tarball), tarball, state: 'pending', approvedBy: [], accepted: [] };
    this.held.set(spec.id, held);
    return held;
  }

  /** As if the publisher replaced the tarball (a new integrity) while the page was open. */
  replaceTarball(id: string, files: Record<string, string>): void {
    const h = this.held.get(id)!;
    h.tarball = createTarball(files);
    h.integrity = integrityOf(h.tarball);
  }

  #view(h: Held, userId: string): ApprovalRequestView {
    const may = h.state === 'pending' && h.spec.approvers.includes(userId) && !h.approvedBy.includes(userId);
    return {
      id: h.spec.id, packageName: h.spec.packageName, version: h.spec.version, integrity: h.integrity, state: h.state,
      createdAt: '2026-01-01T00:00:00.000Z', publisher: h.spec.publisher,
      groups: [{ name: 'maintainers', required: h.spec.required, approvedBy: [...h.approvedBy] }],
      mayApprove: may,
      ...(may ? {} : { whyNot: h.spec.approvers.includes(userId) ? 'you already approved it' : 'you are not in an approval group of this package' }),
    };
  }

  async list(userId: string): Promise<ApprovalRequestView[]> {
    return [...this.held.values()].filter((h) => h.spec.approvers.includes(userId) || h.spec.publisher === userId).map((h) => this.#view(h, userId));
  }

  async get(id: string, userId: string): Promise<ApprovalRequestView | null> {
    const h = this.held.get(id);
    return h && (h.spec.approvers.includes(userId) || h.spec.publisher === userId) ? this.#view(h, userId) : null;
  }

  async approve(a: VerifiedAssertion, actor: Actor): Promise<Outcome> {
    const h = this.held.get(a.requestId);
    if (!h || h.state !== 'pending' || a.decision !== 'approve') return { ok: false, reason: 'not pending' };
    if (a.userId !== actor.userId || a.integrity !== h.integrity) return { ok: false, reason: 'assertion does not match' };
    if (!h.spec.approvers.includes(a.userId) || h.approvedBy.includes(a.userId)) return { ok: false, reason: 'not an approver' };
    if (actor.tokenKey && actor.tokenKey === h.spec.publisherTokenKey) return { ok: false, reason: 'the token that published this version cannot approve it' };
    h.approvedBy.push(a.userId);
    h.accepted.push(a);
    if (h.approvedBy.length >= h.spec.required) h.state = 'approved';
    return { ok: true, state: h.state };
  }

  async reject(a: VerifiedAssertion, actor: Actor): Promise<Outcome> {
    const h = this.held.get(a.requestId);
    if (!h || h.state !== 'pending' || a.decision !== 'reject' || a.userId !== actor.userId || a.integrity !== h.integrity) return { ok: false, reason: 'not allowed' };
    if (!h.spec.approvers.includes(a.userId)) return { ok: false, reason: 'not an approver' };
    h.accepted.push(a);
    h.state = 'rejected';
    return { ok: true, state: h.state };
  }

  async tarballs(id: string): Promise<Tarballs> {
    const h = this.held.get(id)!;
    return { current: h.tarball, ...(h.spec.previous ? { previous: { version: h.spec.previous.version, tarball: createTarball(h.spec.previous.files) } } : {}) };
  }
}

export class StandInAccounts implements Accounts {
  readonly tokens = new Map<string, string>();
  async userForToken(token: string) {
    const userId = this.tokens.get(token);
    return userId ? { userId, tokenKey: createHash('sha256').update(token).digest('hex') } : null;
  }
}

export const tokenKeyOf = (token: string) => createHash('sha256').update(token).digest('hex');

export interface RunningUi {
  /** http://localhost:PORT — WebAuthn needs a host name, and localhost is a secure context. */
  url: string;
  web: ApprovalWeb;
  approvals: StandInApprovals;
  accounts: StandInAccounts;
  credentials: MemoryCredentials;
  challenges: MemoryChallenges;
  sessions: MemorySessions;
  loginCodes: MemoryLoginCodes;
  subscriptions: MemorySubscriptions;
  clock: { now: number };
  /** A one-time login link for the user. */
  loginLink(userId: string): Promise<string>;
  close(): Promise<void>;
}

export async function startUi(options: { allowPushEndpoint?: (url: URL) => boolean } = {}): Promise<RunningUi> {
  let web: ApprovalWeb | undefined;
  // Mounted the way the gateway mounts it: hono routes, hono's Context handed to the UI as it is.
  const app = new Hono();
  app.all('/-/approve', (c) => web!.handle(c));
  app.all('/-/approve/*', (c) => web!.handle(c));
  const server: Server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://localhost:${(server.address() as AddressInfo).port}`;
  const clock = { now: Date.now() };
  const now = () => clock.now;
  const stores = {
    challenges: new MemoryChallenges(), credentials: new MemoryCredentials(), sessions: new MemorySessions(),
    loginCodes: new MemoryLoginCodes(), subscriptions: new MemorySubscriptions(),
  };
  const approvals = new StandInApprovals();
  const accounts = new StandInAccounts();
  const ceremonies = new WebAuthnCeremonies({ rp: relyingPartyFor(url), challenges: stores.challenges, credentials: stores.credentials, now });
  web = createApprovalWeb({
    publicUrl: url, ceremonies, requests: approvals, accounts, sessions: stores.sessions, loginCodes: stores.loginCodes,
    subscriptions: stores.subscriptions, vapidPublicKey: webpush.generateVAPIDKeys().publicKey, now, log: (line) => process.stderr.write(`${line}\n`),
    ...(options.allowPushEndpoint ? { allowPushEndpoint: options.allowPushEndpoint } : {}),
  });
  return {
    url, web, approvals, accounts, clock, ...stores,
    loginLink: async (userId) => loginLink(url, await issueLoginCode(stores.loginCodes, userId, { now })),
    close: () => new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}
