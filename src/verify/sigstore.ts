// npm provenance: verifies the registry's attestations document for one version (Sigstore bundles, checked
// by @sigstore/verify against the pinned trust root) and returns the build identity Fulcio certified.
// No network here: the caller fetches /-/npm/v1/attestations/<name>@<version> and passes the JSON in.
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { Verifier, toSignedEntity, toTrustMaterial, type Signer, type TrustMaterial } from '@sigstore/verify';
import type { ProvenanceIdentity } from '../policy/index.js';
import { describeValue } from '../util/jsonpath.js';
import { SLSA_V02, SLSA_V1, checkPredicate, identityFromCertificate } from './provenance-identity.js';
import { loadTrustMaterial, type TrustMaterialSource } from './trust.js';

export const NPM_PUBLISH_V01 = 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1';
const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';
const IN_TOTO_STATEMENTS = new Set(['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1']);
const MAX_ATTESTATIONS = 16;

export type ProvenanceResult =
  | { status: 'verified'; identity: ProvenanceIdentity; publish: 'verified' | 'absent' | 'failed'; publishReason?: string }
  | { status: 'failed'; reason: string }
  | { status: 'absent' };

export interface AttestationSubject {
  name: string;
  version: string;
  /** The registry's dist.integrity (sha512-…). */
  integrity: string;
}

type Outcome<T> = { ok: T } | { reason: string };

/** npm's package URL for a version: the scope's @ is written %40 (npm-package-arg toPurl). */
export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
}

/** The hex sha512 of an SRI string, or null when it has none. */
function sha512Hex(integrity: string): string | null {
  for (const token of integrity.trim().split(/\s+/)) {
    if (!token.startsWith('sha512-')) continue;
    const bytes = Buffer.from(token.slice(7).replace(/\?.*$/, ''), 'base64');
    if (bytes.length === 64) return bytes.toString('hex');
  }
  return null;
}

const materials = new WeakMap<TrustMaterialSource, TrustMaterial>();

/** @sigstore/verify's trust material; publish attestations may only use npm's attestation keys. */
function sigstoreTrust(source: TrustMaterialSource): TrustMaterial {
  let m = materials.get(source);
  if (!m) {
    const keys = Object.fromEntries(source.npmKeys.filter((k) => k.usage === 'npm:attestations').map((k) => [k.keyId, k.publicKey]));
    m = toTrustMaterial(source.trustedRoot, keys);
    materials.set(source, m);
  }
  return m;
}

interface Entry {
  predicateType: string;
  bundle: unknown;
}

/** The document's attestations by predicate type, or why the document is unusable. */
function readDocument(doc: unknown): Outcome<Map<string, Entry>> {
  const list = (doc as { attestations?: unknown } | null)?.attestations;
  if (typeof doc !== 'object' || !Array.isArray(list)) return { reason: `the attestations document is ${describeValue(doc)}, not {"attestations": [...]}` };
  if (list.length > MAX_ATTESTATIONS) return { reason: `the document lists ${list.length} attestations (at most ${MAX_ATTESTATIONS})` };
  const byType = new Map<string, Entry>();
  for (const [i, raw] of list.entries()) {
    const e = raw as { predicateType?: unknown; bundle?: unknown } | null;
    if (typeof e !== 'object' || e === null || typeof e.predicateType !== 'string' || typeof e.bundle !== 'object' || e.bundle === null) {
      return { reason: `attestations[${i}] needs a predicateType string and a bundle object` };
    }
    if (byType.has(e.predicateType)) return { reason: `the document lists two ${e.predicateType} attestations` };
    byType.set(e.predicateType, { predicateType: e.predicateType, bundle: e.bundle });
  }
  return { ok: byType };
}

/** Verifies one bundle's signature, certificate or key, and log entries; returns the signer and the statement. */
function verifyBundle(entry: Entry, trust: TrustMaterial, keyless: boolean): Outcome<{ signer: Signer; statement: Record<string, unknown> }> {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(entry.bundle);
  } catch (err) {
    return { reason: `malformed bundle: ${(err as Error).message}` };
  }
  if (bundle.content.$case !== 'dsseEnvelope' || bundle.content.dsseEnvelope.payloadType !== IN_TOTO_PAYLOAD) {
    return { reason: 'the bundle is not a DSSE envelope of an in-toto statement' };
  }
  const material = bundle.verificationMaterial.content.$case;
  if (keyless !== (material === 'certificate' || material === 'x509CertificateChain')) {
    return { reason: keyless ? 'the bundle is not signed with a Fulcio certificate' : 'the bundle is not signed with a registry key' };
  }
  let signer: Signer;
  try {
    signer = new Verifier(trust).verify(toSignedEntity(bundle));
  } catch (err) {
    return { reason: (err as Error).message };
  }
  try {
    const statement = JSON.parse(bundle.content.dsseEnvelope.payload.toString('utf8')) as unknown;
    if (typeof statement !== 'object' || statement === null || Array.isArray(statement)) throw new Error('not an object');
    return { ok: { signer, statement: statement as Record<string, unknown> } };
  } catch (err) {
    return { reason: `the signed payload is not a JSON statement (${(err as Error).message})` };
  }
}

