// The npm-compatible HTTP server: routes npm's registry protocol onto the store and the package
// operations. Reads are anonymous; writes need a token (or a password) of a maintainer.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { answerBulk, readBulkQuery } from './advisories.js';
import { authenticate, hashPassword, issueToken, verifyPassword, type Caller } from './auth.js';
import { RegistryError } from './errors.js';
import { readJson, readJsonObject, sendError, sendJson } from './http.js';
import { isVersion, validatePackageName, validateTag, validateUserName, tarballFileName } from './names.js';
import { abbreviatedPackument, CORGI_TYPE, fullPackument, publicDistTags, publicVersions, revision, versionDocument } from './packument.js';
import { addVersion, DEFAULT_LIMITS, isMaintainer, removeDistTag, setDistTag, updateMetadata, type ApprovalMode, type Limits, type Registry } from './packages.js';
import { createUpstream, type Upstream } from './proxy.js';
import { loadOrCreateSigningKey } from './signing.js';
import { FileStore, type Attestation, type PackageRecord } from './storage.js';
import { acquireServerLock } from './lock.js';

export interface RegistryOptions {
  /** The data folder (created if missing). */
  dataDir: string;
  /** 0 picks a free port. Default 4873. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The URL clients use to reach this server; tarball URLs point there. Default: http://host:port. */
  publicUrl?: string;
  /** Proxy reads of packages not hosted here to this registry (off by default). */
  upstream?: string;
  /** 'required': every publish waits as a pending version. Default 'off'. */
  approval?: ApprovalMode;
  /** Let `npm adduser` create accounts (off by default: accounts come from `packsec registry token`). */
  signup?: boolean;
  limits?: Partial<Limits>;
  /** One line per request; nothing is logged without it. */
  log?: (line: string) => void;
  fetch?: typeof fetch;
  now?: () => Date;
}

export interface RunningRegistry {
  url: string;
  port: number;
  dataDir: string;
  /** The key id of the registry's signing key. */
  keyid: string;
  server: Server;
  close(): Promise<void>;
}

interface Context {
  reg: Registry;
  publicUrl: string;
  upstream: Upstream | null;
  signup: boolean;
  /** Largest JSON body: a tarball in base64 plus its manifest. */
  maxBody: number;
}

class Exchange {
  private callerPromise: Promise<Caller | null> | null = null;
  user: string | undefined;
  constructor(
    readonly ctx: Context,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly query: URLSearchParams,
  ) {}

  /** The caller, or null for anonymous; a bad token is a 401. */
  async caller(): Promise<Caller | null> {
    this.callerPromise ??= authenticate(this.ctx.reg.store, this.req.headers.authorization);
    const c = await this.callerPromise;
    if (c) this.user = c.user.name;
    return c;
  }

  async requireCaller(write = false): Promise<Caller> {
    const c = await this.caller();
    if (!c) throw new RegistryError('UNAUTHORIZED', 'authentication required');
    if (write && c.readonly) throw new RegistryError('FORBIDDEN', 'this token is read-only');
    return c;
  }
}

const JSON_LIMIT = 1024 * 1024;
/** A bulk advisory query lists every installed name and version: a few hundred kB for large apps. */
const ADVISORY_QUERY_LIMIT = 8 * 1024 * 1024;

function segmentsOf(pathname: string): string[] {
  const raw = pathname.split('/').slice(1);
  if (raw.length && raw[raw.length - 1] === '') raw.pop();
  try {
    return raw.map((s) => decodeURIComponent(s));
  } catch {
    throw new RegistryError('BAD_REQUEST', 'malformed percent-encoding in the URL');
  }
}

/** Splits a package name off the front of the path segments: "@scope/name" may be one segment or two. */
function takeName(segments: string[]): { name: string; rest: string[] } {
  const first = segments[0] ?? '';
  if (first.startsWith('@') && !first.includes('/')) {
    if (segments.length < 2) throw new RegistryError('BAD_NAME', `invalid package name ${JSON.stringify(first.slice(0, 100))}`);
    return { name: validatePackageName(`${first}/${segments[1]}`), rest: segments.slice(2) };
  }
  return { name: validatePackageName(first), rest: segments.slice(1) };
}

