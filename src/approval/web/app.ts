// The approver web UI as one Fetch-API handler under /-/approve: the gateway's HTTP server (hono) mounts
// it, tests mount it on node:http. Every POST needs the gateway's Origin, and a session's CSRF token.
import { parseSubscription, isKnownPushService, type SubscriptionStore } from '../push.js';
import { WebAuthnError, type Decision, type WebAuthnCeremonies } from '../webauthn.js';
import { loadAssets, type Asset } from './assets.js';
import { capabilityReport, type CapabilityReport } from './capabilities.js';
import { WebError } from './errors.js';
import { manageDigest, parseAction } from './manage.js';
import { devicesPage, errorPage, invitePage, listPage, loginPage, PREFIX, requestPage, type PageUser, type RegistrationMode } from './pages.js';
import { DONE, packagePage, packagesPage } from './pages-packages.js';
import { assetResponse, htmlResponse, jsonResponse, readForm, readJsonObject, redirect } from './respond.js';
import type { Accounts, ApprovalRequests, ApprovalRequestView, LoginCodeStore, PackageManagement, SessionRecord, SessionStore } from './services.js';
import { inviteLink, sameSecret, Sessions } from './session.js';

export interface ApprovalWebOptions {
  /** The gateway's public URL: its origin is the only one POSTs are accepted from, and the WebAuthn origin. */
  publicUrl: string;
  ceremonies: WebAuthnCeremonies;
  requests: ApprovalRequests;
  accounts: Accounts;
  sessions: SessionStore;
  loginCodes: LoginCodeStore;
  subscriptions: SubscriptionStore;
  vapidPublicKey: string;
  /** Invite codes for approval groups (joining needs a session). Without it, /invite is a 404. */
  invites?: { accept(userId: string, code: string): Promise<{ scope: string; group: string }> };
  /** Owners' pages: groups, invites and notices of the packages a user maintains. Without it, /packages is a 404. */
  packages?: PackageManagement;
  /** Which push endpoints approvers may register. Default: the browsers' push services. */
  allowPushEndpoint?: (url: URL) => boolean;
  sessionTtlMs?: number;
  now?: () => number;
  /** Unexpected errors (never secrets). */
  log?: (line: string) => void;
}

/** What the handler needs of a request-handler context: hono's Context fits. */
export interface WebContext {
  req: { raw: Request };
}

export interface ApprovalWeb {
  /** Paths the handler answers: this prefix and everything below it. */
  readonly prefix: string;
  handle(c: WebContext): Promise<Response>;
}

type Guard = 'none' | 'page' | 'json' | 'form' | 'login';

interface Exchange {
  request: Request;
  url: URL;
  params: string[];
  session: SessionRecord;
  user: PageUser;
  body: Record<string, unknown>;
  form: URLSearchParams;
}

interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  guard: Guard;
  handle(x: Exchange): Promise<Response>;
}

const ID = '([A-Za-z0-9][A-Za-z0-9._-]{0,127})';
/** A package name in one path segment, as encodeURIComponent spells it ("%40acme%2Fx"). */
const PACKAGE = '([^/]{1,700})';
const JSON_LIMIT = 64 * 1024;
const FORM_LIMIT = 8 * 1024;
const STEP_UP_MS = 5 * 60 * 1000;
const MAX_REPORTS = 32;

export function createApprovalWeb(options: ApprovalWebOptions): ApprovalWeb {
  return new ApprovalWebApp(options);
}

class ApprovalWebApp implements ApprovalWeb {
  readonly prefix = PREFIX;
  readonly #o: ApprovalWebOptions;
  readonly #origin: string;
  readonly #sessions: Sessions;
  readonly #assets: Map<string, Asset>;
  readonly #reports = new Map<string, Promise<CapabilityReport>>();
  readonly #routes: Route[];