/** Null when the statement is about exactly this version's tarball, else why not. */
function checkStatement(statement: Record<string, unknown>, predicateType: string, subject: AttestationSubject, digest: string): string | null {
  if (!IN_TOTO_STATEMENTS.has(statement._type as string)) return `the statement's _type is ${describeValue(statement._type)}`;
  if (statement.predicateType !== predicateType) return `the signed predicate type ${describeValue(statement.predicateType)} differs from the listed ${predicateType}`;
  const subjects = statement.subject;
  if (!Array.isArray(subjects) || subjects.length !== 1) return 'the statement must name exactly one subject';
  const s = subjects[0] as { name?: unknown; digest?: { sha512?: unknown } } | null;
  const purl = npmPurl(subject.name, subject.version);
  if (s?.name !== purl) return `the statement is about ${describeValue(s?.name)}, not ${purl}`;
  if (s.digest?.sha512 !== digest) return `the statement's sha512 ${describeValue(s.digest?.sha512)} is not the registry's integrity ${subject.integrity}`;
  return null;
}

function verifyProvenance(entry: Entry, trust: TrustMaterial, subject: AttestationSubject, digest: string): Outcome<ProvenanceIdentity> {
  const verified = verifyBundle(entry, trust, true);
  if ('reason' in verified) return verified;
  const { signer, statement } = verified.ok;
  const wrong = checkStatement(statement, entry.predicateType, subject, digest);
  if (wrong) return { reason: wrong };
  const cert = identityFromCertificate(signer);
  if ('reason' in cert) return cert;
  const disagreement = checkPredicate(entry.predicateType, statement.predicate, cert.ok);
  if (disagreement) return { reason: disagreement };
  return { ok: cert.ok };
}

function verifyPublish(entry: Entry, trust: TrustMaterial, subject: AttestationSubject, digest: string): string | null {
  const verified = verifyBundle(entry, trust, false);
  if ('reason' in verified) return verified.reason;
  const wrong = checkStatement(verified.ok.statement, entry.predicateType, subject, digest);
  if (wrong) return wrong;
  const predicate = verified.ok.statement.predicate as { name?: unknown; version?: unknown } | null;
  if (predicate?.name !== subject.name || predicate.version !== subject.version) return 'the publish predicate names another package or version';
  return null;
}

/**
 * Verifies npm's attestations for one version: the SLSA provenance (keyless, Fulcio + Rekor) must verify
 * and agree with its certificate; the publish attestation (npm's key) is checked too. `doc` is the
 * registry's JSON, untrusted: garbage gives `failed` with a reason, never a throw.
 */
export function verifyAttestations(doc: unknown, subject: AttestationSubject, trust?: TrustMaterialSource): ProvenanceResult {
  if (doc === undefined || doc === null) return { status: 'absent' };
  const failed = (reason: string): ProvenanceResult => ({ status: 'failed', reason: `${subject.name}@${subject.version}: ${reason}` });
  try {
    if (typeof subject?.name !== 'string' || typeof subject.version !== 'string' || typeof subject.integrity !== 'string') {
      return { status: 'failed', reason: 'name, version and integrity must be strings' };
    }
    const digest = sha512Hex(subject.integrity);
    if (!digest) return failed(`integrity ${subject.integrity} has no sha512 digest`);
    const entries = readDocument(doc);
    if ('reason' in entries) return failed(entries.reason);
    const provenance = entries.ok.get(SLSA_V1) ?? entries.ok.get(SLSA_V02);
    if (entries.ok.has(SLSA_V1) && entries.ok.has(SLSA_V02)) return failed('the document lists both SLSA v1 and v0.2 provenance');
    if (!provenance) return { status: 'absent' };
    const material = sigstoreTrust(trust ?? loadTrustMaterial());
    const identity = verifyProvenance(provenance, material, subject, digest);
    if ('reason' in identity) return failed(`provenance: ${identity.reason}`);
    const publishEntry = entries.ok.get(NPM_PUBLISH_V01);
    if (!publishEntry) return { status: 'verified', identity: identity.ok, publish: 'absent' };
    const publishReason = verifyPublish(publishEntry, material, subject, digest);
    return publishReason
      ? { status: 'verified', identity: identity.ok, publish: 'failed', publishReason }
      : { status: 'verified', identity: identity.ok, publish: 'verified' };
  } catch (err) {
    // Reading the trust material, or a library surprised by a hostile document.
    return failed(`cannot verify: ${(err as Error)?.message ?? String(err)}`);
  }
}
