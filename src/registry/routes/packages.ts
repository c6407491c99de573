// Packages as npm reads and writes them: packuments (full and abbreviated), single versions, tarballs,
// publishes and metadata changes, dist-tags. Pending and rejected versions do not exist for readers.
import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { approvalPageUrl } from '../approval-flow.js';
import { JSON_LIMIT, requireWriter, type ServerContext } from '../context.js';
import { RegistryError } from '../errors.js';
import { readJson, readJsonObject, sendBytes, sendDocument, type C, type Env } from '../http.js';
import { isVersion } from '../names.js';
import { addVersion, removeDistTag, setDistTag, updateMetadata } from '../packages.js';
import { abbreviatedPackument, CORGI_TYPE, fullPackument, publicDistTags, publicVersions, revision, versionDocument } from '../packument.js';
import { hasAttachments, readPublishDocument } from '../publish.js';
import { namePaths, nameParam } from './paths.js';

/** A package with no public version does not exist for readers (pending ones stay invisible). */
function notFound(name: string): RegistryError {
  return new RegistryError('NOT_FOUND', `package ${name} not found`);
}

function refuseUnpublish(): never {
  throw new RegistryError('FORBIDDEN', 'unpublishing is not supported: versions are immutable here (use npm deprecate)');
}

async function getPackument(c: C, ctx: ServerContext): Promise<Response> {
  const name = nameParam(c);
  const corgi = (c.req.header('accept') ?? '').includes(CORGI_TYPE);
  const record = await ctx.reg.store.readPackage(name);
  if (record) {
    if (!publicVersions(record).length) throw notFound(name);
    const doc = corgi ? abbreviatedPackument(record, ctx.publicUrl) : fullPackument(record, ctx.publicUrl);
    return sendDocument(c, doc, corgi ? CORGI_TYPE : 'application/json');
  }
  const found = ctx.upstream ? await ctx.upstream.packument(name, corgi ? CORGI_TYPE : 'application/json', ctx.publicUrl) : null;
  if (!found) throw notFound(name);
  return sendDocument(c, found.body, found.contentType.includes(CORGI_TYPE) ? CORGI_TYPE : 'application/json');
}

async function getVersion(c: C, ctx: ServerContext): Promise<Response> {
  const name = nameParam(c);
  const spec = c.req.param('spec') ?? '';
  const record = await ctx.reg.store.readPackage(name);
  if (!record) {
    const found = ctx.upstream ? await ctx.upstream.packument(name, 'application/json', ctx.publicUrl) : null;
    const body = found?.body as { versions?: Record<string, unknown>; 'dist-tags'?: Record<string, string> } | undefined;
    const doc = body?.versions?.[body?.['dist-tags']?.[spec] ?? spec];
    if (doc) return c.json(doc);
    throw notFound(name);
  }
  const version = isVersion(spec) ? spec : publicDistTags(record)[spec];
  if (!version || record.versions[version]?.state !== 'public') throw new RegistryError('NOT_FOUND', `${name}@${spec.slice(0, 100)} not found`);
  return c.json(versionDocument(record, version, ctx.publicUrl));
}

async function getTarball(c: C, ctx: ServerContext): Promise<Response> {
  const name = nameParam(c);
  const file = c.req.param('file') ?? '';
  const record = await ctx.reg.store.readPackage(name);
  if (record) {
    // Only a name a public version records reaches the disk: never a path taken from the URL.
    const entry = Object.values(record.versions).find((v) => v.tarball === file && v.state === 'public');
    const data = entry ? await ctx.reg.store.readPackageFile(name, file) : null;
    if (!entry || !data) throw new RegistryError('NOT_FOUND', `tarball ${file.slice(0, 200)} of ${name} not found`);
    // Checked on every read, so a tarball changed on disk is never served under its old integrity.
    if (`sha512-${createHash('sha512').update(data).digest('base64')}` !== entry.integrity) {
      throw new RegistryError('DATA_CORRUPT', `the stored tarball ${file} of ${name} does not match its integrity`);
    }
    return sendBytes(c, data, 'application/octet-stream', { 'cache-control': 'public, max-age=31536000, immutable' });
  }
  const res = ctx.upstream ? await ctx.upstream.tarball(name, file) : null;
  if (!res?.body) throw new RegistryError('NOT_FOUND', `tarball ${file.slice(0, 200)} of ${name} not found`);
  const length = res.headers.get('content-length');
  return new Response(res.body, { status: 200, headers: { 'content-type': 'application/octet-stream', ...(length ? { 'content-length': length } : {}) } });
}