function wantsCorgi(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes(CORGI_TYPE);
}

function sendDocument(r: Exchange, body: unknown, contentType: string): void {
  const text = JSON.stringify(body);
  const etag = `"${createHash('sha1').update(text).digest('base64url')}"`;
  if (r.req.headers['if-none-match'] === etag) {
    r.res.writeHead(304, { etag });
    r.res.end();
    return;
  }
  r.res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), etag, 'cache-control': 'no-cache' });
  r.res.end(text);
}

async function hostedRecord(r: Exchange, name: string): Promise<PackageRecord | null> {
  return r.ctx.reg.store.readPackage(name);
}

/** A package with no public version does not exist for readers (pending ones stay invisible). */
function notFound(name: string): RegistryError {
  return new RegistryError('NOT_FOUND', `package ${name} not found`);
}

async function getPackument(r: Exchange, name: string): Promise<void> {
  const record = await hostedRecord(r, name);
  const corgi = wantsCorgi(r.req);
  if (record) {
    if (!publicVersions(record).length) throw notFound(name);
    const doc = corgi ? abbreviatedPackument(record, r.ctx.publicUrl) : fullPackument(record, r.ctx.publicUrl);
    sendDocument(r, doc, corgi ? CORGI_TYPE : 'application/json');
    return;
  }
  if (r.ctx.upstream) {
    const found = await r.ctx.upstream.packument(name, corgi ? CORGI_TYPE : 'application/json', r.ctx.publicUrl);
    if (found) {
      sendDocument(r, found.body, found.contentType.includes(CORGI_TYPE) ? CORGI_TYPE : 'application/json');
      return;
    }
  }
  throw notFound(name);
}

async function getVersion(r: Exchange, name: string, spec: string): Promise<void> {
  const record = await hostedRecord(r, name);
  if (!record) {
    if (r.ctx.upstream) {
      const found = await r.ctx.upstream.packument(name, 'application/json', r.ctx.publicUrl);
      const body = found?.body as { versions?: Record<string, unknown>; 'dist-tags'?: Record<string, string> } | undefined;
      const version = body?.['dist-tags']?.[spec] ?? spec;
      const doc = body?.versions?.[version];
      if (doc) return sendJson(r.res, 200, doc);
    }
    throw notFound(name);
  }
  const version = isVersion(spec) ? spec : publicDistTags(record)[spec];
  if (!version || record.versions[version]?.state !== 'public') throw new RegistryError('NOT_FOUND', `${name}@${spec} not found`);
  sendJson(r.res, 200, versionDocument(record, version, r.ctx.publicUrl));
}

async function getTarball(r: Exchange, name: string, file: string): Promise<void> {
  const record = await hostedRecord(r, name);
  if (record) {
    const entry = Object.values(record.versions).find((v) => v.tarball === file && v.state === 'public');
    const data = entry ? await r.ctx.reg.store.readPackageFile(name, file) : null;
    if (!entry || !data) throw new RegistryError('NOT_FOUND', `tarball ${file} of ${name} not found`);
    // Checked on every read, so a tarball changed on disk is never served under its old integrity.
    if (`sha512-${createHash('sha512').update(data).digest('base64')}` !== entry.integrity) {
      throw new RegistryError('DATA_CORRUPT', `the stored tarball ${file} of ${name} does not match its integrity`);
    }
    r.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length, 'cache-control': 'public, max-age=31536000, immutable' });
    r.res.end(r.req.method === 'HEAD' ? undefined : data);
    return;
  }
  const res = r.ctx.upstream ? await r.ctx.upstream.tarball(name, file) : null;
  if (!res?.body) throw new RegistryError('NOT_FOUND', `tarball ${file} of ${name} not found`);
  const length = res.headers.get('content-length');
  r.res.writeHead(200, { 'content-type': 'application/octet-stream', ...(length ? { 'content-length': length } : {}) });
  if (r.req.method === 'HEAD') {
    r.res.end();
    await res.body.cancel();
    return;
  }
  await new Promise<void>((done) => {
    const stream = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    stream.on('error', () => {
      r.res.destroy();
      done();
    });
    r.res.on('close', done);
    stream.pipe(r.res);
  });
}

