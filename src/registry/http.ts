// Small HTTP helpers for the server: bounded body reading, JSON answers and JSON errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { RegistryError } from './errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** `{ error }` with the status of the error's code; anything unexpected is a 500 without details. */
export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof RegistryError) {
    sendJson(res, err.status, { error: err.message, code: err.code, ...(err.hint ? { hint: err.hint } : {}) }, err.code === 'TOO_LARGE' ? { connection: 'close' } : {});
    return;
  }
  sendJson(res, 500, { error: 'internal error', code: 'INTERNAL' });
}

/** The request body, refused with 413 as soon as it passes `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new RegistryError('TOO_LARGE', `request body of ${declared} bytes; the limit is ${limit}`));
  }
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        fail(new RegistryError('TOO_LARGE', `request body over the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) done(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) fail(new RegistryError('BAD_REQUEST', `request body: ${err.message}`));
      failed = true;
    });
  });
}

/** The body as sent, or inflated when it came gzip-compressed (as npm sends audit requests), at most `limit` bytes. */
function decode(req: IncomingMessage, body: Buffer, limit: number): Buffer {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return body;
  if (encoding !== 'gzip' && encoding !== 'x-gzip') throw new RegistryError('ENCODING', `content-encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported`);
  try {
    return gunzipSync(body, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new RegistryError('TOO_LARGE', `the inflated request body is over the limit of ${limit} bytes`);
    throw new RegistryError('BAD_REQUEST', 'the request body is not valid gzip');
  }
}

export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = decode(req, await readBody(req, limit), limit);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new RegistryError('BAD_JSON', 'the request body is not valid JSON');
  }
}

export async function readJsonObject(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const value = await readJson(req, limit);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RegistryError('BAD_JSON', 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}
