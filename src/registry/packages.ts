// What the registry does to packages, apart from HTTP: add a version (public or pending), move a version
// between states, change dist-tags, deprecations and maintainers. The server and seedPackage share it.
import { createHash, randomUUID } from 'node:crypto';
import { RegistryError } from './errors.js';
import { scopeOf, tarballFileName, validatePackageName, validateTag, validateUserName, validateVersion } from './names.js';
import { signVersion, type SigningKey } from './signing.js';
import type { Attestation, PackageRecord, Person, VersionRecord, VersionState } from './storage.js';
import type { RegistryStore } from './store.js';
import { readTarball } from './tarball.js';

export type ApprovalMode = 'off' | 'required';

export interface Limits {
  /** Largest tarball accepted, in bytes. */
  maxTarballBytes: number;
  /** Largest unpacked size of a tarball, in bytes. */
  maxUnpackedBytes: number;
  maxEntries: number;
}

export const DEFAULT_LIMITS: Limits = { maxTarballBytes: 32 * 1024 * 1024, maxUnpackedBytes: 256 * 1024 * 1024, maxEntries: 20_000 };

/** The registry's state and settings, on any store: every caller awaits the store's answers. */
export interface Registry<S extends RegistryStore = RegistryStore> {
  store: S;
  key: SigningKey;
  approval: ApprovalMode;
  limits: Limits;
  now(): Date;
}

// Fields of a published manifest that the registry recomputes or that only make sense on the
// publisher's machine; everything else is kept as published.
const DROPPED_FIELDS = new Set(['dist', '_id', '_npmUser', '_resolved', '_from', '_integrity', '_shasum', '_where', '_args', '_inBundle', '_requested', '_spec', '_location', '_phantomChildren', '_requiredBy', '_attachments', '_rev']);

export interface NewVersion {
  name: string;
  version: string;
  manifest: Record<string, unknown>;
  tarball: Buffer;
  /** The dist-tag to point at it once public (npm publish --tag; default latest). */
  tag: string;
  npmUser: Person;
  attestations?: Attestation[];
  /** Stage it even when approval is off (npm stage publish). */
  stage?: boolean;
  /** Seeding only: the publish time, and the maintainers of a new package. */
  time?: Date;
  maintainers?: Person[];
  /** Seeding only: skip the maintainer check. */
  trusted?: boolean;
}

export interface Added {
  state: VersionState;
  stageId?: string;
  integrity: string;
}

/**
 * A new package in a scope that has packages already: the publisher must maintain one of them (a scope
 * belongs to the people who publish in it, as on npmjs; the first to publish in a scope claims it).
 */
async function requireScopeMember(store: RegistryStore, name: string, user: string): Promise<void> {
  const scope = scopeOf(name);
  if (scope === null) return;
  const others = (await store.listPackages()).filter((n) => n !== name && scopeOf(n) === scope);
  if (!others.length) return;
  for (const other of others) {
    const record = await store.readPackage(other);
    if (record && isMaintainer(record, user)) return;
  }
  throw new RegistryError('FORBIDDEN', `${user} may not publish in ${scope}: it belongs to the maintainers of ${others.slice(0, 3).join(', ')}${others.length > 3 ? ` and ${others.length - 3} more` : ''}`);
}

export function isMaintainer(record: PackageRecord, user: string): boolean {
  return record.maintainers.some((m) => m.name === user);
}

function requireMaintainer(record: PackageRecord, user: string): void {
  if (!isMaintainer(record, user)) {
    throw new RegistryError('FORBIDDEN', `${user} is not a maintainer of ${record.name} (maintainers: ${record.maintainers.map((m) => m.name).join(', ')})`);
  }
}

export interface TarballFacts {
  integrity: string;
  shasum: string;
  fileCount: number;
  unpackedSize: number;
  files: string[];
  packageJson: Record<string, unknown>;
}