function decodeAttachment(name: string, att: unknown): Buffer {
  const a = att as { data?: unknown; length?: unknown } | null;
  if (typeof a?.data !== 'string') throw new RegistryError('BAD_REQUEST', `_attachments["${name}"].data: expected a base64 string`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(a.data)) throw new RegistryError('BAD_REQUEST', `_attachments["${name}"].data: not base64`);
  const data = Buffer.from(a.data, 'base64');
  if (a.length !== undefined && a.length !== data.length) {
    throw new RegistryError('INTEGRITY', `_attachments["${name}"]: length says ${String(a.length)}, the data has ${data.length} bytes`);
  }
  return data;
}

/** A provenance bundle npm attaches as `<name>-<version>.sigstore`: kept as an attestation, checked by verify. */
function attestationOf(file: string, att: unknown): Attestation {
  const data = (att as { data?: unknown } | null)?.data;
  let bundle: unknown;
  try {
    bundle = typeof data === 'string' ? JSON.parse(data) : undefined;
  } catch {
    bundle = undefined;
  }
  const payload = (bundle as { dsseEnvelope?: { payload?: unknown } } | undefined)?.dsseEnvelope?.payload;
  let predicateType: unknown;
  try {
    predicateType = typeof payload === 'string' ? (JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { predicateType?: unknown }).predicateType : undefined;
  } catch {
    predicateType = undefined;
  }
  if (typeof predicateType !== 'string') throw new RegistryError('BAD_REQUEST', `_attachments["${file}"]: not a Sigstore bundle with a DSSE in-toto statement`);
  return { predicateType, bundle };
}

async function publish(r: Exchange, name: string, body: Record<string, unknown>, stage: boolean): Promise<void> {
  const caller = await r.requireCaller(true);
  if ((body.name !== undefined && body.name !== name) || (body._id !== undefined && body._id !== name)) {
    throw new RegistryError('BAD_REQUEST', `the document is for ${String(body.name ?? body._id)}, the URL for ${name}`);
  }
  const attachments = body._attachments as Record<string, unknown>;
  if (typeof attachments !== 'object' || attachments === null || Array.isArray(attachments)) throw new RegistryError('BAD_REQUEST', '_attachments: expected an object');
  const versions = body.versions as Record<string, unknown> | undefined;
  const versionKeys = typeof versions === 'object' && versions !== null && !Array.isArray(versions) ? Object.keys(versions) : [];
  if (versionKeys.length !== 1) throw new RegistryError('BAD_REQUEST', `versions: expected exactly one version to publish, got ${versionKeys.length}`);
  const version = versionKeys[0]!;
  const manifest = versions![version] as Record<string, unknown>;
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) throw new RegistryError('BAD_REQUEST', `versions["${version}"]: expected an object`);
  if (manifest.name !== name || manifest.version !== version) {
    throw new RegistryError('BAD_REQUEST', `versions["${version}"]: the manifest says ${String(manifest.name)}@${String(manifest.version)}`);
  }
  const tgzNames = [tarballFileName(name, version), `${name}-${version}.tgz`];
  let tarball: Buffer | undefined;
  const attestations: Attestation[] = [];
  for (const [file, att] of Object.entries(attachments)) {
    if (tgzNames.includes(file) && !tarball) tarball = decodeAttachment(file, att);
    else if (file === `${name}-${version}.sigstore`) attestations.push(attestationOf(file, att));
    else throw new RegistryError('BAD_REQUEST', `_attachments: unexpected attachment ${JSON.stringify(file.slice(0, 200))} (expected ${tgzNames[0]})`);
  }
  if (!tarball) throw new RegistryError('BAD_REQUEST', `_attachments: no tarball ${tgzNames[0]}`);
  const tags = body['dist-tags'];
  const tagNames = typeof tags === 'object' && tags !== null ? Object.keys(tags).filter((t) => (tags as Record<string, unknown>)[t] === version) : [];
  const tag = validateTag(tagNames[0] ?? 'latest');
  const added = await addVersion(r.ctx.reg, {
    name, version, manifest, tarball, tag, stage, attestations,
    npmUser: { name: caller.user.name, ...(caller.user.email ? { email: caller.user.email } : {}) },
  });
  if (added.state === 'pending') {
    const notice = `${name}@${version} is pending approval (request ${added.stageId}); it cannot be installed until it is approved`;
    sendJson(r.res, 201, { ok: true, id: name, pending: true, stageId: added.stageId, message: notice }, { 'npm-notice': notice });
    return;
  }
  sendJson(r.res, 201, { ok: true, id: name, integrity: added.integrity });
}

