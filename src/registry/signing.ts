// Registry signatures in npm's format: one ECDSA P-256 key per data folder, served at /-/npm/v1/keys,
// and on every version dist.signatures = [{ keyid, sig }] over `${name}@${version}:${integrity}`.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RegistryError } from './errors.js';

export interface RegistryKey {
  expires: string | null;
  keyid: string;
  keytype: 'ecdsa-sha2-nistp256';
  scheme: 'ecdsa-sha2-nistp256';
  /** Base64 of the DER SubjectPublicKeyInfo. */
  key: string;
}

export interface Signature {
  keyid: string;
  sig: string;
}

export interface SigningKey {
  keyid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The entry of this key in /-/npm/v1/keys. */
  entry: RegistryKey;
}

export const SIGNING_KEY_FILE = join('keys', 'signing-key.pem');

/** npm's key id: "SHA256:" and the base64 of the SHA-256 of the DER public key. */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64')}`;
}

function fromPrivateKey(privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  const keyid = keyIdOf(publicKey);
  const key = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return { keyid, privateKey, publicKey, entry: { expires: null, keyid, keytype: 'ecdsa-sha2-nistp256', scheme: 'ecdsa-sha2-nistp256', key } };
}

/**
 * The data folder's signing key, made on first use. Creation is exclusive (a hard link of a finished
 * temp file), so two processes starting at once agree on one key instead of the last writer winning.
 */
export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  const file = join(dataDir, SIGNING_KEY_FILE);
  try {
    return fromPrivateKey(createPrivateKey(readFileSync(file, 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new RegistryError('DATA_CORRUPT', `${file}: cannot read the registry signing key (${(err as Error).message})`);
    }
  }
  mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return fromPrivateKey(createPrivateKey(readFileSync(file, 'utf8')));
}

/** The message npm verifies (pacote lib/registry.js): `${name}@${version}:${integrity}`. */
export function signedMessage(name: string, version: string, integrity: string): string {
  return `${name}@${version}:${integrity}`;
}

/** Signs any message with the registry key: base64 DER ECDSA over SHA-256, npm's format. */
export function signMessage(key: SigningKey, message: string): Signature {
  return { keyid: key.keyid, sig: sign('sha256', Buffer.from(message), key.privateKey).toString('base64') };
}

/** Checks a signature of `message` against a key entry as npm does (DER ECDSA over SHA-256). */
export function verifyMessage(entry: RegistryKey, message: string, sig: string): boolean {
  const publicKey = createPublicKey({ key: Buffer.from(entry.key, 'base64'), format: 'der', type: 'spki' });
  return verify('sha256', Buffer.from(message), publicKey, Buffer.from(sig, 'base64'));
}

export function signVersion(key: SigningKey, name: string, version: string, integrity: string): Signature {
  return signMessage(key, signedMessage(name, version, integrity));
}

/** Checks one version signature against a key entry as npm does. */
export function verifySignature(entry: RegistryKey, name: string, version: string, integrity: string, sig: string): boolean {
  return verifyMessage(entry, signedMessage(name, version, integrity), sig);
}
