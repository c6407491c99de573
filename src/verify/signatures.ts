// npm registry signatures: ECDSA P-256 over `${name}@${version}:${integrity}`, listed in a version's
// dist.signatures and checked against the keys the registry serves at /-/npm/v1/keys. No network here.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { describeValue, formatPath, type PathSegment } from '../util/jsonpath.js';
import { VerifyError } from './error.js';

/** The one key type and scheme npm's registry uses (and the only one packsec can check). */
const ECDSA_P256 = 'ecdsa-sha2-nistp256';
const MAX_KEYS = 100;
const MAX_SIGNATURES = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface RegistryKey {
  keyid: string;
  keytype: string;
  scheme: string;
  /** Base64 of the DER SubjectPublicKeyInfo, as served. */
  key: string;
  /** After this instant the key signs nothing new; null: no expiry. */
  expires: Date | null;
  /** The parsed key, or null when keytype/scheme is one packsec cannot check. */
  publicKey: KeyObject | null;
}

export type SignatureResult =
  | { status: 'verified'; keyid: string }
  | { status: 'unsigned' }
  | { status: 'no-keys' }
  | { status: 'failed'; reason: string };

export interface SignedVersion {
  name: string;
  version: string;
  integrity: string;
  /** The version's dist.signatures, straight from the packument (untrusted). */
  signatures: unknown;
  /** The registry's publish time of the version; a key must not have expired before it. */
  publishedAt?: Date;
}

function field(source: string, path: PathSegment[], value: unknown, expected: string): VerifyError {
  return new VerifyError('REGISTRY_KEYS_INVALID', `${source}: ${formatPath(path)}: expected ${expected}, got ${describeValue(value)}`);
}

function stringAt(source: string, entry: Record<string, unknown>, path: PathSegment[], name: string): string {
  const value = entry[name];
  if (typeof value !== 'string' || value === '') throw field(source, [...path, name], value, 'a non-empty string');
  return value;
}

function parseKey(source: string, entry: unknown, path: PathSegment[]): RegistryKey {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw field(source, path, entry, 'an object');
  const e = entry as Record<string, unknown>;
  const keyid = stringAt(source, e, path, 'keyid');
  const keytype = stringAt(source, e, path, 'keytype');
  const scheme = stringAt(source, e, path, 'scheme');
  const key = stringAt(source, e, path, 'key');
  let expires: Date | null = null;
  if (e.expires !== null && e.expires !== undefined) {
    expires = typeof e.expires === 'string' ? new Date(e.expires) : new Date(NaN);
    if (Number.isNaN(expires.getTime())) throw field(source, [...path, 'expires'], e.expires, 'null or an ISO date');
  }
  let publicKey: KeyObject | null = null;
  if (keytype === ECDSA_P256 && scheme === ECDSA_P256) {
    try {
      if (!BASE64.test(key)) throw new Error('not base64');
      publicKey = createPublicKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'spki' });
    } catch {
      throw field(source, [...path, 'key'], key, 'the base64 of a DER public key');
    }
    if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw field(source, [...path, 'key'], key, 'a P-256 public key');
    }
  }
  return { keyid, keytype, scheme, key, expires, publicKey };
}

/**
 * Reads the registry's /-/npm/v1/keys document. Throws a VerifyError naming `source` and the JSON path
 * of the first problem; a well-formed key of a type packsec cannot check is kept with publicKey null.
 */
export function parseRegistryKeys(json: unknown, source: string): RegistryKey[] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw field(source, [], json, 'an object with "keys"');
  const list = (json as Record<string, unknown>).keys;
  if (!Array.isArray(list)) throw field(source, ['keys'], list, 'an array');
  if (list.length > MAX_KEYS) throw new VerifyError('REGISTRY_KEYS_INVALID', `${source}: keys: more than ${MAX_KEYS} keys`);
  const keys = list.map((entry, i) => parseKey(source, entry, ['keys', i]));
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    if (seen.has(k.keyid)) throw new VerifyError('REGISTRY_KEYS_INVALID', `${source}: keys[${i}].keyid: ${k.keyid} is listed twice`);
    seen.add(k.keyid);
  });
  return keys;
}

/**
 * Whether `sig` (base64, as registries send it) is `publicKey`'s ECDSA-SHA256 signature of `message`:
 * 'malformed' when it is not base64 of a sensible length. Never throws.
 */
export function signatureMatches(publicKey: KeyObject, message: string, sig: string): 'ok' | 'malformed' | 'mismatch' {
  if (sig.length > 1024 || !BASE64.test(sig)) return 'malformed';
  try {
    return verify('sha256', Buffer.from(message), publicKey, Buffer.from(sig, 'base64')) ? 'ok' : 'mismatch';
  } catch {
    return 'mismatch';
  }
}

/** One listed signature: the key that verified it, or why it does not verify. */
function checkOne(keys: RegistryKey[], v: SignedVersion, entry: unknown, index: number): { keyid: string } | { reason: string } {
  const where = `dist.signatures[${index}]`;
  if (typeof entry !== 'object' || entry === null) return { reason: `${where} is not an object` };
  const { keyid, sig } = entry as Record<string, unknown>;
  if (typeof keyid !== 'string' || typeof sig !== 'string') return { reason: `${where} needs string keyid and sig` };
  const key = keys.find((k) => k.keyid === keyid);
  if (!key) return { reason: `${where} is signed with ${JSON.stringify(keyid)}, which is not among the registry's keys` };
  if (!key.publicKey) return { reason: `${where}: key ${keyid} is ${key.keytype}/${key.scheme}, which packsec cannot check` };
  const publishedAt = v.publishedAt ?? new Date();
  if (key.expires && !(publishedAt.getTime() < key.expires.getTime())) {
    const when = v.publishedAt ? `published ${v.publishedAt.toISOString()}` : 'of unknown publish time';
    return { reason: `${where}: key ${keyid} expired ${key.expires.toISOString()}, and this version was ${when}` };
  }
  const matches = signatureMatches(key.publicKey, `${v.name}@${v.version}:${v.integrity}`, sig);
  if (matches === 'malformed') return { reason: `${where}.sig is not base64` };
  return matches === 'ok' ? { keyid } : { reason: `${where} does not match ${v.name}@${v.version} with integrity ${v.integrity} (key ${keyid})` };
}

/**
 * Checks a version's registry signatures the way npm does: every listed signature must verify with a
 * listed key that had not expired when the version was published. Never throws.
 */
export function verifyRegistrySignature(keys: RegistryKey[], v: SignedVersion): SignatureResult {
  const { signatures } = v;
  if (signatures === undefined || signatures === null || (Array.isArray(signatures) && signatures.length === 0)) return { status: 'unsigned' };
  if (!Array.isArray(signatures)) return { status: 'failed', reason: `dist.signatures is ${describeValue(signatures)}, not a list` };
  if (typeof v.name !== 'string' || typeof v.version !== 'string' || typeof v.integrity !== 'string') {
    return { status: 'failed', reason: 'name, version and integrity must be strings' };
  }
  if (keys.length === 0) return { status: 'no-keys' };
  if (signatures.length > MAX_SIGNATURES) return { status: 'failed', reason: `dist.signatures lists ${signatures.length} signatures (at most ${MAX_SIGNATURES})` };
  let first: string | undefined;
  for (const [i, entry] of signatures.entries()) {
    const result = checkOne(keys, v, entry, i);
    if ('reason' in result) return { status: 'failed', reason: result.reason };
    first ??= result.keyid;
  }
  return { status: 'verified', keyid: first! };
}