async function putPackage(r: Exchange, name: string): Promise<void> {
  const caller = await r.requireCaller(true);
  const body = await readJsonObject(r.req, r.ctx.maxBody);
  const attachments = body._attachments;
  if (attachments && typeof attachments === 'object' && Object.keys(attachments).length) return publish(r, name, body, false);
  await updateMetadata(r.ctx.reg, name, body, caller.user.name);
  const record = await r.ctx.reg.store.readPackage(name);
  sendJson(r.res, 200, { ok: true, id: name, rev: record ? revision(record) : undefined });
}

async function distTags(r: Exchange, name: string, tag: string | undefined): Promise<void> {
  const method = r.req.method;
  if (method === 'GET' || method === 'HEAD') {
    if (tag !== undefined) throw new RegistryError('METHOD', 'GET a single dist-tag is not supported; GET the list');
    const record = await hostedRecord(r, name);
    if (record && publicVersions(record).length) return sendJson(r.res, 200, publicDistTags(record));
    if (!record && r.ctx.upstream) {
      const found = await r.ctx.upstream.packument(name, CORGI_TYPE, r.ctx.publicUrl);
      if (found) return sendJson(r.res, 200, found.body['dist-tags'] ?? {});
    }
    throw notFound(name);
  }
  if (tag === undefined) throw new RegistryError('METHOD', `${method} /-/package/${name}/dist-tags is not supported`);
  const caller = await r.requireCaller(true);
  if (method === 'PUT' || method === 'POST') {
    const version = await readJson(r.req, JSON_LIMIT);
    if (typeof version !== 'string') throw new RegistryError('BAD_REQUEST', 'the body must be the version as a JSON string');
    const tags = await setDistTag(r.ctx.reg, name, tag, version, caller.user.name);
    return sendJson(r.res, 201, { ok: true, 'dist-tags': tags });
  }
  if (method === 'DELETE') {
    const tags = await removeDistTag(r.ctx.reg, name, tag, caller.user.name);
    return sendJson(r.res, 200, { ok: true, 'dist-tags': tags });
  }
  throw new RegistryError('METHOD', `${method} is not supported on dist-tags`);
}

