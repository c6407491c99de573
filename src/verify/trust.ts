// The Sigstore trust material provenance is checked against: Sigstore's trusted root (Fulcio CAs, Rekor and
// CT log keys) and npm's registry keys, as shipped in data/sigstore/ or as refreshed through TUF into the
// user's cache. Reading and validating it lives here; the refresh itself is in trust-refresh.ts.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PublicKey, TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial } from '@sigstore/verify';
import { userCacheDir } from '../util/cache-dir.js';
import { describeValue } from '../util/jsonpath.js';
import { VerifyError } from './error.js';

export const SHIPPED_TRUST_DIR = fileURLToPath(new URL('../../../data/sigstore/', import.meta.url));
export const SHIPPED_TUF_ROOT = join(SHIPPED_TRUST_DIR, 'tuf-root.json');
const TRUSTED_ROOT_MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\.v[\d.]+)?\+json(;version=[\d.]+)?$/;
const MAX_NPM_KEYS = 100;

/** One of npm's keys from Sigstore's TUF repository (registry.npmjs.org/keys.json). */
export interface NpmKey {
  keyId: string;
  /** npm:signatures (registry signatures) or npm:attestations (publish attestations). */
  usage: string;
  publicKey: PublicKey;
}

export interface TrustMaterialSource {
  /** shipped: data/sigstore in the packsec package; refreshed: `packsec trust refresh` wrote it. */
  origin: 'shipped' | 'refreshed';
  /** The file (or folder, when shipped) it was read from. */
  location: string;
  /** When it was fetched through TUF (refreshed only). */
  refreshedAt?: string;
  /** The TUF mirror it came from (refreshed only). */
  mirror?: string;
  trustedRoot: TrustedRoot;
  npmKeys: NpmKey[];
}

/** What the refreshed copy in the cache holds: one document, so it is replaced atomically. */
export interface RefreshedTrustFile {
  refreshedAt: string;
  mirror: string;
  trustedRoot: unknown;
  npmKeys: unknown;
}

export function refreshedTrustFile(cacheDir = userCacheDir()): string {
  return join(cacheDir, 'sigstore', 'trust.json');
}

function invalid(where: string, what: string): VerifyError {
  return new VerifyError('TRUST_INVALID', `${where}: ${what}`);
}

function parseTrustedRoot(json: unknown, where: string): TrustedRoot {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid(where, `trusted root: expected an object, got ${describeValue(json)}`);
  const mediaType = (json as Record<string, unknown>).mediaType;
  if (typeof mediaType !== 'string' || !TRUSTED_ROOT_MEDIA_TYPE.test(mediaType)) throw invalid(where, `trusted root: mediaType: expected a Sigstore trusted root, got ${describeValue(mediaType)}`);
  try {
    const root = TrustedRoot.fromJSON(json);
    toTrustMaterial(root); // parses every certificate and key, so a broken one is found here, not mid-verification
    return root;
  } catch (err) {
    throw invalid(where, `trusted root: ${(err as Error).message}`);
  }
}

function parseNpmKeys(json: unknown, where: string): NpmKey[] {
  const keys = (json as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length > MAX_NPM_KEYS) throw invalid(where, `npm keys: keys: expected a list of at most ${MAX_NPM_KEYS} keys, got ${describeValue(keys)}`);
  return keys.map((entry: unknown, i) => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof e.keyId !== 'string' || typeof e.keyUsage !== 'string' || typeof e.publicKey !== 'object' || e.publicKey === null) {
      throw invalid(where, `npm keys: keys[${i}]: expected keyId, keyUsage and publicKey`);
    }
    const publicKey = PublicKey.fromJSON(e.publicKey);
    if (!publicKey.rawBytes?.length) throw invalid(where, `npm keys: keys[${i}].publicKey.rawBytes: expected base64 bytes`);
    return { keyId: e.keyId, usage: e.keyUsage, publicKey };
  });
}

