// A browser stand-in for the approver UI over HTTP: a cookie jar, the session's CSRF token, the Origin
// header browsers send, and the WebAuthn ceremonies done with a software authenticator.
import assert from 'node:assert/strict';
import type { SoftAuthenticator } from './webauthn-authenticator.js';

/** A browser stand-in: a cookie jar, the session's CSRF token, and the Origin header browsers send. */
export class Client {
  cookie = '';
  csrf = '';
  constructor(readonly ui: { url: string; loginLink(userId: string): Promise<string> }) {}

  fetch(path: string, init: RequestInit & { origin?: string | null } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set('cookie', this.cookie);
    if (init.method === 'POST' && init.origin !== null) headers.set('origin', init.origin ?? this.ui.url);
    return fetch(`${this.ui.url}${path}`, { ...init, headers, redirect: 'manual' });
  }

  form(path: string, fields: Record<string, string>, init: { origin?: string | null } = {}): Promise<Response> {
    return this.fetch(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(), ...init });
  }

  async json(path: string, body: unknown, init: { csrf?: string | null; origin?: string | null } = {}): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const csrf = init.csrf === undefined ? this.csrf : init.csrf;
    if (csrf !== null) headers['x-csrf-token'] = csrf;
    const res = await this.fetch(path, { method: 'POST', headers, body: JSON.stringify(body), origin: init.origin });
    return { status: res.status, body: await res.json() };
  }

  async signIn(fields: Record<string, string>): Promise<Response> {
    const res = await this.form('/-/approve/login', fields);
    const cookie = res.headers.getSetCookie()[0];
    if (cookie) {
      this.cookie = cookie.split(';')[0]!;
      const page = await (await this.fetch('/-/approve/')).text();
      this.csrf = /data-csrf="([^"]*)"/.exec(page)![1]!;
    }
    return res;
  }

  async signInWithLink(userId: string): Promise<void> {
    const link = await this.ui.loginLink(userId);
    const res = await this.signIn({ code: new URL(link).hash.slice('#code='.length) });
    assert.equal(res.status, 303);
  }

  /** Registers `auth` as a device (the session must be allowed to). */
  async register(auth: SoftAuthenticator, name = 'laptop'): Promise<{ status: number; body: any }> {
    const options = await this.json('/-/approve/devices/options', {});
    if (options.status !== 200) return options;
    return this.json('/-/approve/devices', { challengeId: options.body.challengeId, response: auth.register(options.body.options), name });
  }

  /** An owner's action on a package page: options bound to the action, then the assertion with it. */
  async manage(packageName: string, action: Record<string, unknown>, auth: SoftAuthenticator): Promise<{ status: number; body: any }> {
    const path = `/-/approve/packages/${encodeURIComponent(packageName)}`;
    const options = await this.json(`${path}/options`, { action });
    if (options.status !== 200) return options;
    return this.json(`${path}/act`, { action, challengeId: options.body.challengeId, response: auth.assert(options.body.options) });
  }

  async approve(id: string, auth: SoftAuthenticator, decision: 'approve' | 'reject' = 'approve'): Promise<{ status: number; body: any }> {
    const options = await this.json(`/-/approve/${id}/options`, { decision });
    if (options.status !== 200) return options;
    return this.json(`/-/approve/${id}/${decision}`, { challengeId: options.body.challengeId, response: auth.assert(options.body.options) });
  }
}

