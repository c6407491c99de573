// The approval gateway as the registry runs it: the approval service (groups, requests, the rule) over
// the gateway's database, the approver web UI and its WebAuthn ceremonies on the same tables, Web Push
// to approvers when a version starts waiting, and the registry's ApprovalGate seam.
import webpush from 'web-push';
import { stageIdOf } from '../registry/approval-flow.js';
import { authenticate } from '../registry/auth.js';
import type { AdminHandler } from '../registry/admin.js';
import { RegistryError } from '../registry/errors.js';
import { isMaintainer, type Registry } from '../registry/packages.js';
import type { RegistryStore } from '../registry/store.js';
import type { ApprovalGate } from '../registry/context.js';
import type { Db } from './db.js';
import { ApprovalError } from './errors.js';
import { PushNotifier, type VapidKeys } from './push.js';
import { ApprovalService, type ApprovalSettings, type Outcome } from './service.js';
import type { RequestRecord } from './store.js';
import { packageManagement, toWebError } from './management.js';
import { createApprovalWeb, inviteLink, issueLoginCode, loginLink, type ApprovalWeb } from './web/index.js';
import type { Accounts, ApprovalRequests, ApprovalRequestView, Outcome as WebOutcome } from './web/services.js';
import type { Tarballs } from './web/capabilities.js';
import { DbChallenges, DbCredentials, DbLoginCodes, DbSessions, DbSubscriptions } from './web-stores.js';
import { relyingPartyFor, WebAuthnCeremonies, type VerifiedAssertion as WebAssertion } from './webauthn.js';

export interface GatewayOptions {
  db: Db;
  registry: Registry<RegistryStore>;
  settings?: Partial<ApprovalSettings>;
  /** Who runs the gateway, for push services (VAPID `sub`): a mailto: or https: URL. */
  pushSubject?: string;
  /** Which push endpoints approvers may register (default: the browsers' push services). */
  allowPushEndpoint?: (url: URL) => boolean;
  fetch?: typeof fetch;
  /** How often expired requests are swept. Default one minute; 0: never (tests call sweep()). */
  sweepEveryMs?: number;
  log?: (line: string) => void;
}

/**
 * The approver UI's base URL. WebAuthn does not accept an IP address as the relying party, so a gateway
 * on a loopback address is offered to browsers as localhost (npm keeps the address it was given).
 */
export function webUrlFor(publicUrl: string): string {
  const url = new URL(publicUrl);
  if (url.hostname === '127.0.0.1' || url.hostname === '[::1]') url.hostname = 'localhost';
  return url.href.replace(/\/+$/, '');
}

export class ApprovalGateway {
  readonly service: ApprovalService;
  readonly loginCodes: DbLoginCodes;
  readonly sessions: DbSessions;
  #web: ApprovalWeb | null = null;
  #push: PushNotifier | null = null;
  #webUrl = '';
  #timer: NodeJS.Timeout | null = null;
  readonly #o: GatewayOptions;

  constructor(options: GatewayOptions) {
    this.#o = options;
    this.service = new ApprovalService(options.db, options.registry, options.settings);
    this.loginCodes = new DbLoginCodes(options.db);
    this.sessions = new DbSessions(options.db);
  }

