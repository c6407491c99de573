// Accounts as npm's client manages them: whoami, CouchDB-style login and sign-up (npm login
// --auth-type=legacy), logout, and `npm token list|create|revoke`.
import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { hashPassword, issueToken, tokenPackages, verifyPassword, type TokenOptions } from '../auth.js';
import { JSON_LIMIT, noteUser, requireCaller, type ServerContext } from '../context.js';
import { RegistryError } from '../errors.js';
import { readJsonObject, type C, type Env } from '../http.js';
import { validateUserName } from '../names.js';
import type { TokenRecord } from '../storage.js';

const COUCH_PREFIX = 'org.couchdb.user:';

async function getUser(c: C, ctx: ServerContext): Promise<Response> {
  const userName = (c.req.param('couch') ?? '').slice(COUCH_PREFIX.length);
  const user = await ctx.reg.store.readUser(validateUserName(userName));
  if (!user) throw new RegistryError('NOT_FOUND', `no user named ${userName.slice(0, 64)}`);
  return c.json({ _id: `${COUCH_PREFIX}${user.name}`, name: user.name, ...(user.email ? { email: user.email } : {}), type: 'user', roles: [] });
}

/** Log in, or sign up when the registry allows it (--signup); either way the answer is a new token. */
async function putUser(c: C, ctx: ServerContext): Promise<Response> {
  const name = validateUserName((c.req.param('couch') ?? '').slice(COUCH_PREFIX.length));
  const body = await readJsonObject(c, JSON_LIMIT);
  if (body.name !== name) throw new RegistryError('BAD_REQUEST', `name: expected "${name}" (as in the URL)`);
  if (typeof body.password !== 'string' || body.password.length < 8 || body.password.length > 1024) {
    throw new RegistryError('BAD_REQUEST', 'password: expected a string of 8 to 1024 characters');
  }
  const store = ctx.reg.store;
  let user = await store.readUser(name);
  let created = false;
  if (!user) {
    if (!ctx.signup) throw new RegistryError('FORBIDDEN', `there is no user named ${name}, and sign-up is disabled on this registry (start it with --signup, or create users with \`packsec registry token --user ${name}\`)`);
    const email = typeof body.email === 'string' && body.email.length <= 254 ? body.email : undefined;
    const record = { name, ...(email ? { email } : {}), password: await hashPassword(body.password), createdAt: new Date().toISOString() };
    if (!(await store.createUser(record))) throw new RegistryError('CONFLICT', `user ${name} was created at the same moment; log in instead`);
    user = record;
    created = true;
  } else if (!user.password) {
    throw new RegistryError('UNAUTHORIZED', `user ${name} has no password; use a token from \`packsec registry token --user ${name}\``);
  } else if (!(await verifyPassword(body.password, user.password))) {
    throw new RegistryError('UNAUTHORIZED', 'incorrect user name or password');
  }
  noteUser(c, name);
  const { token } = await issueToken(store, name);
  return c.json({ ok: true, id: `${COUCH_PREFIX}${name}`, rev: '1', token, ...(created ? { created: true } : {}) }, 201);
}

/** npm logout: revokes the token it was using, and only that one. */
async function logout(c: C, ctx: ServerContext): Promise<Response> {
  const caller = await requireCaller(c, ctx);
  const sent = c.req.param('token') ?? '';
  if (!caller.token || caller.token.key !== createHash('sha256').update(sent).digest('hex')) throw new RegistryError('FORBIDDEN', 'only the token in use can be revoked this way');
  await ctx.reg.store.deleteToken(caller.token.key);
  return c.json({ ok: true });
}

async function listTokens(c: C, ctx: ServerContext): Promise<Response> {
  const caller = await requireCaller(c, ctx);
  const list = await ctx.reg.store.listTokens(caller.user.name);
  const objects = list.map((t) => ({ ...tokenView(t), token: t.preview }));
  return c.json({ objects, total: objects.length, urls: {} });
}

