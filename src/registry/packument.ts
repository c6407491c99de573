// Packuments as npm reads them: the full document (npm view, publish, deprecate) and the abbreviated
// "corgi" one for installs. Only public versions appear; pending and rejected ones do not exist here.
import { createHash } from 'node:crypto';
import { packagePath } from './names.js';
import type { PackageRecord, VersionRecord } from './storage.js';

export const CORGI_TYPE = 'application/vnd.npm.install-v1+json';

// What npm's abbreviated metadata keeps of each version (pacote and the public registry agree on these).
const CORGI_FIELDS = [
  'name', 'version', 'deprecated', 'dependencies', 'optionalDependencies', 'devDependencies', 'bundleDependencies',
  'bundledDependencies', 'peerDependencies', 'peerDependenciesMeta', 'acceptDependencies', 'bin', 'directories',
  'engines', 'os', 'cpu', 'libc', 'funding', 'license', '_hasShrinkwrap', 'hasInstallScript',
];

// Top-level fields of the full packument taken from the latest version, as the public registry does.
const TOP_FIELDS = ['description', 'homepage', 'keywords', 'repository', 'bugs', 'license', 'author', 'readmeFilename'];

const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];

export function publicVersions(record: PackageRecord): string[] {
  return Object.keys(record.versions).filter((v) => record.versions[v]!.state === 'public');
}

export function publicDistTags(record: PackageRecord): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [tag, v] of Object.entries(record.distTags)) if (record.versions[v]?.state === 'public') tags[tag] = v;
  return tags;
}

export function tarballUrl(publicUrl: string, name: string, file: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/${packagePath(name)}/-/${file}`;
}

export function attestationsUrl(publicUrl: string, name: string, version: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/-/npm/v1/attestations/${packagePath(name)}@${version}`;
}

function dist(record: PackageRecord, version: string, v: VersionRecord, publicUrl: string): Record<string, unknown> {
  return {
    integrity: v.integrity,
    shasum: v.shasum,
    tarball: tarballUrl(publicUrl, record.name, v.tarball),
    fileCount: v.fileCount,
    unpackedSize: v.unpackedSize,
    signatures: v.signatures,
    ...(v.attestations && v.predicateTypes?.length
      ? { attestations: { url: attestationsUrl(publicUrl, record.name, version), provenance: { predicateType: v.predicateTypes[0] } } }
      : {}),
  };
}

function hasInstallScript(manifest: Record<string, unknown>): boolean {
  const scripts = manifest.scripts;
  return typeof scripts === 'object' && scripts !== null && INSTALL_SCRIPTS.some((s) => s in scripts);
}

/** One version as the full packument lists it (also served at /:name/:version). */
export function versionDocument(record: PackageRecord, version: string, publicUrl: string): Record<string, unknown> {
  const v = record.versions[version]!;
  const { readme: _readme, ...manifest } = v.manifest;
  return {
    ...manifest,
    name: record.name,
    version,
    _id: `${record.name}@${version}`,
    ...(hasInstallScript(v.manifest) ? { hasInstallScript: true } : {}),
    _npmUser: v.npmUser,
    maintainers: Array.isArray(v.manifest.maintainers) ? v.manifest.maintainers : record.maintainers,
    dist: dist(record, version, v, publicUrl),
  };
}

export function revision(record: PackageRecord): string {
  return `${record.rev}-${createHash('sha256').update(`${record.name}\0${record.rev}\0${record.modifiedAt}`).digest('hex').slice(0, 32)}`;
}

export function fullPackument(record: PackageRecord, publicUrl: string): Record<string, unknown> {
  const versions = publicVersions(record);
  const tags = publicDistTags(record);
  const time: Record<string, string> = { created: record.createdAt, modified: record.modifiedAt };
  const docs: Record<string, unknown> = {};
  for (const version of versions) {
    docs[version] = versionDocument(record, version, publicUrl);
    time[version] = record.versions[version]!.publishedAt ?? record.versions[version]!.uploadedAt;
  }
  const latest = tags.latest ? record.versions[tags.latest]!.manifest : {};
  const top: Record<string, unknown> = {};
  for (const field of TOP_FIELDS) if (latest[field] !== undefined) top[field] = latest[field];
  return {
    _id: record.name,
    _rev: revision(record),
    name: record.name,
    ...top,
    'dist-tags': tags,
    versions: docs,
    time,
    maintainers: record.maintainers,
    ...(typeof latest.readme === 'string' ? { readme: latest.readme } : {}),
  };
}

export function abbreviatedPackument(record: PackageRecord, publicUrl: string): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  for (const version of publicVersions(record)) {
    const v = record.versions[version]!;
    const doc: Record<string, unknown> = {};
    for (const field of CORGI_FIELDS) if (v.manifest[field] !== undefined) doc[field] = v.manifest[field];
    doc.name = record.name;
    doc.version = version;
    if (hasInstallScript(v.manifest)) doc.hasInstallScript = true;
    doc.dist = dist(record, version, v, publicUrl);
    versions[version] = doc;
  }
  return { name: record.name, modified: record.modifiedAt, 'dist-tags': publicDistTags(record), versions };
}