/** Reads and checks a tarball: bounded unpacking, a package.json at its root, and its hashes. */
export function inspectTarball(tarball: Buffer, limits: Limits): TarballFacts {
  if (tarball.length > limits.maxTarballBytes) throw new RegistryError('TOO_LARGE', `tarball is ${tarball.length} bytes; the limit is ${limits.maxTarballBytes}`);
  const entries = readTarball(tarball, { maxUnpackedBytes: limits.maxUnpackedBytes, maxEntries: limits.maxEntries, keep: (p) => p === 'package.json' });
  const pj = entries.find((e) => e.path === 'package.json' && e.type === 'file');
  if (!pj?.data) throw new RegistryError('BAD_TARBALL', 'tarball: no package.json at the package root');
  let packageJson: unknown;
  try {
    packageJson = JSON.parse(pj.data.toString('utf8'));
  } catch {
    throw new RegistryError('BAD_TARBALL', 'tarball: package.json is not valid JSON');
  }
  if (typeof packageJson !== 'object' || packageJson === null || Array.isArray(packageJson)) throw new RegistryError('BAD_TARBALL', 'tarball: package.json is not an object');
  const files = entries.filter((e) => e.type === 'file');
  return {
    integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
    shasum: createHash('sha1').update(tarball).digest('hex'),
    fileCount: files.length,
    unpackedSize: files.reduce((n, e) => n + e.size, 0),
    files: files.map((e) => e.path),
    packageJson: packageJson as Record<string, unknown>,
  };
}

function cleanManifest(manifest: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(manifest)) if (!DROPPED_FIELDS.has(k)) out[k] = v;
  return out;
}

/** Makes a stored version public: publish time, dist-tag, and `latest` if the package had none. */
function makePublic(record: PackageRecord, version: string, at: Date): void {
  const v = record.versions[version]!;
  v.state = 'public';
  v.publishedAt = at.toISOString();
  const tag = v.tag ?? 'latest';
  record.distTags[tag] = version;
  if (!record.distTags.latest) record.distTags.latest = version;
  delete v.tag;
}

function touch(record: PackageRecord, at: Date): void {
  record.rev += 1;
  const iso = at.toISOString();
  if (iso > record.modifiedAt) record.modifiedAt = iso;
}

/**
 * Stores a new version: checks the tarball against the manifest (name, version and hashes must agree,
 * so what npm shows is what it installs), refuses a version number used before in any state, and makes
 * it public, or pending when approval is required or it was staged.
 */