/** How npm lists and shows a token (never the token itself: only its first characters in listings). */
function tokenView(t: TokenRecord): Record<string, unknown> {
  return {
    key: t.key, cidr_whitelist: null, readonly: t.readonly, automation: false, created: t.createdAt, updated: t.createdAt,
    ...(t.packages ? { packages: t.packages.filter((p) => !p.startsWith('@')), scopes: t.packages.filter((p) => p.startsWith('@')) } : {}),
    ...(t.expiresAt ? { expires: t.expiresAt } : {}),
  };
}

/**
 * What `npm token create` asks for: read-only, or a granular token limited to packages and scopes
 * (--packages, --scopes, --packages-and-scopes-permission) and days (--expires). Organisations and
 * CIDR ranges are not supported and refused rather than ignored.
 */
function granularOptions(body: Record<string, unknown>): TokenOptions {
  for (const unsupported of ['orgs', 'cidr_whitelist'] as const) {
    const v = body[unsupported];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) throw new RegistryError('NOT_IMPLEMENTED', `tokens limited by ${unsupported === 'orgs' ? 'organisation' : 'CIDR range'} are not supported`);
  }
  const permission = body.packages_and_scopes_permission;
  if (permission !== undefined && permission !== 'read-only' && permission !== 'read-write') {
    throw new RegistryError('BAD_REQUEST', 'packages_and_scopes_permission: expected read-only or read-write (a token with no access is not useful here)');
  }
  const options: TokenOptions = { readonly: body.readonly === true || permission === 'read-only' };
  const scopes = body.scopes === undefined ? [] : Array.isArray(body.scopes) ? body.scopes.map((s) => (typeof s === 'string' && !s.startsWith('@') ? `@${s}` : s)) : [body.scopes];
  const packages = body.packages === undefined ? [] : Array.isArray(body.packages) ? body.packages : [body.packages];
  if (body.packages_all !== true && (packages.length || scopes.length)) options.packages = tokenPackages([...packages, ...scopes], 'packages and scopes');
  if (body.expires !== undefined) options.expiresInDays = Number(body.expires);
  return options;
}

async function createToken(c: C, ctx: ServerContext): Promise<Response> {
  const caller = await requireCaller(c, ctx);
  const body = await readJsonObject(c, JSON_LIMIT);
  // A stolen token must not mint more tokens: creating one takes the password again, as on npmjs.
  if (!caller.user.password || typeof body.password !== 'string' || !(await verifyPassword(body.password, caller.user.password))) {
    throw new RegistryError('UNAUTHORIZED', 'creating a token needs the account password (tokens for automation come from `packsec registry token`)');
  }
  const { token, record } = await issueToken(ctx.reg.store, caller.user.name, granularOptions(body));
  return c.json({ ...tokenView(record), token }, 201);
}

async function revokeToken(c: C, ctx: ServerContext): Promise<Response> {
  const caller = await requireCaller(c, ctx);
  const key = c.req.param('key') ?? '';
  const t = /^[0-9a-f]{64}$/.test(key) ? await ctx.reg.store.readToken(key) : null;
  if (!t || t.user !== caller.user.name) throw new RegistryError('NOT_FOUND', 'no such token');
  await ctx.reg.store.deleteToken(key);
  return c.body(null, 204);
}

export function userRoutes(app: Hono<Env>, ctx: ServerContext): void {
  app.get('/-/whoami', async (c) => c.json({ username: (await requireCaller(c, ctx)).user.name }));
  const couch = '/-/user/:couch{org\\.couchdb\\.user:[^/]*}';
  app.get(couch, (c) => getUser(c, ctx));
  app.put(couch, (c) => putUser(c, ctx));
  app.put(`${couch}/-rev/:rev`, (c) => putUser(c, ctx));
  app.delete('/-/user/token/:token', (c) => logout(c, ctx));
  app.get('/-/npm/v1/tokens', (c) => listTokens(c, ctx));
  app.post('/-/npm/v1/tokens', (c) => createToken(c, ctx));
  app.delete('/-/npm/v1/tokens/token/:key', (c) => revokeToken(c, ctx));
}