/** Builds trust material from the JSON of a trusted root and of npm's keys; throws TRUST_INVALID naming `where`. */
export function trustMaterialFromJSON(
  trustedRoot: unknown,
  npmKeys: unknown,
  origin: Pick<TrustMaterialSource, 'origin' | 'location' | 'refreshedAt' | 'mirror'>,
): TrustMaterialSource {
  return { ...origin, trustedRoot: parseTrustedRoot(trustedRoot, origin.location), npmKeys: parseNpmKeys(npmKeys, origin.location) };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw invalid(file, (err as Error).message);
  }
}

function readRefreshed(file: string): TrustMaterialSource | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw invalid(file, (err as Error).message);
  }
  let doc: Partial<RefreshedTrustFile>;
  try {
    doc = JSON.parse(text) as Partial<RefreshedTrustFile>;
  } catch (err) {
    throw invalid(file, (err as Error).message);
  }
  if (typeof doc?.refreshedAt !== 'string' || typeof doc.mirror !== 'string') throw invalid(file, 'expected refreshedAt and mirror');
  return trustMaterialFromJSON(doc.trustedRoot, doc.npmKeys, { origin: 'refreshed', location: file, refreshedAt: doc.refreshedAt, mirror: doc.mirror });
}

/** The trust material in use: the refreshed copy in the cache when there is one, else the shipped one. */
export function loadTrustMaterial(options: { cacheDir?: string } = {}): TrustMaterialSource {
  const refreshed = readRefreshed(refreshedTrustFile(options.cacheDir));
  if (refreshed) return refreshed;
  return trustMaterialFromJSON(readJson(join(SHIPPED_TRUST_DIR, 'trusted_root.json')), readJson(join(SHIPPED_TRUST_DIR, 'npm-keys.json')), {
    origin: 'shipped',
    location: SHIPPED_TRUST_DIR,
  });
}

export interface TrustSummary {
  origin: 'shipped' | 'refreshed';
  location: string;
  refreshedAt?: string;
  mirror?: string;
  fulcio: { uri: string; subject: string; rootSha256: string; validFrom?: string; validUntil?: string }[];
  rekor: { url: string; keyId: string; validFrom?: string; validUntil?: string }[];
  ctlogs: { url: string; keyId: string; validFrom?: string; validUntil?: string }[];
  npmKeys: { keyId: string; usage: string; validFrom?: string; validUntil?: string }[];
}

function window(range: { start?: Date | undefined; end?: Date | undefined } | undefined): { validFrom?: string; validUntil?: string } {
  return { ...(range?.start ? { validFrom: range.start.toISOString() } : {}), ...(range?.end ? { validUntil: range.end.toISOString() } : {}) };
}

/** What `packsec trust show` prints: where the material came from and the key ids it trusts. */
export function summarizeTrust(source: TrustMaterialSource): TrustSummary {
  const root = source.trustedRoot;
  const log = (t: TrustedRoot['tlogs'][number]) => ({
    url: t.baseUrl,
    keyId: (t.checkpointKeyId ?? t.logId)?.keyId.toString('base64') ?? '',
    ...window(t.publicKey?.validFor),
  });
  return {
    origin: source.origin,
    location: source.location,
    ...(source.refreshedAt ? { refreshedAt: source.refreshedAt } : {}),
    ...(source.mirror ? { mirror: source.mirror } : {}),
    fulcio: root.certificateAuthorities.map((ca) => {
      const chain = ca.certChain?.certificates ?? [];
      const top = chain[chain.length - 1]?.rawBytes ?? Buffer.alloc(0);
      return {
        uri: ca.uri,
        subject: [ca.subject?.organization, ca.subject?.commonName].filter(Boolean).join(', '),
        rootSha256: createHash('sha256').update(top).digest('hex'),
        ...window(ca.validFor),
      };
    }),
    rekor: root.tlogs.map(log),
    ctlogs: root.ctlogs.map(log),
    npmKeys: source.npmKeys.map((k) => ({ keyId: k.keyId, usage: k.usage, ...window(k.publicKey.validFor) })),
  };
}
