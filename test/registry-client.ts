// A small HTTP client for registry tests: JSON calls with fetch, raw bytes over a socket (fetch would
// normalise the path), the document `npm publish` sends, and a listing of a data folder to show that
// a refused request stored nothing.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createTarball } from '../src/registry/index.js';

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  raw?: string | Buffer;
  accept?: string;
  basic?: string;
  headers?: Record<string, string>;
}

export async function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.basic) headers.authorization = `Basic ${Buffer.from(options.basic).toString('base64')}`;
  if (options.accept) headers.accept = options.accept;
  let body: string | Buffer | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  Object.assign(headers, options.headers);
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (a tarball, a page)
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Sends bytes exactly as given and returns the whole answer. */
export function raw(base: string, request: string | Buffer): Promise<string> {
  return new Promise((done) => {
    const s = connect(Number(new URL(base).port), '127.0.0.1', () => s.write(request));
    let text = '';
    s.on('data', (d) => (text += d));
    s.on('error', () => undefined);
    s.on('close', () => done(text));
  });
}

export function sri(data: Buffer): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

/** The document `npm publish` sends. */
export function publishBody(name: string, version: string, options: { tag?: string; tarball?: Buffer; integrity?: string; manifest?: Record<string, unknown> } = {}) {
  const manifest = { name, version, description: `${name} test`, ...options.manifest };
  const tarball = options.tarball ?? createTarball({ 'package.json': JSON.stringify(manifest), 'index.js': `module.exports = '${version}';\n` });
  const file = `${name.slice(name.indexOf('/') + 1)}-${version}.tgz`;
  return {
    _id: name, name, 'dist-tags': { [options.tag ?? 'latest']: version }, access: 'public',
    versions: { [version]: { ...manifest, _id: `${name}@${version}`, dist: { integrity: options.integrity ?? sri(tarball), shasum: createHash('sha1').update(tarball).digest('hex'), tarball: `http://x/${file}` } } },
    _attachments: { [file]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
  };
}

/** Every file of a data folder with its hash (the pid file aside). */
export function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p, `${rel}${e}/`);
      else if (e !== 'server.pid') out.push(`${rel}${e}:${createHash('sha1').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir, '');
  return out.sort();
}