/** CouchDB-style login and sign-up (npm login/adduser with --auth-type=legacy, npm-profile's fallback). */
async function couchUser(r: Exchange, userName: string, rest: string[]): Promise<void> {
  const method = r.req.method;
  if (method === 'GET' || method === 'HEAD') {
    const user = await r.ctx.reg.store.readUser(validateUserName(userName));
    if (!user) throw new RegistryError('NOT_FOUND', `no user named ${userName}`);
    return sendJson(r.res, 200, { _id: `org.couchdb.user:${user.name}`, name: user.name, ...(user.email ? { email: user.email } : {}), type: 'user', roles: [] });
  }
  if (method !== 'PUT' || (rest.length && rest[0] !== '-rev')) throw new RegistryError('METHOD', `${method} is not supported here`);
  const body = await readJsonObject(r.req, JSON_LIMIT);
  const name = validateUserName(userName);
  if (body.name !== name) throw new RegistryError('BAD_REQUEST', `name: expected "${name}" (as in the URL)`);
  if (typeof body.password !== 'string' || body.password.length < 8 || body.password.length > 1024) {
    throw new RegistryError('BAD_REQUEST', 'password: expected a string of 8 to 1024 characters');
  }
  const store = r.ctx.reg.store;
  let user = await store.readUser(name);
  let created = false;
  if (!user) {
    if (!r.ctx.signup) throw new RegistryError('FORBIDDEN', `there is no user named ${name}, and sign-up is disabled on this registry (start it with --signup, or create users with \`packsec registry token --user ${name}\`)`);
    const email = typeof body.email === 'string' && body.email.length <= 254 ? body.email : undefined;
    const record = { name, ...(email ? { email } : {}), password: await hashPassword(body.password), createdAt: new Date().toISOString() };
    if (!store.createUser(record)) throw new RegistryError('CONFLICT', `user ${name} was created at the same moment; log in instead`);
    user = record;
    created = true;
  } else if (!user.password) {
    throw new RegistryError('UNAUTHORIZED', `user ${name} has no password; use a token from \`packsec registry token --user ${name}\``);
  } else if (!(await verifyPassword(body.password, user.password))) {
    throw new RegistryError('UNAUTHORIZED', 'incorrect user name or password');
  }
  r.user = name;
  const { token } = issueToken(store, name);
  sendJson(r.res, 201, { ok: true, id: `org.couchdb.user:${name}`, rev: '1', token, ...(created ? { created: true } : {}) });
}

async function tokens(r: Exchange, rest: string[]): Promise<void> {
  const caller = await r.requireCaller();
  const store = r.ctx.reg.store;
  const method = r.req.method;
  if (rest.length === 0 && method === 'GET') {
    const list = await store.listTokens(caller.user.name);
    const objects = list.map((t) => ({ token: t.preview, key: t.key, cidr_whitelist: null, readonly: t.readonly, automation: false, created: t.createdAt, updated: t.createdAt }));
    return sendJson(r.res, 200, { objects, total: objects.length, urls: {} });
  }
  if (rest.length === 0 && method === 'POST') {
    const body = await readJsonObject(r.req, JSON_LIMIT);
    // A stolen token must not mint more tokens: creating one takes the password again, as on npmjs.
    if (!caller.user.password || typeof body.password !== 'string' || !(await verifyPassword(body.password, caller.user.password))) {
      throw new RegistryError('UNAUTHORIZED', 'creating a token needs the account password (tokens for automation come from `packsec registry token`)');
    }
    if (body.cidr_whitelist !== undefined && body.cidr_whitelist !== null && !(Array.isArray(body.cidr_whitelist) && body.cidr_whitelist.length === 0)) {
      throw new RegistryError('NOT_IMPLEMENTED', 'CIDR-restricted tokens are not supported yet');
    }
    const { token, record } = issueToken(store, caller.user.name, { readonly: body.readonly === true });
    return sendJson(r.res, 201, { token, key: record.key, cidr_whitelist: null, readonly: record.readonly, created: record.createdAt, updated: record.createdAt });
  }
  if (rest.length === 2 && rest[0] === 'token' && method === 'DELETE') {
    const key = rest[1]!;
    const t = /^[0-9a-f]{64}$/.test(key) ? await store.readToken(key) : null;
    if (!t || t.user !== caller.user.name) throw new RegistryError('NOT_FOUND', 'no such token');
    store.deleteToken(key);
    r.res.writeHead(204);
    r.res.end();
    return;
  }
  throw new RegistryError('METHOD', `${method} /-/npm/v1/tokens/${rest.join('/')} is not supported`);
}

function stageItem(record: PackageRecord, version: string): Record<string, unknown> {
  const v = record.versions[version]!;
  return {
    id: v.stageId, packageName: record.name, version, tag: v.tag ?? 'latest', createdAt: v.uploadedAt,
    actor: v.npmUser.name, actorType: 'user', shasum: v.shasum, integrity: v.integrity, state: v.state,
  };
}

