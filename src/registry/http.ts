// HTTP helpers for the routes: the hono environment, JSON errors in one shape, request bodies read
// with a limit enforced while they stream in, and documents answered with an ETag.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { Context } from 'hono';
import type { Caller } from './auth.js';
import { RegistryError } from './errors.js';

/** What @hono/node-server hands every request: the Node request and response behind it. */
export interface Bindings {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

export interface Env {
  Bindings: Bindings;
  Variables: { caller: Promise<Caller | null> };
}

export type C = Context<Env>;

export interface ErrorBody {
  error: string;
  code: string;
  hint?: string;
}

/** `{ error, code, hint }` and the status of the error's code; anything unexpected is a 500 without details. */
export function errorBody(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof RegistryError) {
    return { status: err.status, body: { error: err.message, code: err.code, ...(err.hint ? { hint: err.hint } : {}) } };
  }
  return { status: 500, body: { error: 'internal error', code: 'INTERNAL' } };
}

export function errorResponse(err: unknown): Response {
  const { status, body } = errorBody(err);
  // After a refused body the server reads and drops the rest for a bounded time, then closes the
  // connection (server.ts drainRefusedBody): closing at once would reset it and lose this answer.
  return Response.json(body, { status });
}

/** The request body, refused with 413 as soon as it passes `limit` bytes (before it is all read). */
export async function readBody(c: C, limit: number): Promise<Buffer> {
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    throw new RegistryError('TOO_LARGE', `request body of ${declared} bytes; the limit is ${limit}`);
  }
  const stream = c.req.raw.body;
  if (!stream) return Buffer.alloc(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let step: Awaited<ReturnType<typeof reader.read>>;
    try {
      step = await reader.read();
    } catch (err) {
      throw new RegistryError('BAD_REQUEST', `request body: ${(err as Error).message}`);
    }
    if (step.done) break;
    size += step.value.length;
    if (size > limit) {
      // The rest is drained (or the connection closed) by the server after the answer.
      reader.releaseLock();
      throw new RegistryError('TOO_LARGE', `request body over the limit of ${limit} bytes`);
    }
    chunks.push(step.value);
  }
  return Buffer.concat(chunks);
}

/** Only JSON is accepted where JSON is read; a body without a content type is taken as JSON (curl, scripts). */
function requireJsonType(c: C): void {
  const type = c.req.header('content-type');
  if (type === undefined || type.trim() === '') return;
  const media = type.split(';')[0]!.trim().toLowerCase();
  if (media === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(media)) return;
  throw new RegistryError('MEDIA_TYPE', `content-type ${JSON.stringify(media.slice(0, 60))} is not accepted here; expected application/json`);
}

/** The body as sent, or inflated when it came gzip-compressed (as npm sends audit requests), at most `limit` bytes. */
function decode(c: C, body: Buffer, limit: number): Buffer {
  const encoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return body;
  if (encoding !== 'gzip' && encoding !== 'x-gzip') throw new RegistryError('ENCODING', `content-encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported`);
  try {
    return gunzipSync(body, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new RegistryError('TOO_LARGE', `the inflated request body is over the limit of ${limit} bytes`);
    throw new RegistryError('BAD_REQUEST', 'the request body is not valid gzip');
  }
}

export async function readJson(c: C, limit: number): Promise<unknown> {
  requireJsonType(c);
  const body = decode(c, await readBody(c, limit), limit);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new RegistryError('BAD_JSON', 'the request body is not valid JSON');
  }
}

export async function readJsonObject(c: C, limit: number): Promise<Record<string, unknown>> {
  const value = await readJson(c, limit);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RegistryError('BAD_JSON', 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** A document clients cache: an ETag from its bytes, 304 when the client has it. */
export function sendDocument(c: C, body: unknown, contentType: string): Response {
  const text = JSON.stringify(body);
  const etag = `"${createHash('sha1').update(text).digest('base64url')}"`;
  if (c.req.header('if-none-match') === etag) return c.body(null, 304, { etag });
  return c.body(text, 200, { 'content-type': contentType, etag, 'cache-control': 'no-cache' });
}

/** Bytes as a download (tarballs, provenance bundles). */
export function sendBytes(c: C, data: Buffer, contentType: string, headers: Record<string, string> = {}): Response {
  return c.body(new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.length), 200, { 'content-type': contentType, 'content-length': String(data.length), ...headers });
}
