// Sign-in for the approver UI: one-time login codes, sessions in an HttpOnly, SameSite=Strict cookie
// (Secure and __Host- on https), a CSRF token per session, and the step-up window for adding a device.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { LoginCodeStore, SessionRecord, SessionStore } from './services.js';

const hash = (text: string) => createHash('sha256').update(text).digest('hex');
const token = () => randomBytes(32).toString('base64url');

export const LOGIN_CODE_TTL_MS = 24 * 60 * 60 * 1000;

/** A one-time code for `userId`; the store keeps only its hash. Give the user `loginLink(publicUrl, code)`. */
export async function issueLoginCode(store: LoginCodeStore, userId: string, options: { ttlMs?: number; now?: () => number } = {}): Promise<string> {
  const code = token();
  await store.put({ codeHash: hash(code), userId, expiresAt: (options.now ?? Date.now)() + (options.ttlMs ?? LOGIN_CODE_TTL_MS) });
  return code;
}

/** The code rides in the fragment, which browsers never send: it stays out of server and proxy logs. */
export function loginLink(publicUrl: string, code: string): string {
  return new URL(`-/approve/login#code=${code}`, publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`).href;
}

/** An invite into an approval group: the code rides in the fragment too, and the invite page picks it up. */
export function inviteLink(publicUrl: string, code: string): string {
  return new URL(`-/approve/invite#invite=${code}`, publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`).href;
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookies(header: string | null): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

export interface SessionOptions {
  store: SessionStore;
  loginCodes: LoginCodeStore;
  /** https public URL: the cookie is Secure and __Host- prefixed. */
  secure: boolean;
  /** The UI's path, where a non-__Host- cookie is scoped. */
  path: string;
  ttlMs?: number;
  now?: () => number;
}

export class Sessions {
  readonly #o: SessionOptions;
  readonly #now: () => number;
  readonly cookieName: string;

  constructor(options: SessionOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.cookieName = options.secure ? '__Host-packsec-session' : 'packsec-session';
  }

  #cookie(value: string, maxAgeSeconds: number): string {
    const scope = this.#o.secure ? 'Path=/; Secure' : `Path=${this.#o.path}`;
    return `${this.cookieName}=${value}; ${scope}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
  }

  /** The user of a valid, unexpired login code, which is spent either way. */
  async redeem(code: string): Promise<string | undefined> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(code)) return undefined;
    const found = await this.#o.loginCodes.take(hash(code));
    return found && found.expiresAt > this.#now() ? found.userId : undefined;
  }

  /** A new session (never an old one re-used) and the Set-Cookie value for it. */
  async open(userId: string, method: SessionRecord['method'], tokenKey?: string): Promise<{ session: SessionRecord; setCookie: string }> {
    const id = token();
    const ttl = this.#o.ttlMs ?? 12 * 60 * 60 * 1000;
    const session: SessionRecord = { idHash: hash(id), userId, method, ...(tokenKey ? { tokenKey } : {}), csrf: token(), createdAt: this.#now(), expiresAt: this.#now() + ttl };
    await this.#o.store.put(session);
    return { session, setCookie: this.#cookie(id, Math.floor(ttl / 1000)) };
  }

  async current(request: Request): Promise<SessionRecord | undefined> {
    const id = cookies(request.headers.get('cookie')).get(this.cookieName);
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const session = await this.#o.store.get(hash(id));
    if (!session) return undefined;
    if (session.expiresAt <= this.#now()) {
      await this.#o.store.delete(session.idHash);
      return undefined;
    }
    return session;
  }

  async close(session: SessionRecord): Promise<string> {
    await this.#o.store.delete(session.idHash);
    return this.#cookie('', 0);
  }

  /** After a step-up assertion: the session may add a device for `ms`. */
  async elevate(session: SessionRecord, ms: number): Promise<void> {
    await this.#o.store.put({ ...session, elevatedUntil: this.#now() + ms });
  }

  isElevated(session: SessionRecord): boolean {
    return (session.elevatedUntil ?? 0) > this.#now();
  }
}