/** npm stage list/view/download (read side). Approving and rejecting come with the approval rule (issue 6). */
async function stage(r: Exchange, rest: string[]): Promise<void> {
  const method = r.req.method;
  const caller = await r.requireCaller(method !== 'GET' && method !== 'HEAD');
  const store = r.ctx.reg.store;
  if (rest[0] === 'package' && method === 'POST') {
    const { name, rest: more } = takeName(rest.slice(1));
    if (more.length) throw new RegistryError('NOT_FOUND', 'no such route');
    const body = await readJsonObject(r.req, r.ctx.maxBody);
    return publish(r, name, body, true);
  }
  if (method !== 'GET' && method !== 'HEAD') {
    throw new RegistryError('NOT_IMPLEMENTED', 'approving and rejecting staged versions is not implemented yet (see issue 6)');
  }
  const visible = async (id: string) => {
    const ref = await store.readStage(id);
    const record = ref ? await store.readPackage(ref.packageName) : null;
    if (!ref || !record || record.versions[ref.version]?.stageId !== id || !isMaintainer(record, caller.user.name)) return null;
    return { ref, record };
  };
  if (rest.length === 0) {
    const only = r.query.get('package');
    const page = Math.max(0, Number(r.query.get('page') ?? 0) || 0);
    const perPage = Math.min(100, Math.max(1, Number(r.query.get('perPage') ?? 100) || 100));
    const items: Record<string, unknown>[] = [];
    for (const ref of await store.listStages()) {
      if (only && ref.packageName !== only) continue;
      const found = await visible(ref.id);
      if (found) items.push(stageItem(found.record, found.ref.version));
    }
    items.sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
    return sendJson(r.res, 200, { items: items.slice(page * perPage, (page + 1) * perPage), total: items.length });
  }
  const found = await visible(rest[0]!);
  if (!found) throw new RegistryError('NOT_FOUND', 'no such staged version');
  if (rest.length === 1) return sendJson(r.res, 200, stageItem(found.record, found.ref.version));
  if (rest.length === 2 && rest[1] === 'tarball') {
    const v = found.record.versions[found.ref.version]!;
    const data = await store.readPackageFile(found.record.name, v.tarball);
    if (!data) throw new RegistryError('NOT_FOUND', 'the staged tarball is gone');
    r.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
    r.res.end(data);
    return;
  }
  throw new RegistryError('NOT_FOUND', 'no such route');
}

async function attestations(r: Exchange, segments: string[]): Promise<void> {
  const spec = segments.join('/');
  const at = spec.lastIndexOf('@');
  if (at <= 0) throw new RegistryError('NOT_FOUND', 'expected /-/npm/v1/attestations/<name>@<version>');
  const name = validatePackageName(spec.slice(0, at));
  const version = spec.slice(at + 1);
  const record = await hostedRecord(r, name);
  const v = record?.versions[version];
  const data = v?.state === 'public' && v.attestations ? await r.ctx.reg.store.readPackageFile(name, v.attestations) : null;
  if (!data) throw new RegistryError('NOT_FOUND', `no attestations for ${name}@${version}`);
  r.res.writeHead(200, { 'content-type': 'application/json', 'content-length': data.length });
  r.res.end(data);
}

/** npm audit's bulk endpoint, answered from the advisories in the data folder (`packsec registry advisory add`). */
async function bulkAdvisories(r: Exchange, rest: string[]): Promise<void> {
  if (rest.length !== 2 || rest[0] !== 'advisories' || rest[1] !== 'bulk') {
    throw new RegistryError('NOT_FOUND', 'of the advisory endpoints, only POST /-/npm/v1/security/advisories/bulk is served here');
  }
  if (r.req.method !== 'POST') throw new RegistryError('METHOD', 'POST a JSON object of package names to lists of versions');
  const query = readBulkQuery(await readJson(r.req, ADVISORY_QUERY_LIMIT));
  sendJson(r.res, 200, answerBulk(r.ctx.reg.store.listAdvisories(), query));
}

