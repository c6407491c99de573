// npm's staged publishing (npm CLI >= 11.15): `npm stage publish|list|view|download|approve|reject`.
// Approving goes through npm's web-auth flow: 401 + `WWW-Authenticate: OTP` with {authUrl, doneUrl};
// doneUrl answers 202 while the request waits, and a one-time token once it is approved (approval-flow.ts).
import type { Hono } from 'hono';
import { approvalPageUrl, approvalUrls, issueToken, readTicket, readToken, stageIdOf, type StagedRef } from '../approval-flow.js';
import { checkTokenWrites } from '../auth.js';
import { callerOf, requireCaller, requireWriter, type ServerContext, type StagedVersion } from '../context.js';
import { RegistryError, REGISTRY_ERRORS } from '../errors.js';
import { readJsonObject, sendBytes, type C, type Env } from '../http.js';
import { namePaths, nameParam } from './paths.js';
import { publishVersion } from './packages.js';

/** The stage id in the URL (dashed or compact), normalised; '' when it is neither. */
export function stageIdParam(c: C): string {
  return stageIdOf(c.req.param('id') ?? '');
}

/** The pending version behind a stage id, or null. */
export async function findStaged(ctx: ServerContext, id: string): Promise<StagedVersion | null> {
  if (!id) return null;
  const ref = await ctx.reg.store.readStage(id);
  const record = ref ? await ctx.reg.store.readPackage(ref.packageName) : null;
  if (!ref || !record || record.versions[ref.version]?.stageId !== id) return null;
  return { id, record, version: ref.version };
}

function noSuchRequest(): RegistryError {
  return new RegistryError('NOT_FOUND', 'no such staged version (it may have been approved or rejected already)');
}

/** Requests are visible to the package's maintainers only; to anyone else they do not exist. */
async function visibleStaged(ctx: ServerContext, id: string, user: string): Promise<StagedVersion> {
  const staged = await findStaged(ctx, id);
  if (!staged || !(await ctx.gate.canSee(staged, user))) throw noSuchRequest();
  return staged;
}

/** An item as npm's `stage list|view` print it, plus integrity and state. */
function stageItem(staged: StagedVersion): Record<string, unknown> {
  const v = staged.record.versions[staged.version]!;
  return {
    id: staged.id, packageName: staged.record.name, version: staged.version, tag: v.tag ?? 'latest', createdAt: v.uploadedAt,
    actor: v.npmUser.name, actorType: 'user', shasum: v.shasum, integrity: v.integrity, state: v.state,
  };
}

async function list(c: C, ctx: ServerContext): Promise<Response> {
  const caller = await requireCaller(c, ctx);
  const only = c.req.query('package');
  const page = Math.max(0, Number(c.req.query('page') ?? 0) || 0);
  const perPage = Math.min(100, Math.max(1, Number(c.req.query('perPage') ?? 100) || 100));
  const items: Record<string, unknown>[] = [];
  for (const ref of await ctx.reg.store.listStages()) {
    if (only && ref.packageName !== only) continue;
    const staged = await findStaged(ctx, ref.id);
    if (staged && (await ctx.gate.canSee(staged, caller.user.name))) items.push(stageItem(staged));
  }
  items.sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
  return c.json({ items: items.slice(page * perPage, (page + 1) * perPage), total: items.length });
}

async function view(c: C, ctx: ServerContext): Promise<Response> {
  const caller = await requireCaller(c, ctx);
  return c.json(stageItem(await visibleStaged(ctx, stageIdParam(c), caller.user.name)));
}

async function tarball(c: C, ctx: ServerContext): Promise<Response> {
  const caller = await requireCaller(c, ctx);
  const staged = await visibleStaged(ctx, stageIdParam(c), caller.user.name);
  const data = await ctx.reg.store.readPackageFile(staged.record.name, staged.record.versions[staged.version]!.tarball);
  if (!data) throw new RegistryError('NOT_FOUND', 'the staged tarball is gone');
  return sendBytes(c, data, 'application/octet-stream');
}

async function stagePublish(c: C, ctx: ServerContext): Promise<Response> {
  const name = nameParam(c);
  await requireWriter(c, ctx, name);
  return publishVersion(c, ctx, name, await readJsonObject(c, ctx.maxBody), true);
}

function refOf(staged: StagedVersion, user: string): StagedRef {
  return { id: staged.id, name: staged.record.name, version: staged.version, integrity: staged.record.versions[staged.version]!.integrity, user };
}

