// What the registry says about installed versions: its integrity value, its signature (checked against
// the registry's keys), its provenance attestation (checked against the pinned Sigstore root) and who
// published it. Fetched with the user's npm configuration (registry, scopes, auth); nothing here is
// trusted before it is checked, and what could not be checked says so.
import { createRequire } from 'node:module';
import type { ProvenanceIdentity, PublisherRecord } from '../policy/index.js';
import { pacote, type NpmConfig } from '../install/npm.js';
import { manifestOf, own, personName, type Packument } from '../install/packument.js';
import { parseRegistryKeys, verifyRegistrySignature, type RegistryKey, type SignatureResult } from './signatures.js';
import { verifyAttestations, type ProvenanceResult } from './sigstore.js';
import { loadTrustMaterial } from './trust.js';

const require = createRequire(import.meta.url);

interface NpmFetch {
  json(url: string, options: object): Promise<unknown>;
  pickRegistry(spec: string, options: object): string;
}

function npmFetch(): NpmFetch {
  return require('npm-registry-fetch') as NpmFetch;
}

export type Unavailable = { status: 'unavailable'; reason: string };

export interface RegistryFacts {
  name: string;
  version: string;
  registry: string;
  /** Set when the registry's document could not be fetched: nothing below was checked. */
  error?: string;
  /** The registry's `dist.integrity` for the version (undefined: the registry lists no such version or value). */
  integrity?: string;
  versionListed: boolean;
  signature: SignatureResult | Unavailable;
  provenance: ProvenanceResult | Unavailable;
  publisher?: PublisherRecord;
  packument?: Packument;
}

export interface ObserveOptions {
  config: NpmConfig;
  /** Parallel requests (default 16). */
  concurrency?: number;
  /** Documents fetched already (the install gate has them), by name. */
  packuments?: Map<string, Record<string, unknown>>;
  onProgress?: (done: number, total: number) => void;
}

/** The registry's facts for each `name@version`, fetched with bounded concurrency. */
export async function observeRegistry(items: Array<{ name: string; version: string }>, options: ObserveOptions): Promise<Map<string, RegistryFacts>> {
  const flat = { ...options.config.flat, before: null, fullMetadata: true, preferOnline: true };
  const unique = [...new Map(items.map((i) => [`${i.name}@${i.version}`, i])).values()];
  const packuments = new Map<string, Promise<Packument>>();
  for (const [name, doc] of options.packuments ?? []) packuments.set(name, Promise.resolve(doc as Packument));
  const keys = new Map<string, Promise<RegistryKey[] | Unavailable>>();
  const out = new Map<string, RegistryFacts>();
  let next = 0;
  let done = 0;
  const work = async (): Promise<void> => {
    while (next < unique.length) {
      const { name, version } = unique[next++]!;
      const registry = npmFetch().pickRegistry(name, flat);
      if (!packuments.has(name)) packuments.set(name, pacote().packument(name, flat) as Promise<Packument>);
      if (!keys.has(registry)) keys.set(registry, registryKeys(registry, flat));
      out.set(`${name}@${version}`, await factsFor(name, version, registry, packuments.get(name)!, keys.get(registry)!, flat));
      options.onProgress?.(++done, unique.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, unique.length) }, work));
  return out;
}

