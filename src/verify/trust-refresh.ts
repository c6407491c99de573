// `packsec trust refresh`: fetches Sigstore's trusted root and npm's keys through TUF, starting from the TUF
// root pinned in data/sigstore/tuf-root.json, so a mirror can only serve what Sigstore's root keys signed.
// The result replaces the refreshed copy in the user's cache in one atomic write.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_MIRROR_URL, initTUF } from '@sigstore/tuf';
import { writeFileAtomic } from '../util/atomic.js';
import { userCacheDir } from '../util/cache-dir.js';
import { VerifyError } from './error.js';
import { SHIPPED_TUF_ROOT, refreshedTrustFile, trustMaterialFromJSON, type RefreshedTrustFile, type TrustMaterialSource } from './trust.js';

export const TRUSTED_ROOT_TARGET = 'trusted_root.json';
export const NPM_KEYS_TARGET = 'registry.npmjs.org%2Fkeys.json';

export interface RefreshOptions {
  cacheDir?: string;
  /** The TUF repository (default Sigstore's public one). */
  mirror?: string;
  /** Testing only: another TUF root to start from instead of the pinned one. */
  tufRoot?: string;
  timeoutMs?: number;
  now?: () => Date;
}

/** The error and its causes in one line (fetch hides the useful part, e.g. ENOTFOUND, in `cause`). */
function causes(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.message === 'string' && e.message && !parts.includes(e.message)) parts.push(e.message);
  }
  return parts.join(': ') || String(err);
}

async function fetchTargets(mirror: string, options: RefreshOptions, cacheDir: string): Promise<{ trustedRoot: unknown; npmKeys: unknown }> {
  const tuf = await initTUF({
    mirrorURL: mirror,
    cachePath: join(cacheDir, 'sigstore', 'tuf'),
    rootPath: options.tufRoot ?? SHIPPED_TUF_ROOT,
    // A root given for testing replaces whatever root an earlier refresh from this mirror left in the cache.
    forceInit: options.tufRoot !== undefined,
    forceCache: false,
    retry: false,
    timeout: options.timeoutMs ?? 15_000,
  });
  const trustedRoot = JSON.parse(await tuf.getTarget(TRUSTED_ROOT_TARGET)) as unknown;
  const npmKeys = JSON.parse(await tuf.getTarget(NPM_KEYS_TARGET)) as unknown;
  return { trustedRoot, npmKeys };
}

/** Refreshes the trust material through TUF and stores it in the cache; throws TRUST_REFRESH_FAILED naming the mirror. */
export async function refreshTrustMaterial(options: RefreshOptions = {}): Promise<TrustMaterialSource> {
  const mirror = (options.mirror ?? DEFAULT_MIRROR_URL).replace(/\/+$/, '');
  const cacheDir = options.cacheDir ?? userCacheDir();
  let targets: { trustedRoot: unknown; npmKeys: unknown };
  try {
    targets = await fetchTargets(mirror, options, cacheDir);
  } catch (err) {
    throw new VerifyError('TRUST_REFRESH_FAILED', `cannot refresh the Sigstore trust root from ${mirror}: ${causes(err)}`);
  }
  const file = refreshedTrustFile(cacheDir);
  const doc: RefreshedTrustFile = { refreshedAt: (options.now?.() ?? new Date()).toISOString(), mirror, ...targets };
  // Checked before it is stored: TUF vouches for the bytes, this for their shape.
  const source = trustMaterialFromJSON(doc.trustedRoot, doc.npmKeys, { origin: 'refreshed', location: `${mirror}/targets`, refreshedAt: doc.refreshedAt, mirror });
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(doc, null, 2) + '\n');
  return { ...source, location: file };
}
