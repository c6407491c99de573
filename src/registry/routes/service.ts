// The registry's own endpoints: ping, signing keys, search, provenance bundles and npm audit's bulk
// advisory endpoint.
import type { Hono } from 'hono';
import { answerBulk, readBulkQuery } from '../advisories.js';
import { ADVISORY_QUERY_LIMIT, type ServerContext } from '../context.js';
import { RegistryError } from '../errors.js';
import { readJson, sendBytes, type C, type Env } from '../http.js';
import { validatePackageName } from '../names.js';
import { publicDistTags } from '../packument.js';

async function keys(c: C, ctx: ServerContext): Promise<Response> {
  const upstreamKeys = ctx.upstream ? await ctx.upstream.keys() : [];
  return c.json({ keys: [ctx.reg.key.entry, ...upstreamKeys.filter((k) => k.keyid !== ctx.reg.key.keyid)] });
}

/** GET /-/npm/v1/attestations/<name>@<version>; a scoped name may arrive as one segment or two. */
async function attestations(c: C, ctx: ServerContext): Promise<Response> {
  const spec = decodeURIComponent(new URL(c.req.url).pathname.slice('/-/npm/v1/attestations/'.length));
  const at = spec.lastIndexOf('@');
  if (at <= 0) throw new RegistryError('NOT_FOUND', 'expected /-/npm/v1/attestations/<name>@<version>');
  const name = validatePackageName(spec.slice(0, at));
  const version = spec.slice(at + 1);
  const record = await ctx.reg.store.readPackage(name);
  const v = record?.versions[version];
  const data = v?.state === 'public' && v.attestations ? await ctx.reg.store.readPackageFile(name, v.attestations) : null;
  if (!data) throw new RegistryError('NOT_FOUND', `no attestations for ${name}@${version.slice(0, 100)}`);
  return sendBytes(c, data, 'application/json');
}

/** npm audit's bulk endpoint, answered from the advisories in the data folder (`packsec registry advisory add`). */
async function bulkAdvisories(c: C, ctx: ServerContext): Promise<Response> {
  const query = readBulkQuery(await readJson(c, ADVISORY_QUERY_LIMIT));
  return c.json(answerBulk(ctx.reg.store.listAdvisories(), query));
}

function numberParam(text: string | undefined, fallback: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Number(text ?? fallback) || fallback));
}

async function search(c: C, ctx: ServerContext): Promise<Response> {
  const text = (c.req.query('text') ?? '').toLowerCase().slice(0, 200);
  const size = numberParam(c.req.query('size'), 20, 1, 250);
  const from = numberParam(c.req.query('from'), 0, 0, Number.MAX_SAFE_INTEGER);
  const objects: Record<string, unknown>[] = [];
  for (const name of ctx.reg.store.listPackages()) {
    const record = await ctx.reg.store.readPackage(name);
    const latest = record ? publicDistTags(record).latest : undefined;
    if (!record || !latest) continue;
    const v = record.versions[latest]!;
    const m = v.manifest;
    const keywords = Array.isArray(m.keywords) ? m.keywords.filter((k): k is string => typeof k === 'string') : [];
    const hay = [name, typeof m.description === 'string' ? m.description : '', ...keywords].join(' ').toLowerCase();
    if (text && !text.split(/\s+/).every((w) => hay.includes(w))) continue;
    objects.push({
      package: { name, version: latest, description: m.description, keywords, date: v.publishedAt, publisher: { username: v.npmUser.name }, maintainers: record.maintainers.map((p) => ({ username: p.name, email: p.email })), links: {} },
      score: { final: 1, detail: { quality: 1, popularity: 1, maintenance: 1 } },
      searchScore: 1,
    });
  }
  return c.json({ objects: objects.slice(from, from + size), total: objects.length, time: new Date().toUTCString() });
}

export function serviceRoutes(app: Hono<Env>, ctx: ServerContext): void {
  app.get('/', (c) => c.json({ name: 'packsec registry', ok: true }));
  app.get('/-/ping', (c) => c.json({}));
  app.get('/-/npm/v1/keys', (c) => keys(c, ctx));
  app.get('/-/npm/v1/attestations/*', (c) => attestations(c, ctx));
  const bulk = '/-/npm/v1/security/advisories/bulk';
  app.post(bulk, (c) => bulkAdvisories(c, ctx));
  app.all(bulk, () => {
    throw new RegistryError('METHOD', 'POST a JSON object of package names to lists of versions');
  });
  app.all('/-/npm/v1/security/*', () => {
    throw new RegistryError('NOT_FOUND', 'of the advisory endpoints, only POST /-/npm/v1/security/advisories/bulk is served here');
  });
  app.get('/-/v1/search', (c) => search(c, ctx));
  app.all('/-/v1/login', () => {
    throw new RegistryError('NOT_FOUND', 'web login is not supported yet; use `npm login --auth-type=legacy` or a token');
  });
}
