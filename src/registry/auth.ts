// Users, passwords and tokens: scrypt password hashes, random bearer tokens stored only as their
// SHA-256, and the one function that turns an Authorization header into a user (or a refusal).
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { RegistryError } from './errors.js';
import { scopeOf, validatePackageName, validateUserName } from './names.js';
import type { FileStore, TokenRecord, UserRecord } from './storage.js';
import { then, type Answer, type RegistryStore } from './store.js';

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

function scryptAsync(password: string, salt: Buffer, params: { N: number; r: number; p: number; keylen: number }): Promise<Buffer> {
  return new Promise((done, fail) => {
    scrypt(password, salt, params.keylen, { N: params.N, r: params.r, p: params.p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? fail(err) : done(key)));
  });
}

/** `scrypt$N$r$p$salt$hash` (base64), so the parameters can be raised later without breaking old hashes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p), keylen: expected.length });
  return timingSafeEqual(actual, expected);
}

export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface NewToken {
  token: string;
  record: TokenRecord;
}

export interface TokenOptions {
  readonly?: boolean;
  /** A granular token: writes only these packages and scopes ("name" or "@scope"). */
  packages?: readonly string[];
  /** Stops working after this many days. */
  expiresInDays?: number;
}

const MAX_TOKEN_PACKAGES = 100;
const MAX_TOKEN_DAYS = 365 * 5;

/** The packages and scopes a granular token may write, checked: package names, or "@scope". */
export function tokenPackages(list: unknown, what = 'packages'): string[] {
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_TOKEN_PACKAGES) {
    throw new RegistryError('BAD_REQUEST', `${what}: expected 1 to ${MAX_TOKEN_PACKAGES} package names or @scopes`);
  }
  return [...new Set(list.map((entry, i) => {
    if (typeof entry === 'string' && /^@[a-z0-9][a-z0-9._~-]*$/.test(entry) && entry.length <= 214) return entry;
    try {
      return validatePackageName(entry);
    } catch {
      throw new RegistryError('BAD_REQUEST', `${what}[${i}]: expected a package name or @scope, got ${JSON.stringify(String(entry).slice(0, 100))}`);
    }
  }))].sort();
}

/**
 * Refuses a granular token that does not list `name` or its scope (a token that is not granular may
 * write whatever its user may; whether the user may is checked where the package is changed).
 */
export function checkTokenWrites(token: TokenRecord | undefined, name: string): void {
  if (!token?.packages) return;
  const scope = scopeOf(name);
  if (token.packages.includes(name) || (scope !== null && token.packages.includes(scope))) return;
  throw new RegistryError('FORBIDDEN', `this token may write only ${token.packages.join(', ')}, not ${name}`);
}

/** A new random token for `user` and the record a store keeps of it (only its hash). */
export function newToken(user: string, options: TokenOptions = {}): NewToken {
  const token = `npsec_${randomBytes(30).toString('base64url')}`;
  const createdAt = new Date();
  const record: TokenRecord = { key: tokenKey(token), user, createdAt: createdAt.toISOString(), readonly: options.readonly === true, preview: token.slice(0, 12) };
  if (options.packages !== undefined) record.packages = tokenPackages(options.packages);
  if (options.expiresInDays !== undefined) {
    const days = options.expiresInDays;
    if (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS) throw new RegistryError('BAD_REQUEST', `expires: expected a whole number of days from 1 to ${MAX_TOKEN_DAYS}`);
    record.expiresAt = new Date(createdAt.getTime() + days * 86_400_000).toISOString();
  }
  return { token, record };
}

/** A new random token for `user`, stored; the file store answers at once, a database store with a promise. */
export function issueToken(store: FileStore, user: string, options?: TokenOptions): NewToken;
export function issueToken(store: RegistryStore, user: string, options?: TokenOptions): Answer<NewToken>;
export function issueToken(store: RegistryStore, user: string, options: TokenOptions = {}): Answer<NewToken> {
  const made = newToken(user, options);
  return then(store.writeToken(made.record), () => made);
}

export type UserToken = NewToken & { created: boolean };

/** The user, created without a password if needed, and a new token for them (`packsec registry token`). */
export function createUserToken(store: FileStore, name: string, options?: TokenOptions & { email?: string }): UserToken;
export function createUserToken(store: RegistryStore, name: string, options?: TokenOptions & { email?: string }): Answer<UserToken>;
export function createUserToken(store: RegistryStore, name: string, options: TokenOptions & { email?: string } = {}): Answer<UserToken> {
  validateUserName(name);
  const made = newToken(name, options);
  const user = { name, ...(options.email ? { email: options.email } : {}), createdAt: made.record.createdAt };
  return then(store.createUser(user), (created) => then(store.writeToken(made.record), () => ({ ...made, created })));
}

export interface Caller {
  user: UserRecord;
  /** The token used, absent for HTTP basic auth. */
  token?: TokenRecord;
  readonly: boolean;
}

/**
 * Who is calling: null without credentials; a bad token or password is a 401 rather than anonymous
 * access, so a client with a revoked token learns why instead of seeing only public data.
 */
export async function authenticate(store: RegistryStore, header: string | undefined): Promise<Caller | null> {
  if (!header) return null;
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space < 0 ? header.length : space).toLowerCase();
  const value = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'bearer') {
    if (!value || value.length > 512) throw new RegistryError('UNAUTHORIZED', 'invalid token');
    const token = await store.readToken(tokenKey(value));
    if (!token) throw new RegistryError('UNAUTHORIZED', 'invalid or revoked token');
    if (token.expiresAt && Date.parse(token.expiresAt) <= Date.now()) throw new RegistryError('UNAUTHORIZED', `the token expired at ${token.expiresAt}`);
    const user = await store.readUser(token.user);
    if (!user) throw new RegistryError('UNAUTHORIZED', 'the token belongs to a user who no longer exists');
    return { user, token, readonly: token.readonly };
  }
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const name = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    let user: UserRecord | null = null;
    try {
      user = colon > 0 ? await store.readUser(validateUserName(name)) : null;
    } catch {
      user = null;
    }
    if (!user?.password || !(await verifyPassword(password, user.password))) throw new RegistryError('UNAUTHORIZED', 'incorrect user name or password');
    return { user, readonly: false };
  }
  throw new RegistryError('UNAUTHORIZED', `unsupported authorization scheme "${scheme.slice(0, 20)}"`);
}