async function search(r: Exchange): Promise<void> {
  const text = (r.query.get('text') ?? '').toLowerCase().slice(0, 200);
  const size = Math.min(250, Math.max(1, Number(r.query.get('size') ?? 20) || 20));
  const from = Math.max(0, Number(r.query.get('from') ?? 0) || 0);
  const objects: Record<string, unknown>[] = [];
  for (const name of r.ctx.reg.store.listPackages()) {
    const record = await r.ctx.reg.store.readPackage(name);
    const latest = record ? publicDistTags(record).latest : undefined;
    if (!record || !latest) continue;
    const m = record.versions[latest]!.manifest;
    const keywords = Array.isArray(m.keywords) ? m.keywords.filter((k): k is string => typeof k === 'string') : [];
    const hay = [name, typeof m.description === 'string' ? m.description : '', ...keywords].join(' ').toLowerCase();
    if (text && !text.split(/\s+/).every((w) => hay.includes(w))) continue;
    objects.push({
      package: { name, version: latest, description: m.description, keywords, date: record.versions[latest]!.publishedAt, publisher: { username: record.versions[latest]!.npmUser.name }, maintainers: record.maintainers.map((p) => ({ username: p.name, email: p.email })), links: {} },
      score: { final: 1, detail: { quality: 1, popularity: 1, maintenance: 1 } },
      searchScore: 1,
    });
  }
  sendJson(r.res, 200, { objects: objects.slice(from, from + size), total: objects.length, time: new Date().toUTCString() });
}

async function special(r: Exchange, segments: string[]): Promise<void> {
  const method = r.req.method;
  const [a, b, c, ...more] = segments;
  const read = method === 'GET' || method === 'HEAD';
  if (a === 'ping' && segments.length === 1) return sendJson(r.res, 200, {});
  if (a === 'whoami' && segments.length === 1 && read) return sendJson(r.res, 200, { username: (await r.requireCaller()).user.name });
  if (a === 'npm' && b === 'v1') {
    if (c === 'keys' && more.length === 0 && read) {
      const upstreamKeys = r.ctx.upstream ? await r.ctx.upstream.keys() : [];
      return sendJson(r.res, 200, { keys: [r.ctx.reg.key.entry, ...upstreamKeys.filter((k) => k.keyid !== r.ctx.reg.key.keyid)] });
    }
    if (c === 'tokens') return tokens(r, more);
    if (c === 'attestations' && read) return attestations(r, more);
    if (c === 'security') return bulkAdvisories(r, more);
  }
  if (a === 'v1' && b === 'search' && segments.length === 2 && read) return search(r);
  if (a === 'v1' && b === 'login') throw new RegistryError('NOT_FOUND', 'web login is not supported yet; use `npm login --auth-type=legacy` or a token');
  if (a === 'user' && b?.startsWith('org.couchdb.user:')) return couchUser(r, b.slice('org.couchdb.user:'.length), [c, ...more].filter((s): s is string => s !== undefined));
  if (a === 'user' && b === 'token' && c !== undefined && more.length === 0 && method === 'DELETE') {
    // npm logout: revokes the token it was using.
    const caller = await r.requireCaller();
    if (!caller.token || caller.token.key !== createHash('sha256').update(c).digest('hex')) throw new RegistryError('FORBIDDEN', 'only the token in use can be revoked this way');
    r.ctx.reg.store.deleteToken(caller.token.key);
    return sendJson(r.res, 200, { ok: true });
  }
  if (a === 'package' && b !== undefined) {
    const { name, rest } = takeName([b, c, ...more].filter((s): s is string => s !== undefined));
    if (rest[0] === 'dist-tags' && rest.length <= 2) return distTags(r, name, rest[1]);
  }
  if (a === 'stage') return stage(r, segments.slice(1));
  throw new RegistryError('NOT_FOUND', `no route for ${method} /-/${segments.join('/')}`);
}