async function factsFor(
  name: string, version: string, registry: string, packument: Promise<Packument>, keys: Promise<RegistryKey[] | Unavailable>, flat: object,
): Promise<RegistryFacts> {
  let doc: Packument;
  try {
    doc = await packument;
  } catch (err) {
    const reason = fetchError(err);
    return { name, version, registry, error: reason, versionListed: false, signature: { status: 'unavailable', reason }, provenance: { status: 'unavailable', reason } };
  }
  const manifest = manifestOf(doc, version);
  if (!manifest) {
    const reason = `the registry lists no ${version}`;
    return { name, version, registry, versionListed: false, signature: { status: 'unavailable', reason }, provenance: { status: 'unavailable', reason }, packument: doc };
  }
  const dist = own(manifest, 'dist');
  const integrity = typeof own(dist, 'integrity') === 'string' ? (own(dist, 'integrity') as string) : undefined;
  const facts: RegistryFacts = { name, version, registry, versionListed: true, signature: { status: 'unsigned' }, provenance: { status: 'absent' }, packument: doc };
  if (integrity) facts.integrity = integrity;
  const published = publishedAt(doc, version);

  const k = await keys;
  if (!integrity) facts.signature = { status: 'unavailable', reason: 'the registry lists no integrity value to check a signature over' };
  else if ('status' in k) facts.signature = own(dist, 'signatures') === undefined ? { status: 'unsigned' } : k;
  else facts.signature = verifyRegistrySignature(k, { name, version, integrity, signatures: own(dist, 'signatures'), ...(published ? { publishedAt: published } : {}) });

  const attestations = own(dist, 'attestations');
  const url = own(attestations, 'url');
  if (attestations !== undefined) {
    if (typeof url !== 'string' || !integrity) facts.provenance = { status: 'failed', reason: 'the registry lists provenance without a usable url or integrity' };
    else {
      try {
        const bundle = await npmFetch().json(url, flat);
        facts.provenance = verifyAttestations(bundle, { name, version, integrity }, loadTrustMaterial());
      } catch (err) {
        facts.provenance = { status: 'unavailable', reason: `attestations at ${url}: ${fetchError(err)}` };
      }
    }
  }
  facts.publisher = publisherOf(manifest, facts.provenance);
  return facts;
}

/** The publisher record a lock keeps for this version. */
export function publisherOf(manifest: unknown, provenance: ProvenanceResult | Unavailable): PublisherRecord {
  const npmUser = personName(own(manifest, '_npmUser'));
  const rec: PublisherRecord = { provenance: 'none' };
  if (npmUser) rec.npmUser = npmUser;
  if (provenance.status === 'verified') {
    rec.provenance = 'verified';
    rec.identity = provenance.identity as ProvenanceIdentity;
  } else if (provenance.status !== 'absent') rec.provenance = 'unverified';
  return rec;
}

async function registryKeys(registry: string, flat: object): Promise<RegistryKey[] | Unavailable> {
  const url = `${registry.replace(/\/+$/, '')}/-/npm/v1/keys`;
  try {
    return parseRegistryKeys(await npmFetch().json(url, flat), url);
  } catch (err) {
    const code = (err as { statusCode?: number }).statusCode;
    // npm itself falls back to the keys Sigstore's TUF repository publishes for registry.npmjs.org.
    const pinned = pinnedKeysFor(registry);
    if (pinned) return pinned;
    return { status: 'unavailable', reason: code ? `${url} answered ${code}: the registry publishes no signing keys` : `${url}: ${fetchError(err)}` };
  }
}

/** npm's registry keys as Sigstore's TUF repository publishes them (pinned in packsec), for registry.npmjs.org only. */
function pinnedKeysFor(registry: string): RegistryKey[] | undefined {
  if (new URL(registry).host !== 'registry.npmjs.org') return undefined;
  const keys = loadTrustMaterial().npmKeys.filter((k) => k.usage === 'npm:signatures' && k.publicKey.rawBytes);
  return parseRegistryKeys({
    keys: keys.map((k) => ({
      keyid: k.keyId, keytype: 'ecdsa-sha2-nistp256', scheme: 'ecdsa-sha2-nistp256',
      key: Buffer.from(k.publicKey.rawBytes!).toString('base64'),
      expires: k.publicKey.validFor?.end ? new Date(k.publicKey.validFor.end).toISOString() : null,
    })),
  }, 'the pinned npm registry keys (data/sigstore/npm-keys.json)');
}

function publishedAt(doc: Packument, version: string): Date | undefined {
  const t = own(own(doc, 'time'), version);
  const d = typeof t === 'string' ? new Date(t) : undefined;
  return d && Number.isFinite(d.getTime()) ? d : undefined;
}

function fetchError(err: unknown): string {
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (e.statusCode) return `HTTP ${e.statusCode}`;
  return e.code ? `${e.code}: ${e.message ?? ''}`.trim() : String(e.message ?? err);
}