  constructor(options: ApprovalWebOptions) {
    this.#o = options;
    this.#origin = new URL(options.publicUrl).origin;
    this.#sessions = new Sessions({
      store: options.sessions,
      loginCodes: options.loginCodes,
      secure: this.#origin.startsWith('https:'),
      path: PREFIX,
      ...(options.sessionTtlMs ? { ttlMs: options.sessionTtlMs } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    this.#assets = loadAssets();
    const route = (method: Route['method'], path: string, guard: Guard, handle: Route['handle']): Route => ({ method, path: new RegExp(`^${path}$`), guard, handle });
    this.#routes = [
      route('GET', '/?', 'page', (x) => this.#list(x)),
      route('GET', '/login', 'none', (x) => this.#loginPage(x)),
      route('POST', '/login', 'login', (x) => this.#login(x)),
      route('POST', '/logout', 'form', (x) => this.#logout(x)),
      route('GET', '/devices', 'page', (x) => this.#devices(x)),
      route('POST', '/devices/step-up/options', 'json', (x) => this.#stepUpOptions(x)),
      route('POST', '/devices/step-up', 'json', (x) => this.#stepUp(x)),
      route('POST', '/devices/options', 'json', (x) => this.#registrationOptions(x)),
      route('POST', '/devices', 'json', (x) => this.#register(x)),
      route('POST', '/push', 'json', (x) => this.#subscribe(x)),
      route('GET', '/invite', 'page', (x) => this.#invitePage(x)),
      route('POST', '/invite', 'form', (x) => this.#acceptInvite(x)),
      route('GET', '/packages', 'page', (x) => this.#packages(x)),
      route('GET', `/packages/${PACKAGE}`, 'page', (x) => this.#packagePage(x)),
      route('POST', `/packages/${PACKAGE}/options`, 'json', (x) => this.#manageOptions(x)),
      route('POST', `/packages/${PACKAGE}/act`, 'json', (x) => this.#manage(x)),
      route('GET', '/(static/app\\.css|static/app\\.js|static/webauthn\\.js|sw\\.js)', 'none', (x) => this.#asset(x)),
      route('GET', `/${ID}`, 'page', (x) => this.#requestPage(x)),
      route('POST', `/${ID}/options`, 'json', (x) => this.#approvalOptions(x)),
      route('POST', `/${ID}/approve`, 'json', (x) => this.#decide(x, 'approve')),
      route('POST', `/${ID}/reject`, 'json', (x) => this.#decide(x, 'reject')),
    ];
  }

  async handle(c: WebContext): Promise<Response> {
    const request = c.req.raw;
    const url = new URL(request.url);
    const found = this.#match(request.method, url.pathname);
    const x = { request, url, params: found?.params ?? [] } as Partial<Exchange> as Exchange;
    try {
      if (!found) throw new WebError('NOT_FOUND', 'no such page');
      return (await this.#admit(found.route.guard, x)) ?? (await found.route.handle(x));
    } catch (err) {
      return this.#failure(err, found?.route.guard === 'json', x.user ?? null);
    }
  }

  #match(method: string, pathname: string): { route: Route; params: string[] } | null {
    if (!pathname.startsWith(PREFIX)) return null;
    const rest = pathname.slice(PREFIX.length);
    for (const route of this.#routes) {
      const m = route.method === method ? route.path.exec(rest) : null;
      if (m) return { route, params: m.slice(1) };
    }
    return null;
  }

  /**
   * Applies the route's guard: the Origin of POSTs, the session, the CSRF token, the body. Answers a
   * redirect when a page needs a sign-in; throws a WebError for any other refusal.
   */
  async #admit(guard: Guard, x: Exchange): Promise<Response | null> {
    if (guard === 'none') return null;
    if (guard !== 'page' && x.request.headers.get('origin') !== this.#origin) throw new WebError('ORIGIN', 'the request did not come from this gateway');
    if (guard !== 'login') {
      const session = await this.#sessions.current(x.request);
      if (!session && guard === 'page') {
        const next = x.url.pathname.replace(/\/$/, '') === PREFIX ? '' : `?next=${encodeURIComponent(x.url.pathname)}`;
        return redirect(`${PREFIX}/login${next}`);
      }
      if (!session) throw new WebError('SIGN_IN', 'not signed in');
      x.session = session;
      x.user = { userId: session.userId, csrf: session.csrf, vapidPublicKey: this.#o.vapidPublicKey, packages: this.#o.packages !== undefined };
    }
    if (guard === 'json') {
      if (!sameSecret(x.request.headers.get('x-csrf-token') ?? '', x.session.csrf)) throw new WebError('CSRF', 'missing or wrong CSRF token');
      x.body = await readJsonObject(x.request, JSON_LIMIT);
    } else if (guard === 'form' || guard === 'login') {
      x.form = await readForm(x.request, FORM_LIMIT);
      if (guard === 'form' && !sameSecret(x.form.get('csrf') ?? '', x.session.csrf)) throw new WebError('CSRF', 'missing or wrong CSRF token');
    }
    return null;
  }

  #failure(err: unknown, json: boolean, user: PageUser | null): Response {
    if (!(err instanceof WebError) && !(err instanceof WebAuthnError)) {
      this.#o.log?.(`approval UI: ${(err as Error)?.stack ?? String(err)}`);
      return json ? jsonResponse(500, { error: 'internal error', code: 'INTERNAL' }) : htmlResponse(500, errorPage(user, 'Something went wrong', 'The gateway could not answer; try again.'));
    }
    if (json) return jsonResponse(err.status, { error: err.message, code: err.code, hint: err.hint });
    return htmlResponse(err.status, errorPage(user, err.code === 'NOT_FOUND' ? 'Not found' : 'Refused', `${err.message}: ${err.hint}.`));
  }

  // Sign in and out.

  #safeNext(next: string | null): string {
    return next && (new RegExp(`^${PREFIX}/${ID}$`).test(next) || next === `${PREFIX}/invite`) ? next : `${PREFIX}/`;
  }

  async #loginPage(x: Exchange): Promise<Response> {
    if (await this.#sessions.current(x.request)) return redirect(`${PREFIX}/`);
    return htmlResponse(200, loginPage({ next: this.#safeNext(x.url.searchParams.get('next')) }));
  }

  async #login(x: Exchange): Promise<Response> {
    const code = x.form.get('code')?.trim();
    const token = x.form.get('token')?.trim();
    let opened: Awaited<ReturnType<Sessions['open']>> | undefined;
    if (code) {
      const userId = await this.#sessions.redeem(code);
      if (userId) opened = await this.#sessions.open(userId, 'link');
    } else if (token) {
      const found = await this.#o.accounts.userForToken(token);
      if (found) opened = await this.#sessions.open(found.userId, 'token', found.tokenKey);
    }
    const next = this.#safeNext(x.form.get('next'));
    if (!opened) return htmlResponse(401, loginPage({ next, error: 'That code or token was not accepted (a code works once and expires).' }));
    const previous = await this.#sessions.current(x.request);
    if (previous) await this.#sessions.close(previous);
    return redirect(next, { 'set-cookie': opened.setCookie });
  }

  async #logout(x: Exchange): Promise<Response> {
    return redirect(`${PREFIX}/login`, { 'set-cookie': await this.#sessions.close(x.session) });
  }

  // Devices: WebAuthn credentials and push subscriptions.

  async #registrationMode(session: SessionRecord): Promise<RegistrationMode> {
    const count = (await this.#o.ceremonies.devices(session.userId)).length;
    // A stolen registry token must never be enough to add an authenticator: the first device needs a
    // login link, every further one a fresh assertion by a device already registered.
    if (count === 0) return session.method === 'link' ? 'ready' : 'needs-link';
    return this.#sessions.isElevated(session) ? 'ready' : 'step-up';
  }

  async #mayRegister(session: SessionRecord): Promise<void> {
    const mode = await this.#registrationMode(session);
    if (mode === 'needs-link') throw new WebError('LINK_REQUIRED', 'a session opened with a registry token cannot register a first device');
    if (mode === 'step-up') throw new WebError('STEP_UP_REQUIRED', 'adding a device needs a fresh assertion by a registered one');
  }

  async #devices(x: Exchange): Promise<Response> {
    const credentials = await this.#o.ceremonies.devices(x.session.userId);
    return htmlResponse(200, devicesPage(x.user, credentials, await this.#registrationMode(x.session), x.url.searchParams.has('registered')));
  }

  async #stepUpOptions(x: Exchange): Promise<Response> {
    return jsonResponse(200, await this.#o.ceremonies.startStepUp(x.session.userId));
  }

  async #stepUp(x: Exchange): Promise<Response> {
    await this.#o.ceremonies.verifyStepUp(x.session.userId, x.body.challengeId, x.body.response);
    await this.#sessions.elevate(x.session, STEP_UP_MS);
    return jsonResponse(200, { ok: true });
  }

  async #registrationOptions(x: Exchange): Promise<Response> {
    await this.#mayRegister(x.session);
    return jsonResponse(200, await this.#o.ceremonies.startRegistration({ id: x.session.userId }));
  }

  async #register(x: Exchange): Promise<Response> {
    await this.#mayRegister(x.session);
    const name = typeof x.body.name === 'string' ? x.body.name : '';
    const credential = await this.#o.ceremonies.finishRegistration(x.session.userId, x.body.challengeId, x.body.response, name);
    return jsonResponse(201, { ok: true, id: credential.id, name: credential.name });
  }

  async #subscribe(x: Exchange): Promise<Response> {
    let parsed;
    try {
      parsed = parseSubscription(x.body.subscription, this.#o.allowPushEndpoint ?? isKnownPushService);
    } catch (err) {
      throw new WebError('BAD_REQUEST', (err as Error).message);
    }
    await this.#o.subscriptions.put({ userId: x.session.userId, ...parsed, createdAt: new Date((this.#o.now ?? Date.now)()).toISOString() });
    return jsonResponse(201, { ok: true });
  }

  async #asset(x: Exchange): Promise<Response> {
    const asset = this.#assets.get(x.params[0]!)!;
    return assetResponse(asset.body, asset.type);
  }

  // Invites.

  async #invitePage(x: Exchange): Promise<Response> {
    if (!this.#o.invites) throw new WebError('NOT_FOUND', 'no such page');
    return htmlResponse(200, invitePage(x.user));
  }

  async #acceptInvite(x: Exchange): Promise<Response> {
    if (!this.#o.invites) throw new WebError('NOT_FOUND', 'no such page');
    const code = x.form.get('code')?.trim() ?? '';
    if (!code || code.length > 200) throw new WebError('BAD_REQUEST', 'expected the invite code');
    return htmlResponse(200, invitePage(x.user, await this.#o.invites.accept(x.session.userId, code)));
  }

  // Packages: owners manage groups and invites, maintainers post notices.

  #management(): PackageManagement {
    if (!this.#o.packages) throw new WebError('NOT_FOUND', 'no such page');
    return this.#o.packages;
  }

  #packageName(x: Exchange): string {
    try {
      return decodeURIComponent(x.params[0]!);
    } catch {
      throw new WebError('NOT_FOUND', 'no such package');
    }
  }

  async #packages(x: Exchange): Promise<Response> {
    return htmlResponse(200, packagesPage(x.user, await this.#management().packages(x.session.userId)));
  }

  async #packagePage(x: Exchange): Promise<Response> {
    const view = await this.#management().view(this.#packageName(x), x.session.userId);
    if (!view) throw new WebError('NOT_FOUND', 'no such package, or you take no part in it');
    const done = x.url.searchParams.get('done');
    return htmlResponse(200, packagePage(x.user, view, done && Object.hasOwn(DONE, done) ? done : null));
  }

  /** Assertion options bound to this user and exactly this action on this package, for who may do it. */
  async #manageOptions(x: Exchange): Promise<Response> {
    const name = this.#packageName(x);
    const action = parseAction(x.body.action);
    await this.#management().authorize(name, x.session.userId, action);
    return jsonResponse(200, await this.#o.ceremonies.startManage(x.session.userId, manageDigest(name, action)));
  }

  /**
   * Adding approvers is as sensitive as approving: every change needs a fresh, user-verified assertion
   * whose challenge was bound to this action (recomputed here from what is about to be done).
   */
  async #manage(x: Exchange): Promise<Response> {
    const name = this.#packageName(x);
    const action = parseAction(x.body.action);
    const management = this.#management();
    await management.authorize(name, x.session.userId, action);
    await this.#o.ceremonies.verifyManage(x.session.userId, manageDigest(name, action), x.body.challengeId, x.body.response);
    const result = await management.perform(name, x.session.userId, action);
    if (!result.invite) return jsonResponse(200, { ok: true, done: action.kind });
    const { code, group, expiresAt } = result.invite;
    return jsonResponse(200, { ok: true, done: action.kind, invite: { link: inviteLink(this.#o.publicUrl, code), group, expiresAt } });
  }

  // Requests.

  async #list(x: Exchange): Promise<Response> {
    return htmlResponse(200, listPage(x.user, await this.#o.requests.list(x.session.userId)));
  }

  async #request(x: Exchange): Promise<ApprovalRequestView> {
    const request = await this.#o.requests.get(x.params[0]!, x.session.userId);
    if (!request) throw new WebError('NOT_FOUND', 'no such request');
    return request;
  }

  /** The request, if this user may act on it now. */
  async #actionable(x: Exchange): Promise<ApprovalRequestView> {
    const request = await this.#request(x);
    if (request.state !== 'pending') throw new WebError('NOT_ALLOWED', `the request is ${request.state}`);
    if (!request.mayApprove) throw new WebError('NOT_ALLOWED', request.whyNot ?? 'you may not approve this request');
    return request;
  }

  /** One analysis per tarball, shared by concurrent viewers, a few kept. */
  #report(request: ApprovalRequestView): Promise<CapabilityReport> {
    const key = `${request.id}\n${request.integrity}`;
    let report = this.#reports.get(key);
    if (!report) {
      report = this.#o.requests.tarballs(request.id).then((t) => capabilityReport(request.packageName, t));
      report.catch(() => this.#reports.delete(key));
      this.#reports.set(key, report);
      if (this.#reports.size > MAX_REPORTS) this.#reports.delete(this.#reports.keys().next().value!);
    }
    return report;
  }

  async #requestPage(x: Exchange): Promise<Response> {
    const request = await this.#request(x);
    const report = await this.#report(request).catch((err: Error) => ({ error: err.message }));
    return htmlResponse(200, requestPage(x.user, request, report));
  }

  async #approvalOptions(x: Exchange): Promise<Response> {
    const decision = x.body.decision ?? 'approve';
    if (decision !== 'approve' && decision !== 'reject') throw new WebError('BAD_REQUEST', 'decision: expected "approve" or "reject"');
    const request = await this.#actionable(x);
    return jsonResponse(200, await this.#o.ceremonies.startApproval({ userId: x.session.userId, requestId: request.id, integrity: request.integrity, decision }));
  }

  async #decide(x: Exchange, decision: Decision): Promise<Response> {
    const request = await this.#actionable(x);
    // The binding is checked against the request as it is now, not as the browser describes it.
    const binding = { userId: x.session.userId, requestId: request.id, integrity: request.integrity, decision };
    const assertion = await this.#o.ceremonies.verifyApproval(binding, x.body.challengeId, x.body.response);
    const actor = this.#actor(x.session);
    const outcome = decision === 'approve' ? await this.#o.requests.approve(assertion, actor) : await this.#o.requests.reject(assertion, actor);
    if (!outcome.ok) throw new WebError('NOT_ALLOWED', outcome.reason);
    return jsonResponse(200, { ok: true, state: outcome.state });
  }

  #actor(session: SessionRecord) {
    return { userId: session.userId, ...(session.tokenKey ? { tokenKey: session.tokenKey } : {}) };
  }
}