/** 401 with npm's web-auth fields: npm opens authUrl (or prints it) and polls doneUrl. */
function webAuthChallenge(c: C, ctx: ServerContext, ref: StagedRef, why: string): Response {
  const urls = approvalUrls(ctx.publicUrl, ctx.flowKey, ref, ctx.reg.now().getTime(), ctx.webUrl);
  const body = { error: `${why}: approve ${ref.name}@${ref.version} at ${urls.authUrl}`, code: 'OTP_REQUIRED', hint: REGISTRY_ERRORS.OTP_REQUIRED.hint, ...urls };
  return c.json(body, 401, { 'www-authenticate': 'OTP' });
}

function rejectedError(ref: { name: string; version: string }): RegistryError {
  return new RegistryError('GONE', `${ref.name}@${ref.version} was rejected; its version number cannot be used again`);
}

/**
 * npm stage approve. Approval itself happens on the approval page; this call starts npm's web-auth
 * flow, and succeeds when npm retries with the token doneUrl gave it once every group approved.
 */
async function approve(c: C, ctx: ServerContext): Promise<Response> {
  const caller = await requireCaller(c, ctx, true);
  const id = stageIdParam(c);
  const user = caller.user.name;
  const otp = c.req.header('npm-otp');
  const proven = otp ? readToken(ctx.flowKey, otp, ctx.reg.now().getTime()) : null;
  if (proven && proven.id === id && proven.user === user) {
    // The stage record is gone once the version left pending: the token names the version.
    const record = await ctx.reg.store.readPackage(proven.name);
    const v = record?.versions[proven.version];
    if (!record || !v || v.stageId !== id || v.integrity !== proven.integrity || !(await ctx.gate.canSee({ id, record, version: proven.version }, user))) throw noSuchRequest();
    const state = await ctx.gate.state({ id, record, version: proven.version });
    if (state === 'public') return c.json({ ok: true, id, packageName: proven.name, version: proven.version, state });
    if (state === 'rejected') throw rejectedError(proven);
  }
  const staged = await visibleStaged(ctx, id, user);
  checkTokenWrites(caller.token, staged.record.name);
  const state = await ctx.gate.state(staged);
  const ref = refOf(staged, user);
  if (state === 'public') return c.json({ ok: true, id, packageName: ref.name, version: ref.version, state });
  if (state === 'rejected') throw rejectedError(ref);
  return webAuthChallenge(c, ctx, ref, otp ? 'the one-time token is invalid or expired' : 'approval needs every approval group');
}

/** npm's poll: 202 while pending, then 200 with the one-time token; 410 once rejected. */
async function done(c: C, ctx: ServerContext): Promise<Response> {
  const now = ctx.reg.now().getTime();
  const ref = readTicket(ctx.flowKey, c.req.param('ticket') ?? '', now);
  if (!ref || ref.id !== stageIdParam(c)) throw new RegistryError('NOT_FOUND', 'unknown or expired approval ticket; run `npm stage approve` again');
  const caller = await callerOf(c, ctx);
  if (caller && caller.user.name !== ref.user) throw new RegistryError('FORBIDDEN', 'this approval ticket belongs to another user');
  const record = await ctx.reg.store.readPackage(ref.name);
  const v = record?.versions[ref.version];
  if (!record || !v || v.stageId !== ref.id || v.integrity !== ref.integrity) throw new RegistryError('GONE', `${ref.name}@${ref.version} is no longer waiting for approval`);
  const state = await ctx.gate.state({ id: ref.id, record, version: ref.version });
  if (state === 'rejected') throw rejectedError(ref);
  if (state === 'pending') {
    return c.json({ state, message: `${ref.name}@${ref.version} is waiting for approval at ${approvalPageUrl(ctx.webUrl, ref.id)}` }, 202, { 'retry-after': '1' });
  }
  return c.json({ token: issueToken(ctx.flowKey, ref, now) });
}

/** npm stage reject: any maintainer may discard a staged version; its number stays burned. */
async function reject(c: C, ctx: ServerContext): Promise<Response> {
  const caller = await requireCaller(c, ctx, true);
  const staged = await visibleStaged(ctx, stageIdParam(c), caller.user.name);
  checkTokenWrites(caller.token, staged.record.name);
  await ctx.gate.reject(staged, caller.user.name);
  return c.json({ ok: true, id: staged.id, packageName: staged.record.name, version: staged.version, state: 'rejected' });
}

export function stageRoutes(app: Hono<Env>, ctx: ServerContext): void {
  for (const path of namePaths('/-/stage/package')) app.post(path, (c) => stagePublish(c, ctx));
  app.get('/-/stage', (c) => list(c, ctx));
  app.get('/-/stage/:id', (c) => view(c, ctx));
  app.delete('/-/stage/:id', (c) => reject(c, ctx));
  app.get('/-/stage/:id/tarball', (c) => tarball(c, ctx));
  app.post('/-/stage/:id/approve', (c) => approve(c, ctx));
  app.get('/-/stage/:id/done/:ticket', (c) => done(c, ctx));
}
