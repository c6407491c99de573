// The gallery's world: loopback listeners that play the attacker and the services packages talk to,
// packsec registries on 127.0.0.1 serving the replicas' packages, and sandboxes (a temporary HOME with
// fake secrets, a project, an environment built from scratch) in which npm, node and packsec run.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from build/examples/attacks/harness/ or examples/attacks/harness/. */
export const repoRoot = fileURLToPath(new URL(import.meta.url.includes('/build/') ? '../../../../' : '../../../', import.meta.url));
export const cliPath = join(repoRoot, 'bin', 'packsec.js');

/** A replica's folder in the repository: README.md, packages/, serve/. */
export function folderDir(folder: string): string {
  return join(repoRoot, 'examples', 'attacks', folder);
}

/** A replica's text with the run's addresses filled in: packages and payloads name where they send. */
export function fill(text: string, vars: Record<string, string>): string {
  return text.replace(/__(ATTACKER|SERVICE|PROOF)__/g, (whole, k: string) => vars[k] ?? whole);
}

export function write(file: string, content: string | object): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2) + '\n');
}

export function readJson(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Every file under a folder, relative to it, with its text. */
export function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${e}` : e;
      if (statSync(join(dir, r)).isDirectory()) walk(r);
      else out[r] = readFileSync(join(dir, r), 'utf8');
    }
  };
  walk('');
  return out;
}

export interface Recorded {
  port: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One loopback HTTP listener. It records every request (that is how the gallery sees what was
 * stolen) and answers GETs from the routes the replicas register (payloads, stub programs, fake APIs).
 */
export class Listener {
  readonly requests: Recorded[] = [];
  private readonly routes = new Map<string, { type: string; body: string }>();
  private server: Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.requests.push({ port: this.port, method: req.method ?? 'GET', path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const route = this.routes.get(path.split('?')[0]!);
        if (route) {
          res.writeHead(200, { 'content-type': route.type });
          res.end(route.body);
        } else if (req.method === 'GET') {
          res.writeHead(404);
          res.end();
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        }
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  serve(path: string, body: string, type = 'text/plain'): void {
    this.routes.set(path, { type, body });
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server!.close(() => done()));
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a program without blocking the event loop (the listeners live in this process). */
export function run(cmd: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  const started = performance.now();
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: Math.round(performance.now() - started) });
    });
  });
}

/** `packsec registry` as its own process, on a free port of 127.0.0.1, as a user runs it. */
export class RegistryProcess {
  private child: ChildProcess | null = null;
  url = '';

  constructor(readonly dataDir: string, private readonly args: string[]) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, [cliPath, 'registry', '--data', this.dataDir, '--port', '0', '--json', '--quiet', ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let out = '';
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.stdout!.setEncoding('utf8');
    while (!out.includes('\n')) {
      const [chunk] = await Promise.race([once(child.stdout!, 'data'), once(child, 'exit').then(() => { throw new Error(`packsec registry exited: ${err}`); })]) as [string];
      out += chunk;
    }
    this.url = (JSON.parse(out.split('\n')[0]!) as { url: string }).url;
  }

  /** host:port, as npm's .npmrc keys tokens by it. */
  get nerf(): string {
    return this.url.replace(/^https?:/, '').replace(/\/?$/, '/');
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }
}

export function tempDir(prefix: string, parent = tmpdir()): string {
  mkdirSync(parent, { recursive: true });
  return realpathSync(mkdtempSync(join(parent, prefix)));
}

/** Where npm is installed, so sandboxes can put it on a PATH built from scratch. */
function npmBinDir(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, 'npm'))) return dir;
  return '/usr/bin';
}

export interface SandboxOptions {
  /** The registry the project and ~/.npmrc point at. */
  registry: RegistryProcess;
  /** A token for that registry, written into ~/.npmrc and NPM_TOKEN (omit for a machine without credentials). */
  token?: string;
  /** npm's cache, shared between sandboxes to save downloads. */
  npmCache: string;
  /** Files of the project (package.json is required), path → text or JSON. */
  project: Record<string, string | object>;
  /** Files of the temporary HOME, on top of the standard fake secrets. */
  home?: Record<string, string>;
  /** Environment variables on top of the standard ones. */
  env?: NodeJS.ProcessEnv;
}

/**
 * A machine in miniature: HOME with fake secrets (a token in ~/.npmrc, an SSH key, cloud and wallet
 * keys, shell rc files), a project, and an environment built from scratch (never the caller's own,
 * which under `npm run` carries npm's variables).
 */
export class Sandbox {
  readonly home: string;
  readonly project: string;
  readonly secrets: { npmToken: string; githubToken: string; awsSecret: string; sshKey: string; walletKey: string };
  readonly env: NodeJS.ProcessEnv;

  constructor(readonly root: string, readonly options: SandboxOptions) {
    this.home = join(root, 'home');
    this.project = join(root, 'project');
    const tag = root.slice(-6).replace(/[^A-Za-z0-9]/g, 'x');
    this.secrets = {
      npmToken: options.token ?? '',
      githubToken: `ghp_FAKE${tag}0000000000000000000000000000`,
      awsSecret: `FAKE/aws/${tag}/secret0000000000000000`,
      sshKey: `FAKE-SSH-KEY-${tag}`,
      walletKey: `FAKE-WALLET-${tag}`,
    };
    this.resetHome();
    for (const [rel, content] of Object.entries(options.project)) write(join(this.project, rel), content);
    write(join(this.project, '.npmrc'), `registry=${options.registry.url}/\naudit=false\nfund=false\nupdate-notifier=false\n`);
    // A temp folder of its own: under the gallery's folder in the system's temp folder, the project would
    // otherwise lie inside $tmp, which policies grant freely.
    const tmp = join(root, 'tmp');
    mkdirSync(tmp, { recursive: true });
    this.env = {
      TMPDIR: tmp,
      PATH: [join(this.home, '.local', 'bin'), dirname(process.execPath), npmBinDir(), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter),
      HOME: this.home,
      USER: 'victim',
      LANG: 'C.UTF-8',
      NO_COLOR: '1',
      CI: '1',
      NO_UPDATE_NOTIFIER: '1',
      npm_config_cache: options.npmCache,
      ...(options.token ? { NPM_TOKEN: options.token, GITHUB_TOKEN: this.secrets.githubToken, AWS_SECRET_ACCESS_KEY: this.secrets.awsSecret } : {}),
      ...options.env,
    };
  }

  /** (Re)writes the temporary HOME: what a developer's machine holds, all fake. */
  resetHome(): void {
    rmSync(this.home, { recursive: true, force: true });
    const token = this.options.token;
    const files: Record<string, string> = {
      '.npmrc': `registry=${this.options.registry.url}/\n${token ? `${this.options.registry.nerf}:_authToken=${token}\n` : ''}`,
      '.bashrc': '# ~/.bashrc (fixture)\nexport PS1="$ "\n',
      '.zshrc': '# ~/.zshrc (fixture)\n',
      ...(token ? {
        '.ssh/id_ed25519': `-----BEGIN OPENSSH PRIVATE KEY-----\n${this.secrets.sshKey}\n-----END OPENSSH PRIVATE KEY-----\n`,
        '.aws/credentials': `[default]\naws_access_key_id = AKIAFAKEFAKEFAKE\naws_secret_access_key = ${this.secrets.awsSecret}\n`,
        '.config/solana/id.json': JSON.stringify([...Buffer.from(this.secrets.walletKey)]) + '\n',
        '.wallet/wallet.dat': `${this.secrets.walletKey}\n`,
      } : {}),
      ...this.options.home,
    };
    for (const [rel, text] of Object.entries(files)) {
      write(join(this.home, rel), text);
      // Programs the replicas expect to find on PATH (stub AI CLIs).
      if (rel.startsWith('.local/bin/')) chmodSync(join(this.home, rel), 0o755);
    }
  }

  /** Every secret that appears in `text`, as is, in base64 or in hex (how payloads disguise them). */
  secretsIn(text: string): string[] {
    const found: string[] = [];
    try {
      text += '\n' + decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      // not URL-encoded
    }
    for (const [name, value] of Object.entries(this.secrets)) {
      if (!value) continue;
      const forms = [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('hex')];
      if (forms.some((f) => text.includes(f)) || JSON.stringify(text).includes(value)) found.push(name);
    }
    // Payloads double-encode (nx base64-encoded its findings three times).
    for (let decoded = text, i = 0; i < 3; i++) {
      const b64 = decoded.match(/[A-Za-z0-9+/=]{16,}/g) ?? [];
      decoded = b64.map((s) => Buffer.from(s ?? '', 'base64').toString('utf8')).join('\n');
      for (const [name, value] of Object.entries(this.secrets)) if (value && decoded.includes(value) && !found.includes(name)) found.push(name);
    }
    return found;
  }

  /** Files that differ between two snapshots (made with `snapshot`). */
  static changed(before: Record<string, string>, after: Record<string, string>): string[] {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].filter((k) => before[k] !== after[k]).sort();
  }

  /** The text of every file under a folder of the sandbox (missing folder: empty). */
  snapshot(dir: string): Record<string, string> {
    return existsSync(dir) ? readTree(dir) : {};
  }

  /** What every command run in the sandbox printed, in order (replicas judge sabotage from it). */
  readonly output: string[] = [];

  private async exec(cmd: string, args: string[], extra: NodeJS.ProcessEnv): Promise<RunResult> {
    const res = await run(cmd, args, { cwd: this.project, env: { ...this.env, ...extra } });
    this.output.push(res.stdout + res.stderr);
    return res;
  }

  npm(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return this.exec('npm', args, extra);
  }

  node(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return this.exec(process.execPath, args, extra);
  }

  packsec(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return this.exec(process.execPath, [cliPath, ...args], extra);
  }
}
