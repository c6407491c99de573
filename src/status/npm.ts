// packsec status's registry access, through npm's own libraries and the user's npm configuration:
// full documents through pacote, advisories through npm-registry-fetch as `npm audit` asks for them
// (gzip body, the registry's token from .npmrc, npm's proxy, TLS and retry settings), and packsec's signed
// notices and the registry's keys the same way.
import { pacote, registryFetch, type NpmConfig } from '../install/npm.js';
import { BULK_ADVISORIES_PATH } from '../util/advisory.js';
import { BULK_NOTICES_PATH } from '../util/notice.js';
import type { AdvisoryQuery, BulkResult, StatusPowers } from './collect.js';

// npm's answer for a few thousand packages is a few MB; anything far larger is not an answer.
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** A registry URL fit to print: no user name, password or query. */
export function displayRegistry(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.href.replace(/\/$/, '');
  } catch {
    return '(an unreadable registry URL)';
  }
}

function unavailable(err: unknown, endpoint: string): BulkResult {
  const e = err as { statusCode?: unknown; code?: unknown };
  const status = typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  const reason = status === 404 || status === 405 || status === 501 ? `the registry does not offer ${endpoint} (HTTP ${status})`
    : status === 401 || status === 403 ? `the registry refused the request (HTTP ${status}); check its token in .npmrc`
      : status !== undefined ? `the registry answered HTTP ${status}`
        : typeof e?.code === 'string' ? `cannot reach the registry (${e.code})` : 'the request failed';
  return { available: false, reason, ...(status !== undefined ? { status } : {}) };
}

/** The body as JSON, refused past MAX_ANSWER_BYTES. */
async function readAnswer(body: AsyncIterable<Buffer>): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) throw new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function askBulk(config: NpmConfig, path: string, endpoint: string, query: AdvisoryQuery): Promise<BulkResult> {
  let res;
  try {
    res = await registryFetch()(path, { ...config.flat, method: 'POST', gzip: true, body: query });
  } catch (err) {
    return unavailable(err, endpoint);
  }
  try {
    return { available: true, answer: await readAnswer(res.body) };
  } catch (err) {
    return { available: false, reason: err instanceof SyntaxError ? 'the answer was not JSON' : (err as Error).message };
  }
}

export function npmStatusPowers(config: NpmConfig): StatusPowers {
  return {
    // preferOnline: a deprecation or a new version from an hour ago must show.
    packument: (name) => pacote().packument(name, { ...config.flat, fullMetadata: true, preferOnline: true }),
    advisories: (query) => askBulk(config, BULK_ADVISORIES_PATH, "npm's bulk advisory endpoint", query),
    notices: (query) => askBulk(config, BULK_NOTICES_PATH, "packsec's signed notices", query),
    registryKeys: async () => readAnswer((await registryFetch()('/-/npm/v1/keys', { ...config.flat })).body),
  };
}
