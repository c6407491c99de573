// `packsec registry`'s server: the hono application (app.ts) on Node's HTTP server through
// @hono/node-server, behind a check of the raw request target, with one log line per request, its store
// (JSON files, the embedded database or PostgreSQL), a pid lock on a data folder no other process may
// share, and a clean shutdown.
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { getRequestListener, RequestError } from '@hono/node-server';
import type { Db } from '../approval/db.js';
import type { ApprovalGateway, GatewayOptions } from '../approval/gateway.js';
import { adminSocketPath, listenAdmin } from './admin.js';
import { createApp } from './app.js';
import { flowKey } from './approval-flow.js';
import { defaultGate, loggedUser, type ApprovalGate, type ServerContext } from './context.js';
import { RegistryError } from './errors.js';
import { storeKind, type StoreKind } from './folder.js';
import { errorBody, errorResponse } from './http.js';
import { acquireServerLock } from './lock.js';
import { operatorHandlers } from './operator.js';
import { DEFAULT_LIMITS, type ApprovalMode, type Limits, type Registry } from './packages.js';
import { createUpstream } from './proxy.js';
import { loadOrCreateSigningKey } from './signing.js';
import { DbStore } from './storage-db.js';
import { FileStore } from './storage.js';
import type { RegistryStore } from './store.js';
import { checkTarget } from './target.js';

export interface RegistryOptions {
  /** The data folder (created if missing). */
  dataDir: string;
  /**
   * Where the records are: absent or 'files' (JSON files in the data folder), 'embedded' (PGlite in
   * DATA/db), 'memory' (tests), or a postgres:// URL that several gateways share (with the data folder:
   * docs/registry.md). `packsec registry` picks with chooseDatabase.
   */
  database?: string;
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
  /**
   * Who decides that a staged version is approved. Default: with approval 'required', the approval
   * gateway (groups, WebAuthn); otherwise, or with 'version-state', the version's state alone, moved by
   * setVersionState (tests of npm's protocol use that).
   */
  gate?: ApprovalGate | 'version-state';
  /**
   * With approval 'required' (and no `gate`): the approval gateway's database — 'embedded' (PGlite in
   * DATA/db, the default), 'memory' (tests) or postgres://… — and its settings.
   */
  approvalDatabase?: string;
  /** An open database for the approval gateway instead (tests; it is not closed with the server). */
  approvalDb?: Db;
  gateway?: Omit<GatewayOptions, 'db' | 'registry'>;
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
  /** The registry's store and settings: tests and tools change it through this while it serves. */
  registry: Registry;
  /** Which store, and where (a folder, or the URL without its password). */
  database: { kind: StoreKind | 'memory'; location: string };
  /** The approval gateway (groups, requests, the approver UI), when approval is required. */
  gateway: ApprovalGateway | null;
  /** What the operator should know (a feature that could not start). */
  notes: string[];
  close(): Promise<void>;
}

/** Node's default; a longer header block is refused with 431. */
const MAX_HEADER_BYTES = 16 * 1024;
/** How long a stopping server lets requests in flight finish before it drops their connections. */
const SHUTDOWN_GRACE_MS = 5000;

function defaultUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

function writeError(res: ServerResponse, err: RegistryError): void {
  const { status, body } = errorBody(err);
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
  res.end(text);
}

/** Paths that carry a secret: npm logout's token, the ticket of an approval poll. */
function redactPath(path: string): string {
  return path.replace(/^(\/-\/user\/token\/)[^/]+/, '$1***').replace(/^(\/-\/stage\/[^/]+\/done\/)[^/]+/, '$1***');
}

/** `127.0.0.1 PUT /left-pad 201 5.4ms alice`: the path without its query, the user but never a token. */
function logWhenDone(req: IncomingMessage, res: ServerResponse, log: (line: string) => void): void {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const path = redactPath((req.url ?? '').split('?')[0]!).slice(0, 300);
    const user = loggedUser(req);
    log(`${req.socket.remoteAddress ?? '-'} ${req.method} ${path} ${res.statusCode} ${ms.toFixed(1)}ms${user ? ` ${user}` : ''}`);
  });
}

