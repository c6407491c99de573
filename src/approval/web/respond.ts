// Fetch-API plumbing for the approver UI: security headers on every answer (a strict CSP among them),
// bounded body reading, and HTML, JSON and redirect responses.
import type { Html } from './html.js';
import { WebError } from './errors.js';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  // No script of ours writes HTML; with Trusted Types any attempt would throw. The one policy lets
  // app.js name the service worker's URL, and only that URL.
  "require-trusted-types-for 'script'",
  'trusted-types packsec',
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Not no-referrer: with it browsers send "Origin: null" on form posts, and the Origin check needs the origin.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'publickey-credentials-get=(self), publickey-credentials-create=(self), camera=(), microphone=(), geolocation=()',
  'cache-control': 'no-store',
};

function respond(status: number, body: ConstructorParameters<typeof Response>[0], type: string | null, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, ...(type ? { 'content-type': type } : {}), ...headers } });
}

export function htmlResponse(status: number, page: Html, headers?: Record<string, string>): Response {
  return respond(status, page.text, 'text/html; charset=utf-8', headers);
}

export function jsonResponse(status: number, body: unknown, headers?: Record<string, string>): Response {
  return respond(status, JSON.stringify(body), 'application/json', headers);
}

export function assetResponse(body: Uint8Array, type: string): Response {
  return respond(200, body as Uint8Array<ArrayBuffer>, type, { 'cache-control': 'no-cache' });
}

/** 303: after a POST the browser follows with a GET. */
export function redirect(location: string, headers: Record<string, string> = {}): Response {
  return respond(303, null, null, { location, ...headers });
}

async function readBody(request: Request, limit: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new WebError('TOO_LARGE', `request body of ${declared} bytes; the limit is ${limit}`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > limit) {
        await reader.cancel();
        throw new WebError('TOO_LARGE', `request body over the limit of ${limit} bytes`);
      }
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks);
}

function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

export async function readJsonObject(request: Request, limit: number): Promise<Record<string, unknown>> {
  if (mediaType(request) !== 'application/json') throw new WebError('MEDIA_TYPE', 'expected application/json');
  let value: unknown;
  try {
    value = JSON.parse((await readBody(request, limit)).toString('utf8'));
  } catch (err) {
    if (err instanceof WebError) throw err;
    throw new WebError('BAD_REQUEST', 'the request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WebError('BAD_REQUEST', 'expected a JSON object');
  return value as Record<string, unknown>;
}

export async function readForm(request: Request, limit: number): Promise<URLSearchParams> {
  if (mediaType(request) !== 'application/x-www-form-urlencoded') throw new WebError('MEDIA_TYPE', 'expected a form');
  return new URLSearchParams((await readBody(request, limit)).toString('utf8'));
}
