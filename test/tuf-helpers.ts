// A tiny TUF repository made in a test (one ed25519 key for every role, no consistent snapshots), for
// tools that refresh Sigstore's TUF metadata: npm's `audit signatures` and `packsec trust refresh`.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** OLPC canonical JSON, as TUF signs it. */
function canonical(value: unknown): string {
  if (typeof value === 'string') return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj).sort().map((k) => `${canonical(k)}:${canonical(obj[k])}`).join(',')}}`;
}

function signed(key: KeyObject, keyid: string, body: Record<string, unknown>): string {
  const sig = sign(null, Buffer.from(canonical(body)), key).toString('hex');
  return JSON.stringify({ signatures: [{ keyid, sig }], signed: body });
}

export interface TufRepository {
  /** root.json, to plant where the client starts from. */
  root: string;
  /** URL path (as requested, not decoded) → body. */
  files: Record<string, string | Buffer>;
}

/** Metadata valid for a day, listing `targets` (name → bytes), served under /targets/<name>. */
export function makeTufRepository(targets: Record<string, Buffer> = {}): TufRepository {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('hex');
  const keyDoc = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw } };
  const keyid = createHash('sha256').update(canonical(keyDoc)).digest('hex');
  const expires = new Date(Date.now() + 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const common = { spec_version: '1.0.31', version: 1, expires };
  const role = { keyids: [keyid], threshold: 1 };
  const listed = Object.fromEntries(Object.entries(targets).map(([name, bytes]) => [name, { length: bytes.length, hashes: { sha256: createHash('sha256').update(bytes).digest('hex') } }]));
  const files: Record<string, string | Buffer> = {
    '/timestamp.json': signed(privateKey, keyid, { _type: 'timestamp', ...common, meta: { 'snapshot.json': { version: 1 } } }),
    '/snapshot.json': signed(privateKey, keyid, { _type: 'snapshot', ...common, meta: { 'targets.json': { version: 1 } } }),
    '/targets.json': signed(privateKey, keyid, { _type: 'targets', ...common, targets: listed }),
  };
  for (const [name, bytes] of Object.entries(targets)) files[`/targets/${name}`] = bytes;
  return {
    root: signed(privateKey, keyid, { _type: 'root', ...common, consistent_snapshot: false, keys: { [keyid]: keyDoc }, roles: { root: role, timestamp: role, snapshot: role, targets: role } }),
    files,
  };
}

/** Answers a request for `url` from the repository: the body, or null for a 404. */
export function tufFile(repo: TufRepository, url: string | undefined): string | Buffer | null {
  return repo.files[(url ?? '').split('?')[0]!] ?? null;
}

/** Serves the repository over plain HTTP on 127.0.0.1. */
export async function serveTufRepository(repo: TufRepository): Promise<{ url: string; requested: string[]; close(): Promise<void> }> {
  const requested: string[] = [];
  const server = createServer((req, res) => {
    requested.push(req.url ?? '');
    const body = tufFile(repo, req.url);
    res.writeHead(body === null ? 404 : 200, { 'content-type': 'application/json' });
    res.end(body ?? '{}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requested,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
