// Writing packages straight into a data folder, for tests: chosen publish times, publishers,
// provenance and deprecations, with tarballs built in code. Seed a package while no server publishes it.
import { createHash } from 'node:crypto';
import { addAdvisory, type NewAdvisory } from './advisories.js';
import { DEFAULT_LIMITS, addVersion, setVersionState, type ApprovalMode, type Limits, type Registry } from './packages.js';
import { loadOrCreateSigningKey } from './signing.js';
import { FileStore, type AdvisoryRecord, type Attestation, type Person, type VersionState } from './storage.js';
import type { RegistryStore } from './store.js';
import { createTarball } from './tarball.js';

export interface RegistrySettings {
  approval?: ApprovalMode;
  limits?: Partial<Limits>;
  now?: () => Date;
}

/** The registry's package operations on a store, without a server; the signing key is the data folder's. */
export function registryOn<S extends RegistryStore>(store: S, options: RegistrySettings = {}): Registry<S> {
  return { store, key: loadOrCreateSigningKey(store.dir), approval: options.approval ?? 'off', limits: { ...DEFAULT_LIMITS, ...options.limits }, now: options.now ?? (() => new Date()) };
}

/** The registry's package operations on a data folder's files (seeding, tests, admin tools). */
export function openRegistry(dataDir: string, options: RegistrySettings = {}): Registry {
  const store = new FileStore(dataDir);
  store.init();
  return registryOn(store, options);
}

export interface SeedSpec {
  name: string;
  version: string;
  /** Files of the package (paths relative to its root). package.json is written from the fields below unless given. */
  files?: Record<string, string | Uint8Array>;
  /** A ready tarball instead of `files`. */
  tarball?: Uint8Array;
  /** Publish time (default now). */
  time?: string | Date;
  /** The publisher (`_npmUser`); default { name: 'seed', email: 'seed@example.invalid' }. */
  npmUser?: Person;
  /** Maintainers of a new package (default: the publisher). */
  maintainers?: Person[];
  /** The dist-tag to point at it (default latest). */
  tag?: string;
  description?: string;
  repository?: unknown;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  /** Any other package.json fields. */
  packageJson?: Record<string, unknown>;
  /** A deprecation message (registry metadata, as `npm deprecate` sets it). */
  deprecated?: string;
  /** Sigstore bundles served at /-/npm/v1/attestations/<name>@<version> (dist.attestations points there). */
  attestations?: Attestation[];
  /** 'pending': stored as waiting for approval (absent from the packument). Default 'public'. */
  state?: Exclude<VersionState, 'rejected'>;
}

export interface Seeded {
  name: string;
  version: string;
  state: VersionState;
  integrity: string;
  shasum: string;
  tarball: Buffer;
  stageId?: string;
}

/** Publishes a version straight into a data folder's files, or into the store of `reg`. */
export async function seedPackage(target: string | Registry<RegistryStore>, spec: SeedSpec): Promise<Seeded> {
  const time = spec.time === undefined ? new Date() : new Date(spec.time);
  if (Number.isNaN(time.getTime())) throw new TypeError(`seedPackage: invalid time ${String(spec.time)}`);
  const settings = { approval: spec.state === 'pending' ? 'required' : 'off', now: () => time } as const;
  const reg = typeof target === 'string' ? openRegistry(target, settings) : { ...target, ...settings };
  const manifest: Record<string, unknown> = {
    name: spec.name,
    version: spec.version,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    ...(spec.repository !== undefined ? { repository: spec.repository } : {}),
    ...(spec.scripts ? { scripts: spec.scripts } : {}),
    ...(spec.dependencies ? { dependencies: spec.dependencies } : {}),
    ...spec.packageJson,
  };
  let tarball: Buffer;
  if (spec.tarball) {
    tarball = Buffer.from(spec.tarball);
  } else {
    const files = { ...(spec.files ?? { 'index.js': `module.exports = ${JSON.stringify(`${spec.name}@${spec.version}`)};\n` }) };
    if (files['package.json'] === undefined) files['package.json'] = JSON.stringify(manifest, null, 2) + '\n';
    else Object.assign(manifest, JSON.parse(Buffer.from(files['package.json']).toString('utf8')) as Record<string, unknown>);
    tarball = createTarball(files);
  }
  if (spec.deprecated) manifest.deprecated = spec.deprecated;
  const npmUser = spec.npmUser ?? { name: 'seed', email: 'seed@example.invalid' };
  const added = await addVersion(reg, {
    name: spec.name, version: spec.version, manifest, tarball, tag: spec.tag ?? 'latest', npmUser, time, trusted: true,
    ...(spec.maintainers ? { maintainers: spec.maintainers } : {}),
    ...(spec.attestations ? { attestations: spec.attestations } : {}),
  });
  return {
    name: spec.name, version: spec.version, state: added.state, integrity: added.integrity,
    shasum: createHash('sha1').update(tarball).digest('hex'), tarball, ...(added.stageId ? { stageId: added.stageId } : {}),
  };
}

/** Approves or rejects a pending version directly in a data folder (what issue 6's approval flow will call). */
export async function settleVersion(dataDir: string, name: string, version: string, state: 'public' | 'rejected'): Promise<void> {
  await setVersionState(openRegistry(dataDir), name, version, state);
}

/** Stores an advisory in a data folder (safe while a server runs): what `packsec registry advisory add` does. */
export function seedAdvisory(dataDir: string, advisory: NewAdvisory): AdvisoryRecord {
  const store = new FileStore(dataDir);
  store.init();
  return addAdvisory(store, advisory);
}
