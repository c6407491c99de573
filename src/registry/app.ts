// The registry as a hono application: every route of npm's protocol that packsec serves, one JSON
// error shape, and 404/405 for the rest. Node specifics (listening, the raw URL check, logs) are in server.ts.
import { Hono } from 'hono';
import type { ServerContext } from './context.js';
import { RegistryError } from './errors.js';
import { errorResponse, type Env } from './http.js';
import { approvePageRoutes } from './routes/approve-page.js';
import { noticeRoutes } from './routes/notices.js';
import { distTagRoutes, packageRoutes } from './routes/packages.js';
import { serviceRoutes } from './routes/service.js';
import { stageRoutes } from './routes/stage.js';
import { userRoutes } from './routes/users.js';

const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE']);

export function createApp(ctx: ServerContext): Hono<Env> {
  const app = new Hono<Env>();
  serviceRoutes(app, ctx);
  userRoutes(app, ctx);
  stageRoutes(app, ctx);
  approvePageRoutes(app, ctx);
  noticeRoutes(app, ctx);
  distTagRoutes(app, ctx);
  // "-" is npm's namespace for everything that is not a package: never read it as a package name.
  app.all('/-/*', (c) => {
    throw new RegistryError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path.slice(0, 200)}`);
  });
  packageRoutes(app, ctx);
  app.notFound((c) => errorResponse(new RegistryError(METHODS.has(c.req.method) ? 'NOT_FOUND' : 'METHOD', `no route for ${c.req.method} ${c.req.path.slice(0, 200)}`)));
  app.onError((err, c) => {
    if (!(err instanceof RegistryError)) process.stderr.write(`packsec registry: ${c.req.method} ${c.req.path.slice(0, 300)}: ${err.stack ?? String(err)}\n`);
    return errorResponse(err);
  });
  return app;
}