export async function addVersion(reg: Registry<RegistryStore>, input: NewVersion): Promise<Added> {
  const name = validatePackageName(input.name);
  const version = validateVersion(input.version);
  const tag = validateTag(input.tag);
  const facts = inspectTarball(input.tarball, reg.limits);
  if (facts.packageJson.name !== name || facts.packageJson.version !== version) {
    throw new RegistryError('BAD_TARBALL', `tarball: its package.json says ${String(facts.packageJson.name)}@${String(facts.packageJson.version)}, the publish says ${name}@${version}`);
  }
  const dist = input.manifest.dist as Record<string, unknown> | undefined;
  if (dist && typeof dist.integrity === 'string' && dist.integrity.startsWith('sha512-') && dist.integrity !== facts.integrity) {
    throw new RegistryError('INTEGRITY', `tarball of ${name}@${version}: integrity is ${facts.integrity}, the manifest says ${dist.integrity}`);
  }
  if (dist && typeof dist.shasum === 'string' && dist.shasum !== facts.shasum) {
    throw new RegistryError('INTEGRITY', `tarball of ${name}@${version}: shasum is ${facts.shasum}, the manifest says ${dist.shasum}`);
  }
  const at = input.time ?? reg.now();
  const pending = input.stage === true || reg.approval === 'required';
  const publish = (outer: RegistryStore) => outer.withLock(name, async (store) => {
    const existing = await store.readPackage(name);
    if (existing && !input.trusted) requireMaintainer(existing, input.npmUser.name);
    if (!existing && !input.trusted) await requireScopeMember(store, name, input.npmUser.name);
    if (existing?.versions[version]) {
      throw new RegistryError('VERSION_EXISTS', `You cannot publish over the previously published versions: ${version}.`);
    }
    const iso = at.toISOString();
    const record: PackageRecord = existing ?? {
      format: 1, name, createdAt: iso, modifiedAt: iso, rev: 0, distTags: {},
      maintainers: input.maintainers?.length ? input.maintainers : [input.npmUser], versions: {},
    };
    if (iso < record.createdAt) record.createdAt = iso;
    const file = tarballFileName(name, version);
    // The tarball goes first: a crash before the record is written leaves an unreferenced file, never
    // a version without its tarball.
    await store.writePackageFile(name, file, input.tarball, facts.integrity);
    const v: VersionRecord = {
      state: 'pending',
      manifest: cleanManifest(input.manifest),
      tarball: file,
      integrity: facts.integrity,
      shasum: facts.shasum,
      size: input.tarball.length,
      fileCount: facts.fileCount,
      unpackedSize: facts.unpackedSize,
      uploadedAt: iso,
      npmUser: input.npmUser,
      tag,
      signatures: [signVersion(reg.key, name, version, facts.integrity)],
    };
    if (input.attestations?.length) {
      v.attestations = `${file.slice(0, -4)}.attestations.json`;
      v.predicateTypes = input.attestations.map((a) => a.predicateType);
      await store.writePackageFile(name, v.attestations, JSON.stringify({ attestations: input.attestations }));
    }
    record.versions[version] = v;
    if (pending) v.stageId = randomUUID();
    else makePublic(record, version, at);
    touch(record, at);
    await store.writePackage(record);
    if (v.stageId) await store.writeStage({ id: v.stageId, packageName: name, version });
    return { state: v.state, integrity: v.integrity, ...(v.stageId ? { stageId: v.stageId } : {}) };
  });
  // A scoped publish holds its scope too (before the package, always in that order): two first
  // publishes in one new scope by different people cannot both claim it.
  // (The scope's lock key ends with "/": no package is named so.)
  const scope = scopeOf(name);
  return scope !== null && !input.trusted ? reg.store.withLock(`${scope}/`, publish) : publish(reg.store);
}

/**
 * Moves a pending version to public or rejected. This is the state machine issue 6's approval rule
 * drives; who may call it, and when, is decided there. A rejected version's tarball is deleted (once the
 * record says so) and its number stays burned.
 */
export async function setVersionState(reg: Registry<RegistryStore>, name: string, version: string, state: 'public' | 'rejected'): Promise<VersionRecord> {
  const v = await reg.store.withLock(name, async (store) => {
    const record = await store.readPackage(name);
    const v = record?.versions[version];
    if (!record || !v) throw new RegistryError('NOT_FOUND', `${name}@${version} does not exist`);
    if (v.state !== 'pending') throw new RegistryError('CONFLICT', `${name}@${version} is ${v.state}, not pending`);
    const at = reg.now();
    if (state === 'public') makePublic(record, version, at);
    else {
      v.state = 'rejected';
      v.rejectedAt = at.toISOString();
      delete v.tag;
    }
    touch(record, at);
    await store.writePackage(record);
    if (v.stageId) await store.deleteStage(v.stageId);
    return v;
  });
  if (state === 'rejected') await reg.store.deletePackageFile(name, v.tarball);
  return v;
}

export async function setDistTag(reg: Registry<RegistryStore>, name: string, tag: string, version: string, user: string): Promise<Record<string, string>> {
  validateTag(tag);
  validateVersion(version);
  return reg.store.withLock(name, async (store) => {
    const record = await store.readPackage(name);
    if (!record) throw new RegistryError('NOT_FOUND', `package ${name} not found`);
    requireMaintainer(record, user);
    if (record.versions[version]?.state !== 'public') throw new RegistryError('NOT_FOUND', `${name}@${version} is not a published version`);
    record.distTags[tag] = version;
    touch(record, reg.now());
    await store.writePackage(record);
    return record.distTags;
  });
}

