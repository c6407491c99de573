// Helpers for registry tests: a real npm client in a sandbox (temp userconfig and cache, never the
// user's own), and a stand-in for Sigstore's TUF CDN so `npm audit signatures` can run offline.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from './helpers.js';
import { makeTufRepository, tufFile } from './tuf-helpers.js';

export function tmpDir(prefix: string): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

export interface NpmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface NpmSandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Runs the real npm CLI asynchronously (the registry answers from this very process). */
  npm(args: string[], cwd: string, extraEnv?: NodeJS.ProcessEnv): Promise<NpmResult>;
  /** Adds lines to the sandbox's .npmrc. */
  configure(lines: string[]): void;
}

/** A temp .npmrc pointing at `registryUrl` (with `token` when given) and a temp npm cache. */
export function npmSandbox(registryUrl: string, token?: string): NpmSandbox {
  const dir = tmpDir('packsec-npm-');
  const npmrc = join(dir, '.npmrc');
  const nerf = registryUrl.replace(/^https?:/, '').replace(/\/?$/, '/');
  const lines = [`registry=${registryUrl.replace(/\/?$/, '/')}`, 'audit=false', 'fund=false', 'update-notifier=false', 'loglevel=notice'];
  if (token) lines.push(`${nerf}:_authToken=${token}`);
  writeFileSync(npmrc, lines.join('\n') + '\n');
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (/^npm_/i.test(k)) delete env[k];
  Object.assign(env, {
    npm_config_userconfig: npmrc,
    npm_config_globalconfig: join(dir, 'globalnpmrc'),
    npm_config_cache: join(dir, 'cache'),
    NO_COLOR: '1',
    NO_UPDATE_NOTIFIER: '1',
  });
  return {
    dir,
    env,
    configure(more) {
      writeFileSync(npmrc, readFileSync(npmrc, 'utf8') + more.join('\n') + '\n');
    },
    npm(args, cwd, extraEnv = {}) {
      return new Promise((done) => {
        execFile('npm', args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          done({ code, stdout, stderr });
        });
      });
    },
  };
}

/** A folder holding a package.json and files, ready for `npm publish`. */
export function packageDir(manifest: Record<string, unknown>, files: Record<string, string> = { 'index.js': 'module.exports = 1;\n' }): string {
  const dir = tmpDir('packsec-pkg-');
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const [rel, text] of Object.entries(files)) writeFileSync(join(dir, rel), text);
  return dir;
}

/**
 * `packsec registry` as its own process, as a user runs it: tests that spawn the CLI synchronously
 * would stall a server living in the test's own event loop. Stop it with `process.kill('SIGTERM')`.
 */
export async function startRegistryProcess(dataDir: string, args: string[] = ['--approval', 'off']): Promise<{ url: string; approveUrl: string | null; process: ChildProcess }> {
  const child = spawn(process.execPath, [cliPath, 'registry', '--data', dataDir, '--port', '0', '--json', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  while (!out.includes('\n')) {
    const [chunk] = await once(child.stdout, 'data') as [string];
    out += chunk;
  }
  const first = JSON.parse(out.split('\n')[0]!) as { url: string; approveUrl: string | null };
  return { url: first.url, approveUrl: first.approveUrl, process: child };
}

// --- The Sigstore TUF stand-in --------------------------------------------------------------------
// `npm audit signatures` first refreshes Sigstore's TUF repository (tuf-repo-cdn.sigstore.dev) to look
// for the registry's keys there, and only then falls back to the registry's /-/npm/v1/keys. Without
// network the refresh fails and the command stops. The stand-in answers for that host through an HTTPS
// proxy (https_proxy, with its own CA in NODE_EXTRA_CA_CERTS) with a tiny TUF repository signed by a
// key whose root is planted in npm's TUF cache. The repository lists no targets, so npm falls back to
// the registry's own keys endpoint, which is what the tests are about.

const TUF_HOST = 'tuf-repo-cdn.sigstore.dev';

export interface SigstoreStandIn {
  /** Environment for the npm process: proxy, no_proxy for loopback, and the stand-in's CA. */
  env: NodeJS.ProcessEnv;
  /** Plants the stand-in's TUF root in an npm cache folder. */
  plantRoot(npmCache: string): void;
  /** Hosts asked for through the proxy (to show that nothing else was reached). */
  requested: string[];
  close(): Promise<void>;
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function startSigstoreStandIn(): Promise<SigstoreStandIn> {
  const dir = tmpDir('packsec-tuf-');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', `/CN=${TUF_HOST}`,
    '-addext', `subjectAltName=DNS:${TUF_HOST}`, '-addext', 'basicConstraints=critical,CA:TRUE',
  ], { stdio: 'ignore' });
  const repo = makeTufRepository();
  const tls = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    const body = tufFile(repo, req.url);
    res.writeHead(body !== null ? 200 : 404, { 'content-type': 'application/json' });
    res.end(body ?? '{}');
  });
  const requested: string[] = [];
  const sockets = new Set<Socket>();
  const proxy: Server = createHttpServer((_req, res) => {
    res.writeHead(403);
    res.end();
  });
  proxy.on('connect', (req, socket: Socket, head: Buffer) => {
    requested.push(req.url ?? '');
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (req.url !== `${TUF_HOST}:443`) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) socket.unshift(head);
    tls.emit('connection', socket);
  });
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  return {
    env: { https_proxy: proxyUrl, HTTPS_PROXY: proxyUrl, no_proxy: '127.0.0.1,localhost', NO_PROXY: '127.0.0.1,localhost', NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') },
    plantRoot(npmCache) {
      const cacheDir = join(npmCache, '_tuf', encodeURIComponent(TUF_HOST));
      mkdirSync(join(cacheDir, 'targets'), { recursive: true });
      writeFileSync(join(cacheDir, 'root.json'), repo.root);
    },
    requested,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((done) => proxy.close(() => done()));
      tls.close();
    },
  };
}