async function route(r: Exchange, pathname: string): Promise<void> {
  const segments = segmentsOf(pathname);
  const method = r.req.method ?? 'GET';
  if (segments.length === 0) return sendJson(r.res, 200, { name: 'packsec registry', ok: true });
  if (segments[0] === '-') return special(r, segments.slice(1));
  const { name, rest } = takeName(segments);
  const read = method === 'GET' || method === 'HEAD';
  if (rest.length === 0) {
    if (read) return getPackument(r, name);
    if (method === 'PUT') return putPackage(r, name);
    if (method === 'DELETE') throw new RegistryError('FORBIDDEN', 'unpublishing is not supported: versions are immutable here (use npm deprecate)');
  } else if (rest[0] === '-rev' && rest.length === 2) {
    if (method === 'PUT') return putPackage(r, name);
    if (method === 'DELETE') throw new RegistryError('FORBIDDEN', 'unpublishing is not supported: versions are immutable here (use npm deprecate)');
  } else if (rest[0] === '-' && rest.length >= 2) {
    if (read && rest.length === 2) return getTarball(r, name, rest[1]!);
    if (method === 'DELETE') throw new RegistryError('FORBIDDEN', 'unpublishing is not supported: versions are immutable here (use npm deprecate)');
  } else if (rest.length === 1 && read) {
    return getVersion(r, name, rest[0]!);
  }
  throw new RegistryError(read || ['PUT', 'DELETE', 'POST'].includes(method) ? 'NOT_FOUND' : 'METHOD', `no route for ${method} ${pathname.slice(0, 200)}`);
}

function defaultUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/** Starts the registry on `host:port` (port 0: a free one) and resolves once it is listening. */
export async function startRegistry(options: RegistryOptions): Promise<RunningRegistry> {
  const store = new FileStore(options.dataDir);
  store.init();
  const releaseLock = acquireServerLock(store.dir);
  let server: Server;
  try {
    const key = loadOrCreateSigningKey(store.dir);
    const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
    const reg: Registry = { store, key, approval: options.approval ?? 'off', limits, now: options.now ?? (() => new Date()) };
    const ctx: Context = {
      reg,
      publicUrl: options.publicUrl ?? '',
      upstream: options.upstream ? createUpstream(options.upstream, options.fetch ?? fetch) : null,
      signup: options.signup === true,
      maxBody: Math.ceil((limits.maxTarballBytes * 4) / 3) + 4 * 1024 * 1024,
    };
    const log = options.log;
    server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
      const started = process.hrtime.bigint();
      let r: Exchange | undefined;
      res.on('finish', () => {
        if (!log) return;
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const path = (req.url ?? '').split('?')[0]!.slice(0, 300);
        log(`${req.socket.remoteAddress ?? '-'} ${req.method} ${path} ${res.statusCode} ${ms.toFixed(1)}ms${r?.user ? ` ${r.user}` : ''}`);
      });
      // The path is taken literally, not normalised as URL() would ("/a/%2e%2e" is not "/"), so
      // every segment reaches the name checks as sent.
      const target = req.url ?? '';
      const q = target.indexOf('?');
      const pathname = q < 0 ? target : target.slice(0, q);
      if (!pathname.startsWith('/')) {
        sendError(res, new RegistryError('BAD_REQUEST', 'malformed request URL'));
        return;
      }
      r = new Exchange(ctx, req, res, new URLSearchParams(q < 0 ? '' : target.slice(q + 1)));
      route(r, pathname).catch((err: unknown) => {
        if (!(err instanceof RegistryError)) process.stderr.write(`packsec registry: ${req.method} ${pathname.slice(0, 300)}: ${(err as Error)?.stack ?? String(err)}\n`);
        sendError(res, err);
        // Stop reading an oversized or abandoned body; the answer says why.
        if (!req.complete) res.on('finish', () => setTimeout(() => req.socket.destroy(), 1000).unref());
      });
    });
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"error":"malformed HTTP request"}');
      else socket.destroy();
    });
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(options.port ?? 4873, options.host ?? '127.0.0.1', () => {
        server.off('error', fail);
        done();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const url = options.publicUrl?.replace(/\/+$/, '') ?? defaultUrl(options.host ?? '127.0.0.1', port);
    ctx.publicUrl = url;
    let closing: Promise<void> | null = null;
    return {
      url, port, dataDir: store.dir, keyid: key.keyid, server,
      close() {
        closing ??= new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }).finally(releaseLock);
        return closing;
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