/** Bytes that are not HTTP never reach the application: a JSON 400 (431 for oversized headers). */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const { status, body } = errorBody(tooLarge
    ? new RegistryError('HEADERS_TOO_LARGE', `request headers over ${MAX_HEADER_BYTES} bytes`)
    : new RegistryError('BAD_REQUEST', 'malformed HTTP request'));
  const text = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
}

/** Whether a live server answers on the data folder's admin socket. */
function adminAnswers(dir: string): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(adminSocketPath(dir));
    socket.on('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.on('error', () => done(false));
  });
}

/** Opens the store the options name; files and the embedded database are claimed for this process only. */
async function openServerStore(options: RegistryOptions): Promise<{ store: FileStore | DbStore; releaseLock: () => void }> {
  const database = options.database ?? 'files';
  const kind = storeKind(database);
  if (kind === 'files') {
    const store = new FileStore(options.dataDir);
    store.init();
    return { store, releaseLock: acquireServerLock(store.dir) };
  }
  const dir = resolve(options.dataDir);
  // PostgreSQL serialises every writer itself, so gateways sharing it may share the data folder too.
  let releaseLock = () => {};
  if (kind !== 'postgres') {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new RegistryError('DATA_DIR', `cannot create the registry data folder ${dir}: ${(err as Error).message}`);
    }
    releaseLock = acquireServerLock(dir);
  }
  try {
    return { store: await DbStore.open(dir, database), releaseLock };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/** Starts the registry on `host:port` (port 0: a free one) and resolves once it is listening. */
export async function startRegistry(options: RegistryOptions): Promise<RunningRegistry> {
  const { store, releaseLock } = await openServerStore(options);
  // A database opened here for the approval gateway alone (records in files); a database store holds both.
  let db: Db | null = null;
  let gateway: ApprovalGateway | null = null;
  let admin: NetServer | null = null;
  const release = async () => {
    admin?.close();
    gateway?.close();
    try {
      await db?.close();
      await store.close();
    } finally {
      releaseLock();
    }
  };
  try {
    const key = loadOrCreateSigningKey(store.dir);
    if (store instanceof DbStore) {
      // Every version in a database is signed with one key: a gateway with another would sign new
      // versions with a key the others do not serve.
      const recorded = await store.signingKeyId(key.keyid);
      if (recorded !== key.keyid) {
        throw new RegistryError('DATA_STORE', `${store.dir}/keys/signing-key.pem (${key.keyid}) is not the key of the versions in ${store.db.location} (${recorded}): gateways sharing a database must share the data folder (its keys/ and packages/)`);
      }
    }
    const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
    const reg: Registry<RegistryStore> = { store, key, approval: options.approval ?? 'off', limits, now: options.now ?? (() => new Date()) };
    const ctx: ServerContext = {
      reg,
      publicUrl: '',
      upstream: options.upstream ? createUpstream(options.upstream, options.fetch ?? fetch) : null,
      signup: options.signup === true,
      gate: typeof options.gate === 'object' ? options.gate : defaultGate(reg),
      web: null,
      notices: null,
      webUrl: '',
      flowKey: flowKey(key),
      maxBody: Math.ceil((limits.maxTarballBytes * 4) / 3) + 4 * 1024 * 1024,
    };
    if (reg.approval === 'required' && !options.gate) {
      // Loaded only here: WebAuthn's libraries change the global Reflect when loaded, and every packsec
      // command (run among them, which must lock down pristine intrinsics) loads this module.
      const [{ openDb }, { ApprovalGateway }] = await Promise.all([import('../approval/db.js'), import('../approval/gateway.js')]);
      let approvalDb = options.approvalDb;
      if (!approvalDb && store instanceof DbStore) {
        if (options.approvalDatabase) throw new RegistryError('BAD_REQUEST', '--approval-database is for a data folder whose records are JSON files: with a database, the approval tables are in that database');
        approvalDb = store.db;
      }
      if (!approvalDb) approvalDb = db = await openDb({ dataDir: store.dir, ...(options.approvalDatabase ? { database: options.approvalDatabase } : {}) });
      gateway = new ApprovalGateway({ db: approvalDb, registry: reg, ...(options.log ? { log: options.log } : {}), ...options.gateway });
      ctx.gate = gateway.gate();
    }
    const app = createApp(ctx);
    const handle = getRequestListener(app.fetch, {
      // Leave the process's own Request and Response alone.
      overrideGlobalObjects: false,
      errorHandler: (err) => errorResponse(err instanceof RequestError ? new RegistryError('BAD_REQUEST', `malformed request: ${err.message}`) : err),
    });
    let closing: Promise<void> | null = null;
    const inFlight = new Set<ServerResponse>();
    const server = createServer({ keepAliveTimeout: 5000, maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
      if (options.log) logWhenDone(req, res, options.log);
      drainRefusedBody(req, res);
      // While stopping, answer what is in flight and let no connection linger afterwards.
      if (closing) res.setHeader('connection', 'close');
      inFlight.add(res);
      res.on('close', () => inFlight.delete(res));
      const refused = checkTarget(req.url ?? '');
      if (refused) writeError(res, refused);
      else void handle(req, res);
    });
    server.on('clientError', answerClientError);
    const host = options.host ?? '127.0.0.1';
    await listen(server, options.port ?? 4873, host);
    const port = (server.address() as AddressInfo).port;
    const url = options.publicUrl?.replace(/\/+$/, '') ?? defaultUrl(host, port);
    ctx.publicUrl = url;
    ctx.webUrl = url;
    const notes: string[] = [];
    const database = store instanceof DbStore
      ? { kind: store.db.location === 'memory' ? 'memory' as const : store.db.kind, location: store.db.location }
      : { kind: 'files' as const, location: store.dir };
    if (gateway) {
      await gateway.start(url);
      ctx.web = gateway.web;
      ctx.notices = gateway.service.notices;
      ctx.webUrl = gateway.webUrl;
    }
    // The operator's commands reach the running server through the data folder's admin socket: the
    // approval gateway's always, `registry token|advisory` with the embedded database (open in this process only).
    const embedded = store instanceof DbStore && store.db.kind === 'embedded' && store.db.location !== 'memory';
    const handlers = { ...(embedded ? operatorHandlers(store) : {}), ...gateway?.adminHandlers() };
    if (Object.keys(handlers).length) {
      try {
        // Gateways on one PostgreSQL may share the folder: the first on this host keeps the socket (any can answer).
        if (database.kind === 'postgres' && (await adminAnswers(store.dir))) notes.push('another gateway on this data folder serves its admin socket; operator commands go to it');
        else admin = await listenAdmin(store.dir, handlers);
      } catch (err) {
        notes.push(`no admin socket (${(err as Error).message}): while this server runs, the operator's commands (\`packsec registry token|advisory|login-link|group\`) cannot reach it`);
      }
    }
    return {
      url, port, dataDir: store.dir, keyid: key.keyid, server, registry: reg, database, gateway, notes,
      /** Stops accepting connections, lets requests in flight finish (up to a grace period), then releases the folder. */
      close() {
        closing ??= new Promise<void>((done) => {
          // Not unref'd: a connection whose socket is paused keeps no handle active, and the process must
          // not exit with this promise pending.
          const grace = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
          server.close(() => {
            clearTimeout(grace);
            done();
          });
          server.closeIdleConnections();
          // Answers still to come close their connection once sent, instead of idling until the grace ends.
          for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
        }).finally(release);
        return closing;
      },
    };
  } catch (err) {
    await release();
    throw err;
  }
}

const DRAIN_MS = 2000;
const DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * After a 413 the rest of the body is read and dropped for a little while before the connection closes:
 * closing a socket with unread data makes the kernel reset it, and the client may lose the answer.
 */
function drainRefusedBody(req: IncomingMessage, res: ServerResponse): void {
  res.on('finish', () => {
    if (res.statusCode !== 413 || req.complete) return;
    let drained = 0;
    const stop = setTimeout(() => req.socket.destroy(), DRAIN_MS);
    stop.unref();
    req.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > DRAIN_BYTES) req.socket.destroy();
    });
    req.on('end', () => clearTimeout(stop));
    req.socket.on('close', () => clearTimeout(stop));
    req.resume();
    // The body stream may have been abandoned with the socket paused; a paused socket never notices the
    // client going away, so read on at the socket too.
    req.socket.resume();
  });
}