export async function removeDistTag(reg: Registry<RegistryStore>, name: string, tag: string, user: string): Promise<Record<string, string>> {
  validateTag(tag);
  return reg.store.withLock(name, async (store) => {
    const record = await store.readPackage(name);
    if (!record) throw new RegistryError('NOT_FOUND', `package ${name} not found`);
    requireMaintainer(record, user);
    if (tag === 'latest') throw new RegistryError('FORBIDDEN', 'the "latest" tag cannot be removed; point it at another version instead');
    if (!(tag in record.distTags)) throw new RegistryError('NOT_FOUND', `${name} has no dist-tag "${tag}"`);
    delete record.distTags[tag];
    touch(record, reg.now());
    await store.writePackage(record);
    return record.distTags;
  });
}

/**
 * A publish without a tarball is a metadata change: `npm deprecate` sends the packument back with
 * `deprecated` set, `npm owner add|rm` sends new maintainers. Removing versions (unpublishing) is refused.
 */
export async function updateMetadata(reg: Registry<RegistryStore>, name: string, body: Record<string, unknown>, user: string): Promise<void> {
  await reg.store.withLock(name, async (store) => {
    const record = await store.readPackage(name);
    if (!record) throw new RegistryError('NOT_FOUND', `package ${name} not found`);
    requireMaintainer(record, user);
    let changed = false;
    if (body.versions !== undefined) {
      if (typeof body.versions !== 'object' || body.versions === null || Array.isArray(body.versions)) throw new RegistryError('BAD_REQUEST', 'versions: expected an object');
      const sent = body.versions as Record<string, unknown>;
      for (const version of Object.keys(sent)) {
        if (!record.versions[version]) throw new RegistryError('BAD_REQUEST', `${name}@${version}: a new version needs its tarball in _attachments`);
      }
      for (const [version, v] of Object.entries(record.versions)) {
        if (v.state !== 'public') continue;
        const doc = sent[version];
        if (doc === undefined) throw new RegistryError('FORBIDDEN', `unpublishing is not supported: ${name}@${version} is missing from the update (deprecate it instead)`);
        if (typeof doc !== 'object' || doc === null) throw new RegistryError('BAD_REQUEST', `versions.${version}: expected an object`);
        const deprecated = (doc as Record<string, unknown>).deprecated;
        if (deprecated !== undefined && typeof deprecated !== 'string') throw new RegistryError('BAD_REQUEST', `versions.${version}.deprecated: expected a string`);
        const before = v.manifest.deprecated;
        if (deprecated) v.manifest.deprecated = deprecated;
        else delete v.manifest.deprecated;
        if (before !== v.manifest.deprecated) changed = true;
      }
    }
    if (body.maintainers !== undefined) {
      if (!Array.isArray(body.maintainers) || body.maintainers.length === 0) throw new RegistryError('BAD_REQUEST', 'maintainers: expected a non-empty array');
      const next: Person[] = [];
      for (const [i, m] of body.maintainers.entries()) {
        const mname = (m as { name?: unknown })?.name;
        if (typeof mname !== 'string') throw new RegistryError('BAD_REQUEST', `maintainers[${i}].name: expected a string`);
        const u = await store.readUser(validateUserName(mname));
        if (!u) throw new RegistryError('NOT_FOUND', `maintainers[${i}]: no user named ${mname}`);
        next.push({ name: u.name, ...(u.email ? { email: u.email } : {}) });
      }
      const key = (ps: Person[]) => ps.map((p) => p.name).sort().join('\n');
      if (key(next) !== key(record.maintainers)) {
        record.maintainers = next;
        changed = true;
      }
    }
    if (changed) {
      touch(record, reg.now());
      await store.writePackage(record);
    }
  });
}