/** A publish (`npm publish`'s PUT, or `npm stage publish`'s POST with `stage`). */
export async function publishVersion(c: C, ctx: ServerContext, name: string, body: Record<string, unknown>, stage: boolean): Promise<Response> {
  const caller = await requireWriter(c, ctx, name);
  const doc = readPublishDocument(name, body);
  const added = await addVersion(ctx.reg, {
    name, version: doc.version, manifest: doc.manifest, tarball: doc.tarball, tag: doc.tag, stage, attestations: doc.attestations,
    npmUser: { name: caller.user.name, ...(caller.user.email ? { email: caller.user.email } : {}) },
  });
  if (added.state !== 'pending') return c.json({ ok: true, id: name, integrity: added.integrity }, 201);
  const record = await ctx.reg.store.readPackage(name);
  if (record) await ctx.gate.opened({ id: added.stageId!, record, version: doc.version }, caller.token ? { tokenKey: caller.token.key } : {});
  // npm prints the npm-notice header of any answer: the publisher learns that and where to approve.
  const page = approvalPageUrl(ctx.webUrl, added.stageId!);
  const notice = `${name}@${doc.version} is pending approval and cannot be installed until every approval group approves it at ${page} (stage id ${added.stageId}: npm stage view|approve|reject ${added.stageId})`;
  return c.json({ ok: true, id: name, pending: true, stageId: added.stageId, approveUrl: page, message: notice }, 201, { 'npm-notice': notice });
}

async function putPackage(c: C, ctx: ServerContext): Promise<Response> {
  const name = nameParam(c);
  const caller = await requireWriter(c, ctx, name);
  const body = await readJsonObject(c, ctx.maxBody);
  if (hasAttachments(body)) return publishVersion(c, ctx, name, body, false);
  await updateMetadata(ctx.reg, name, body, caller.user.name);
  const record = await ctx.reg.store.readPackage(name);
  return c.json({ ok: true, id: name, rev: record ? revision(record) : undefined });
}

async function getDistTags(c: C, ctx: ServerContext): Promise<Response> {
  const name = nameParam(c);
  const record = await ctx.reg.store.readPackage(name);
  if (record && publicVersions(record).length) return c.json(publicDistTags(record));
  const found = !record && ctx.upstream ? await ctx.upstream.packument(name, CORGI_TYPE, ctx.publicUrl) : null;
  if (found) return c.json(found.body['dist-tags'] ?? {});
  throw notFound(name);
}

async function putDistTag(c: C, ctx: ServerContext): Promise<Response> {
  const name = nameParam(c);
  const caller = await requireWriter(c, ctx, name);
  const version = await readJson(c, JSON_LIMIT);
  if (typeof version !== 'string') throw new RegistryError('BAD_REQUEST', 'the body must be the version as a JSON string');
  const tags = await setDistTag(ctx.reg, name, c.req.param('tag') ?? '', version, caller.user.name);
  return c.json({ ok: true, 'dist-tags': tags }, 201);
}

async function deleteDistTag(c: C, ctx: ServerContext): Promise<Response> {
  const name = nameParam(c);
  const caller = await requireWriter(c, ctx, name);
  const tags = await removeDistTag(ctx.reg, name, c.req.param('tag') ?? '', caller.user.name);
  return c.json({ ok: true, 'dist-tags': tags });
}

/** dist-tags live under /-/package/, so they are registered before the catch-all for /-/. */
export function distTagRoutes(app: Hono<Env>, ctx: ServerContext): void {
  for (const path of namePaths('/-/package', '/dist-tags')) app.get(path, (c) => getDistTags(c, ctx));
  for (const path of namePaths('/-/package', '/dist-tags/:tag')) {
    app.get(path, () => {
      throw new RegistryError('METHOD', 'GET a single dist-tag is not supported; GET the list');
    });
    app.on(['PUT', 'POST'], path, (c) => putDistTag(c, ctx));
    app.delete(path, (c) => deleteDistTag(c, ctx));
  }
}

export function packageRoutes(app: Hono<Env>, ctx: ServerContext): void {
  for (const path of namePaths('')) {
    app.get(path, (c) => getPackument(c, ctx));
    app.put(path, (c) => putPackage(c, ctx));
    app.delete(path, refuseUnpublish);
  }
  for (const path of namePaths('', '/-rev/:rev')) {
    app.put(path, (c) => putPackage(c, ctx));
    app.delete(path, refuseUnpublish);
  }
  for (const path of namePaths('', '/-/:file')) app.get(path, (c) => getTarball(c, ctx));
  for (const path of namePaths('', '/-/*')) app.delete(path, refuseUnpublish);
  for (const path of namePaths('', '/:spec{[^/-][^/]*}')) app.get(path, (c) => getVersion(c, ctx));
}
