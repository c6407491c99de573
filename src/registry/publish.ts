// The document `npm publish` sends, read into one new version: exactly one version, its tarball
// (base64, length checked) and an optional Sigstore provenance bundle. Pure: no I/O, every refusal a
// RegistryError naming the field.
import { RegistryError } from './errors.js';
import { tarballFileName, validateTag } from './names.js';
import type { Attestation } from './storage.js';

export interface PublishDocument {
  version: string;
  manifest: Record<string, unknown>;
  tarball: Buffer;
  tag: string;
  attestations: Attestation[];
}

function decodeAttachment(name: string, att: unknown): Buffer {
  const a = att as { data?: unknown; length?: unknown } | null;
  if (typeof a?.data !== 'string') throw new RegistryError('BAD_REQUEST', `_attachments["${name}"].data: expected a base64 string`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(a.data)) throw new RegistryError('BAD_REQUEST', `_attachments["${name}"].data: not base64`);
  const data = Buffer.from(a.data, 'base64');
  if (a.length !== undefined && a.length !== data.length) {
    throw new RegistryError('INTEGRITY', `_attachments["${name}"]: length says ${String(a.length)}, the data has ${data.length} bytes`);
  }
  return data;
}

function parseOr<T>(text: unknown, read: (t: string) => T): T | undefined {
  try {
    return typeof text === 'string' ? read(text) : undefined;
  } catch {
    return undefined;
  }
}

/** A provenance bundle npm attaches as `<name>-<version>.sigstore`: kept as an attestation, checked by verify. */
function attestationOf(file: string, att: unknown): Attestation {
  const bundle = parseOr((att as { data?: unknown } | null)?.data, (t) => JSON.parse(t) as unknown);
  const payload = (bundle as { dsseEnvelope?: { payload?: unknown } } | undefined)?.dsseEnvelope?.payload;
  const statement = parseOr(payload, (t) => JSON.parse(Buffer.from(t, 'base64').toString('utf8')) as { predicateType?: unknown });
  const predicateType = statement?.predicateType;
  if (typeof predicateType !== 'string') throw new RegistryError('BAD_REQUEST', `_attachments["${file}"]: not a Sigstore bundle with a DSSE in-toto statement`);
  return { predicateType, bundle };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a PUT of a package document carries a tarball (a publish) rather than metadata only. */
export function hasAttachments(body: Record<string, unknown>): boolean {
  return isObject(body._attachments) && Object.keys(body._attachments).length > 0;
}

/** Reads the publish document for `name` (the name in the URL, already validated). */
export function readPublishDocument(name: string, body: Record<string, unknown>): PublishDocument {
  if ((body.name !== undefined && body.name !== name) || (body._id !== undefined && body._id !== name)) {
    throw new RegistryError('BAD_REQUEST', `the document is for ${String(body.name ?? body._id).slice(0, 100)}, the URL for ${name}`);
  }
  const attachments = body._attachments;
  if (!isObject(attachments)) throw new RegistryError('BAD_REQUEST', '_attachments: expected an object');
  const versions = isObject(body.versions) ? body.versions : {};
  const versionKeys = Object.keys(versions);
  if (versionKeys.length !== 1) throw new RegistryError('BAD_REQUEST', `versions: expected exactly one version to publish, got ${versionKeys.length}`);
  const version = versionKeys[0]!;
  const manifest = versions[version];
  if (!isObject(manifest)) throw new RegistryError('BAD_REQUEST', `versions["${version.slice(0, 100)}"]: expected an object`);
  if (manifest.name !== name || manifest.version !== version) {
    throw new RegistryError('BAD_REQUEST', `versions["${version.slice(0, 100)}"]: the manifest says ${String(manifest.name).slice(0, 100)}@${String(manifest.version).slice(0, 100)}`);
  }
  const tgzNames = [tarballFileName(name, version), `${name}-${version}.tgz`];
  let tarball: Buffer | undefined;
  const attestations: Attestation[] = [];
  for (const [file, att] of Object.entries(attachments)) {
    if (tgzNames.includes(file) && !tarball) tarball = decodeAttachment(file, att);
    else if (file === `${name}-${version}.sigstore`) attestations.push(attestationOf(file, att));
    else throw new RegistryError('BAD_REQUEST', `_attachments: unexpected attachment ${JSON.stringify(file.slice(0, 200))} (expected ${tgzNames[0]})`);
  }
  if (!tarball) throw new RegistryError('BAD_REQUEST', `_attachments: no tarball ${tgzNames[0]}`);
  const tags = isObject(body['dist-tags']) ? body['dist-tags'] : {};
  const tag = validateTag(Object.keys(tags).find((t) => tags[t] === version) ?? 'latest');
  return { version, manifest, tarball, tag, attestations };
}
