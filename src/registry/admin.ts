// The operator's channel to a running registry: a Unix socket in the data folder (mode 0600, so only the
// folder's owner reaches it), one JSON request and one JSON answer per connection. An embedded database
// is open in one process only, so commands such as `packsec registry login-link` ask the server for what
// needs its database instead of opening it themselves.
import { chmodSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';

export const ADMIN_SOCKET = 'admin.sock';
const MAX_REQUEST = 64 * 1024;
/** sun_path's size less its NUL: a longer path would be cut short, binding (or reaching) another file. */
const MAX_SOCKET_PATH = process.platform === 'linux' ? 107 : 103;

/** DATA/admin.sock; an AdminError when the path is too long for a Unix socket. */
export function adminSocketPath(dataDir: string): string {
  const path = join(dataDir, ADMIN_SOCKET);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new AdminError('PATH_TOO_LONG', `${path} is longer than a Unix socket's path may be (${MAX_SOCKET_PATH} bytes): the admin socket needs a data folder with a shorter path`);
  }
  return path;
}

export type AdminHandler = (args: Record<string, unknown>) => Promise<unknown>;

export class AdminError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Serves `handlers` on DATA/admin.sock until closed. The caller holds the folder's server lock. */
export function listenAdmin(dataDir: string, handlers: Record<string, AdminHandler>): Promise<Server> {
  const path = adminSocketPath(dataDir);
  rmSync(path, { force: true });
  const server = createServer((socket) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(30_000, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_REQUEST) return void socket.end(`${JSON.stringify({ ok: false, code: 'TOO_LARGE', error: 'request too large' })}\n`);
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      socket.pause();
      void answer(text.slice(0, nl), handlers).then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
    });
  });
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(path, () => {
      try {
        chmodSync(path, 0o600);
      } catch (err) {
        server.close();
        return fail(err);
      }
      server.unref();
      done(server);
    });
  });
}

async function answer(line: string, handlers: Record<string, AdminHandler>): Promise<unknown> {
  let request: { op?: unknown; args?: unknown };
  try {
    request = JSON.parse(line) as typeof request;
  } catch {
    return { ok: false, code: 'BAD_REQUEST', error: 'expected one line of JSON' };
  }
  const handler = typeof request.op === 'string' && Object.hasOwn(handlers, request.op) ? handlers[request.op] : undefined;
  if (!handler) return { ok: false, code: 'BAD_REQUEST', error: `unknown operation ${JSON.stringify(request.op)}` };
  const args = request.args && typeof request.args === 'object' && !Array.isArray(request.args) ? (request.args as Record<string, unknown>) : {};
  try {
    return { ok: true, result: await handler(args) };
  } catch (err) {
    const e = err as Error & { code?: unknown; hint?: unknown };
    return { ok: false, code: typeof e.code === 'string' ? e.code : 'ERROR', error: e.message, ...(typeof e.hint === 'string' ? { hint: e.hint } : {}) };
  }
}

/** Asks the registry running on `dataDir`; a clear error when none runs there. */
export function adminCall<T>(dataDir: string, op: string, args: Record<string, unknown>): Promise<T> {
  let path: string;
  try {
    path = adminSocketPath(dataDir);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise((done, fail) => {
    const socket = createConnection(path);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ op, args })}\n`));
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      fail(err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
        ? new AdminError('NOT_RUNNING', `no registry is running on ${dataDir} (start it with packsec registry --data ${dataDir} --approval required)`)
        : err);
    });
    socket.on('end', () => {
      try {
        const reply = JSON.parse(text) as { ok: boolean; result?: T; code?: string; error?: string; hint?: string };
        if (reply.ok) done(reply.result as T);
        else fail(new AdminError(reply.code ?? 'ERROR', `${reply.error ?? 'failed'}${reply.hint ? ` (${reply.hint})` : ''}`));
      } catch {
        fail(new AdminError('BAD_REPLY', `the registry on ${dataDir} gave no answer`));
      }
    });
  });
}