  /** Once the server listens and its URL is known: the web UI, push, and the sweep. */
  async start(publicUrl: string): Promise<void> {
    const { db, registry } = this.#o;
    this.#webUrl = webUrlFor(publicUrl);
    const now = () => registry.now().getTime();
    const keys = await this.service.devices.gatewayKey<VapidKeys>('vapid', () => webpush.generateVAPIDKeys());
    const subscriptions = new DbSubscriptions(db);
    this.#push = new PushNotifier({
      keys, subject: this.#o.pushSubject ?? 'mailto:packsec-registry@localhost', subscriptions, publicUrl: this.#webUrl,
      ...(this.#o.fetch ? { fetch: this.#o.fetch } : {}),
    });
    const ceremonies = new WebAuthnCeremonies({
      rp: relyingPartyFor(this.#webUrl), challenges: new DbChallenges(db, now), credentials: new DbCredentials(db), now,
      ...(this.#o.settings?.challengeTtlMs ? { challengeTtlMs: this.#o.settings.challengeTtlMs } : {}),
    });
    this.#web = createApprovalWeb({
      publicUrl: this.#webUrl, ceremonies, requests: this.requests(), accounts: this.accounts(), sessions: this.sessions, loginCodes: this.loginCodes,
      subscriptions, vapidPublicKey: keys.publicKey, now,
      invites: {
        accept: async (user, code) => {
          try {
            const group = await this.service.acceptInvite(user, code);
            return { scope: group.scope, group: group.name };
          } catch (err) {
            throw toWebError(err);
          }
        },
      },
      packages: packageManagement(this.service),
      ...(this.#o.allowPushEndpoint ? { allowPushEndpoint: this.#o.allowPushEndpoint } : {}),
      ...(this.#o.settings?.sessionTtlMs ? { sessionTtlMs: this.#o.settings.sessionTtlMs } : {}),
      ...(this.#o.log ? { log: this.#o.log } : {}),
    });
    const every = this.#o.sweepEveryMs ?? 60_000;
    if (every > 0) {
      this.#timer = setInterval(() => void this.sweep().catch((err: Error) => this.#o.log?.(`approval sweep: ${err.message}`)), every);
      this.#timer.unref();
    }
  }

  get webUrl(): string {
    return this.#webUrl;
  }

  get web(): ApprovalWeb | null {
    return this.#web;
  }

  /** Expires requests that are due, finishes interrupted settlements, forgets spent sign-in material. */
  async sweep(): Promise<void> {
    await this.service.sweep();
    const now = this.#o.registry.now().getTime();
    await this.sessions.prune(now);
    await this.loginCodes.prune(now);
  }

  /** A one-time sign-in link for `user` (operators hand these out; the code is stored only as a hash). */
  async loginLink(user: string): Promise<string> {
    if (!(await this.#o.registry.store.readUser(user))) throw new ApprovalError('NOT_FOUND', `no user ${user} on this registry (create one with packsec registry token --user ${user})`);
    return loginLink(this.#webUrl, await issueLoginCode(this.loginCodes, user, { now: () => this.#o.registry.now().getTime() }));
  }

  /** The invite link for a code from `service.invite`. */
  inviteLink(code: string): string {
    return inviteLink(this.#webUrl, code);
  }

  /** What the operator may ask through the data folder's admin socket (src/registry/admin.ts). */
  adminHandlers(): Record<string, AdminHandler> {
    const text = (args: Record<string, unknown>, name: string): string => {
      const v = args[name];
      if (typeof v !== 'string' || !v) throw new ApprovalError('BAD_REQUEST', `${name}: expected a string`);
      return v;
    };
    /** The owner acting: the one named, or else the scope's first owner (the operator acts for them). */
    const owner = async (args: Record<string, unknown>, scope: string): Promise<string> => {
      if (typeof args.as === 'string' && args.as) return args.as;
      const owners = await this.service.owners(scope);
      if (!owners[0]) throw new ApprovalError('NOT_FOUND', `${scope} has no owners: publish a package there first`);
      return owners[0];
    };
    const group = async (scope: string, name: string) => {
      const found = (await this.service.groups(scope)).find((g) => g.name === name);
      if (!found) throw new ApprovalError('NOT_FOUND', `${scope} has no approval group named ${JSON.stringify(name)}`);
      return found;
    };
    return {
      'login-link': async (args) => ({ link: await this.loginLink(text(args, 'user')) }),
      'group-list': async (args) => this.service.groups(text(args, 'scope')),
      'group-add': async (args) => {
        const scope = text(args, 'scope');
        return this.service.createGroup(await owner(args, scope), { scope, name: text(args, 'name'), required: Number(args.required ?? 1) });
      },
      'group-set': async (args) => {
        const scope = text(args, 'scope');
        return this.service.setRequired(await owner(args, scope), (await group(scope, text(args, 'name'))).id, Number(args.required));
      },
      'invite': async (args) => {
        const scope = text(args, 'scope');
        const made = await this.service.invite(await owner(args, scope), (await group(scope, text(args, 'name'))).id);
        return { link: this.inviteLink(made.code), group: made.group.name, scope, expiresAt: made.expiresAt };
      },
      'sweep': async () => {
        await this.sweep();
        return {};
      },
    };
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** The registry's seam: publishes open requests and notify approvers; versions move when requests settle. */
  gate(): ApprovalGate {
    return {
      state: async (staged) => staged.record.versions[staged.version]!.state,
      reject: async (staged) => {
        throw new RegistryError('FORBIDDEN', `rejecting takes a registered device: reject ${staged.record.name}@${staged.version} at ${this.#webUrl}/-/approve/${staged.id.replace(/-/g, '')}`);
      },
      opened: async (staged, via) => {
        const request = await this.service.openRequest(staged.id, via.tokenKey ? { tokenKey: via.tokenKey } : {});
        void this.#notify(request);
      },
      canSee: async (staged, user) => {
        if (isMaintainer(staged.record, user)) return true;
        const request = await this.service.requestOf(staged.record.name, staged.version);
        return request !== null && this.#involved(await this.service.view(request.id, { user }), user);
      },
    };
  }

  async #notify(request: RequestRecord): Promise<void> {
    if (!this.#push) return;
    const approvers = [...new Set(request.policy.flatMap((g) => g.members))];
    try {
      const report = await this.#push.notifyRequest({ id: request.id.replace(/-/g, ''), packageName: request.packageName, version: request.version }, approvers);
      for (const f of report.failed) this.#o.log?.(`push to ${f.service} failed: ${f.reason}`);
    } catch (err) {
      this.#o.log?.(`push for ${request.packageName}@${request.version} failed: ${(err as Error).message}`);
    }
  }

  /** Whether `user` takes part in a request: a member of its groups then or now, an owner, or its publisher. */
  async #involved({ request, decision }: Outcome, user: string): Promise<boolean> {
    if (request.publisher === user || request.policy.some((g) => g.members.includes(user))) return true;
    return decision.groups.some((g) => g.eligible.includes(user)) || (await this.service.owners(request.packageName)).includes(user);
  }

  requests(): ApprovalRequests {
    const service = this.service;
    /** A request as the user who viewed it sees it (the rule's verdict was made for that user). */
    const toView = async ({ request, decision }: Outcome): Promise<ApprovalRequestView> => {
      const whyNot = decision.approve.allowed ? undefined : decision.approve.reason;
      const v = (await this.#o.registry.store.readPackage(request.packageName))?.versions[request.version];
      return {
        id: request.id, packageName: request.packageName, version: request.version, integrity: request.integrity, state: decision.status,
        createdAt: request.createdAt, expiresAt: request.expiresAt, publisher: request.publisher,
        mayApprove: decision.approve.allowed || decision.reject.allowed,
        groups: decision.groups.map((g) => ({ name: g.name, required: g.required, approvedBy: g.approvedBy })),
        ...(v?.tag ? { tag: v.tag } : {}), ...(whyNot ? { whyNot } : {}),
      };
    };
    const outcome = async (run: () => Promise<Outcome>): Promise<WebOutcome> => {
      try {
        const { decision } = await run();
        return { ok: true, state: decision.status };
      } catch (err) {
        if (err instanceof ApprovalError) return { ok: false, reason: err.message };
        throw err;
      }
    };
    const core = (a: WebAssertion) => ({ userId: a.userId, credentialId: a.credentialId, challengeId: a.challengeId, newCounter: a.newCounter, userVerified: a.userVerified, requestId: a.requestId, integrity: a.integrity });
    return {
      list: async (user) => {
        const seen = await service.inbox(user);
        return Promise.all(seen.reverse().map(toView));
      },
      get: async (id, user) => {
        const stageId = stageIdOf(id);
        if (!stageId) return null;
        let seen: Outcome;
        try {
          seen = await service.view(stageId, { user });
        } catch (err) {
          if (err instanceof ApprovalError && err.code === 'NOT_FOUND') return null;
          throw err;
        }
        return (await this.#involved(seen, user)) ? toView(seen) : null;
      },
      approve: (a, actor) => outcome(() => service.decideVerified('approve', core(a), actor.tokenKey ? { tokenKey: actor.tokenKey } : {})),
      reject: (a, actor) => outcome(() => service.decideVerified('reject', core(a), actor.tokenKey ? { tokenKey: actor.tokenKey } : {})),
      tarballs: (id) => this.#tarballs(stageIdOf(id)),
    };
  }

  /** The request's tarball and the newest public version's before it, read with their integrity checked. */
  async #tarballs(id: string): Promise<Tarballs> {
    const store = this.#o.registry.store;
    const ref = await this.service.view(id).then((o) => o.request);
    const record = await store.readPackage(ref.packageName);
    const v = record?.versions[ref.version];
    if (!record || !v) throw new ApprovalError('NOT_FOUND', 'the version is gone');
    const current = await store.readPackageFile(record.name, v.tarball, v.integrity);
    if (!current) throw new ApprovalError('NOT_FOUND', 'the tarball is gone');
    const earlier = Object.entries(record.versions)
      .filter(([, x]) => x.state === 'public' && Date.parse(x.uploadedAt) < Date.parse(v.uploadedAt))
      .sort(([, a], [, b]) => Date.parse(b.uploadedAt) - Date.parse(a.uploadedAt))[0];
    const previous = earlier ? await store.readPackageFile(record.name, earlier[1].tarball, earlier[1].integrity) : null;
    return { current, ...(earlier && previous ? { previous: { version: earlier[0], tarball: previous } } : {}) };
  }

  accounts(): Accounts {
    return {
      userForToken: async (token) => {
        try {
          const caller = await authenticate(this.#o.registry.store, `Bearer ${token}`);
          return caller?.token ? { userId: caller.user.name, tokenKey: caller.token.key } : null;
        } catch (err) {
          if (err instanceof RegistryError) return null;
          throw err;
        }
      },
    };
  }
}
