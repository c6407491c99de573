// Signed security notices for readers, without authentication: every notice about one package, or the
// notices about many installed versions at once (the shape of npm's bulk advisory endpoint, which
// `packsec status` asks next to it). Served when the approval gateway runs; otherwise 404, which clients
// read as "this registry has no notices".
import type { Hono } from 'hono';
import { BULK_NOTICES_PATH, NOTICES_PATH } from '../../util/notice.js';
import { readBulkQuery } from '../advisories.js';
import { ADVISORY_QUERY_LIMIT, type ServerContext } from '../context.js';
import { RegistryError } from '../errors.js';
import { readJson, type C, type Env } from '../http.js';
import { nameParam, namePaths } from './paths.js';

function source(ctx: ServerContext): NonNullable<ServerContext['notices']> {
  if (!ctx.notices) throw new RegistryError('NOT_FOUND', 'this registry serves no security notices (they come with the approval gateway: --approval required)');
  return ctx.notices;
}

async function bulk(c: C, ctx: ServerContext): Promise<Response> {
  const notices = source(ctx);
  return c.json(await notices.forVersions(readBulkQuery(await readJson(c, ADVISORY_QUERY_LIMIT))));
}

async function one(c: C, ctx: ServerContext): Promise<Response> {
  const notices = source(ctx);
  const name = nameParam(c);
  return c.json({ name, notices: await notices.list(name) });
}

export function noticeRoutes(app: Hono<Env>, ctx: ServerContext): void {
  app.post(BULK_NOTICES_PATH, (c) => bulk(c, ctx));
  for (const path of namePaths(NOTICES_PATH)) app.get(path, (c) => one(c, ctx));
}
