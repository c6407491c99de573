// packsec status's registry access, through npm's own libraries and the user's npm configuration:
// full documents through pacote, advisories through npm-registry-fetch as `npm audit` asks for them
// (gzip body, the registry's token from .npmrc, npm's proxy, TLS and retry settings).
import { pacote, registryFetch, type NpmConfig } from '../install/npm.js';
import { BULK_ADVISORIES_PATH } from '../util/advisory.js';
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

function unavailable(err: unknown): string {
  const e = err as { statusCode?: unknown; code?: unknown };
  const status = e?.statusCode;
  if (status === 404 || status === 405 || status === 501) return `the registry does not offer npm's bulk advisory endpoint (HTTP ${status})`;
  if (status === 401 || status === 403) return `the registry refused the request (HTTP ${status}); check its token in .npmrc`;
  if (typeof status === 'number') return `the registry answered HTTP ${status}`;
  return typeof e?.code === 'string' ? `cannot reach the registry (${e.code})` : 'the request failed';
}

async function askBulk(config: NpmConfig, query: AdvisoryQuery): Promise<BulkResult> {
  let res;
  try {
    res = await registryFetch()(BULK_ADVISORIES_PATH, { ...config.flat, method: 'POST', gzip: true, body: query });
  } catch (err) {
    return { available: false, reason: unavailable(err) };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) return { available: false, reason: `the answer is larger than ${MAX_ANSWER_BYTES} bytes` };
      chunks.push(chunk);
    }
    return { available: true, answer: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { available: false, reason: 'the answer was not JSON' };
  }
}

export function npmStatusPowers(config: NpmConfig): StatusPowers {
  return {
    // preferOnline: a deprecation or a new version from an hour ago must show.
    packument: (name) => pacote().packument(name, { ...config.flat, fullMetadata: true, preferOnline: true }),
    advisories: (query) => askBulk(config, query),
  };
}
