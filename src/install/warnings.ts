// Install-gate warnings: what is suspicious about one package version about to be installed or updated,
// judged from its registry document alone (no I/O here besides reading the shipped popular-names list).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InstallError } from './error.js';
import {
  cleanText, compareVersions, hasRepository, isRecord, maintainerNames, manifestOf, own, publisherOf, publishTimeOf, versionKeys,
  type Packument,
} from './packument.js';
import { buildPopularList, describeReason, typosquatCandidates, type PopularList, type TyposquatMatch } from './typosquat.js';

export type { Packument, PackumentPerson, PackumentRepository, PackumentVersion } from './packument.js';
export { buildPopularList, typosquatCandidates, type PopularList, type TyposquatMatch, type TyposquatReason } from './typosquat.js';

export type WarningKind = 'typosquat' | 'fresh' | 'deprecated' | 'no-repository' | 'new-publisher' | 'new-maintainer' | 'no-publish-time' | 'provenance-dropped';

export interface Warning {
  kind: WarningKind;
  package: string;
  version: string;
  /** One line for a terminal: registry text in it is cleaned of control characters and cut short. */
  message: string;
  /** Machine-readable facts behind the message (for --json); differs per kind. */
  detail: Record<string, unknown>;
  /** 'block': the install is refused unless the user accepts it; 'warn': shown, never refused. */
  severity: 'block' | 'warn';
}

export interface CheckInput {
  name: string;
  version: string;
  /** The registry's full document for `name` (untrusted: any JSON value is handled). */
  packument: Packument;
  /** The version installed before this update, if any. */
  previousVersion?: string;
  now: Date;
  /** Versions younger than this are refused unless accepted; 0 turns the check off. */
  minReleaseAgeMinutes: number;
  /** Defaults to the shipped list (loadPopularList()). */
  popular?: PopularList;
}

const DEFAULT_LIST = fileURLToPath(new URL('../../../data/popular-packages.json', import.meta.url));
let shipped: PopularList | undefined;

/**
 * The popular-names list: by default the one shipped in data/popular-packages.json (read once and kept),
 * or another file of the same shape ({ "packages": [names, most popular first] }).
 */
export function loadPopularList(file?: string): PopularList {
  if (file === undefined && shipped) return shipped;
  const path = file ?? DEFAULT_LIST;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InstallError('POPULAR_LIST_INVALID', `${path}: cannot read the popular package list: ${(err as Error).message}`, path);
  }
  const names = own(doc, 'packages');
  if (!Array.isArray(names)) throw new InstallError('POPULAR_LIST_INVALID', `${path}: packages: expected a list of package names`, path);
  const bad = names.findIndex((n) => typeof n !== 'string' || n === '');
  if (bad >= 0) throw new InstallError('POPULAR_LIST_INVALID', `${path}: packages[${bad}]: expected a package name, got ${JSON.stringify(names[bad])}`, path);
  const list = buildPopularList(names as string[]);
  if (file === undefined) shipped = list;
  return list;
}

/** Every warning about installing `name@version`, in a fixed order of kinds. Never throws on a malformed packument. */
export function checkPackage(input: CheckInput): Warning[] {
  const { name, version, previousVersion } = input;
  const doc: unknown = input.packument;
  const id = `${cleanText(name, 100)}@${cleanText(version, 50)}`;
  const out: Warning[] = [];
  const warn = (kind: WarningKind, severity: Warning['severity'], message: string, detail: Record<string, unknown> = {}) =>
    out.push({ kind, package: name, version, message: `${id} ${message}`, detail, severity });

  const similar = typosquatCandidates(name, input.popular ?? loadPopularList());
  const first = similar[0];
  if (first) {
    const more = similar.length > 1 ? ` (and ${similar.length - 1} more)` : '';
    warn('typosquat', 'warn', `may be a typosquat of the popular package "${first.similarTo}" (${describeReason(first)})${more}`, {
      similarTo: first.similarTo, reason: first.reason, distance: first.distance, matches: similar,
    });
  }

  const minAge = Number.isFinite(input.minReleaseAgeMinutes) && input.minReleaseAgeMinutes > 0 ? input.minReleaseAgeMinutes : 0;
  const published = publishTimeOf(doc, version);
  if (published === undefined) {
    const raw = own(own(doc, 'time'), version);
    warn('no-publish-time', minAge > 0 ? 'block' : 'warn',
      raw === undefined
        ? 'has no publish time in the registry document, so its release age cannot be checked'
        : 'has an unreadable publish time in the registry document, so its release age cannot be checked',
      { minReleaseAgeMinutes: minAge, ...(raw === undefined ? {} : { time: typeof raw === 'string' ? cleanText(raw, 60) : typeof raw }) });
  } else if (minAge > 0 && Number.isFinite(input.now.getTime())) {
    const ageMinutes = Math.floor((input.now.getTime() - published) / 60_000);
    if (ageMinutes < minAge) {
      const publishedAt = new Date(published).toISOString();
      const when = ageMinutes < 0 ? `has a publish time in the future (${publishedAt})` : `was published ${describeMinutes(ageMinutes)} ago (${publishedAt})`;
      warn('fresh', 'block', `${when}; the minimum release age is ${describeMinutes(minAge)}`, {
        publishedAt, ageMinutes, minReleaseAgeMinutes: minAge, allowedFrom: new Date(published + minAge * 60_000).toISOString(),
      });
    }
  }

  const manifest = manifestOf(doc, version);
  const deprecated = own(manifest, 'deprecated');
  if (typeof deprecated === 'string' && deprecated.trim() !== '') {
    warn('deprecated', 'warn', `is deprecated: "${cleanText(deprecated)}"`, { reason: cleanText(deprecated, 1000) });
  }

  if (!hasRepository(manifest) && !hasRepository(doc)) {
    warn('no-repository', 'warn', 'names no source repository, so its published code cannot be compared with a public source');
  }

  checkPublisher(doc, version, previousVersion, published, warn);
  checkProvenance(doc, version, published, warn);
  checkMaintainers(manifest, manifestOf(doc, previousVersion ?? ''), previousVersion, warn);
  return out;
}

type Warn = (kind: WarningKind, severity: Warning['severity'], message: string, detail?: Record<string, unknown>) => void;

/**
 * New publisher: the account that published this version published none of the versions before it.
 * "Before" is by publish time when both times are known, else by semver order. Without any earlier
 * publisher on record (a first release, or a document without `_npmUser`) there is nothing to compare.
 */
function checkPublisher(doc: unknown, version: string, previousVersion: string | undefined, published: number | undefined, warn: Warn): void {
  const publisher = publisherOf(manifestOf(doc, version));
  if (publisher === undefined) return;
  const earlier = new Set<string>();
  let earlierVersions = 0;
  for (const v of versionKeys(doc)) {
    if (v === version) continue;
    const t = publishTimeOf(doc, v);
    const before = published !== undefined && t !== undefined ? t < published : (compareVersions(v, version) ?? 0) < 0;
    if (!before) continue;
    earlierVersions++;
    const p = publisherOf(manifestOf(doc, v));
    if (p !== undefined) earlier.add(p);
  }
  if (earlier.size === 0 || earlier.has(publisher)) return;
  const previousPublisher = previousVersion === undefined ? undefined : publisherOf(manifestOf(doc, previousVersion));
  const earlierPublishers = [...earlier].sort().slice(0, 10);
  const previously = previousVersion !== undefined && previousPublisher !== undefined
    ? `${cleanText(previousVersion, 50)} was published by "${cleanText(previousPublisher, 80)}"`
    : `earlier versions were published by ${earlierPublishers.slice(0, 3).map((p) => `"${cleanText(p, 80)}"`).join(', ')}${earlier.size > 3 ? ', …' : ''}`;
  warn('new-publisher', 'warn',
    `was published by "${cleanText(publisher, 80)}", who published none of the ${earlierVersions} earlier versions (${previously})`, {
      publisher, earlierPublishers, earlierVersions,
      ...(previousVersion !== undefined ? { previousVersion, previousPublisher: previousPublisher ?? null } : {}),
    });
}

function hasProvenance(manifest: unknown): boolean {
  return isRecord(own(own(manifest, 'dist'), 'attestations'));
}

/**
 * Provenance dropped: the version published just before this one came with a provenance attestation
 * and this one has none — how a stolen token shows when a project publishes from CI with provenance
 * (the nx and axios compromises). Refused unless accepted.
 */
function checkProvenance(doc: unknown, version: string, published: number | undefined, warn: Warn): void {
  if (hasProvenance(manifestOf(doc, version))) return;
  let previous: { version: string; order: number } | undefined;
  for (const v of versionKeys(doc)) {
    if (v === version) continue;
    const t = publishTimeOf(doc, v);
    const byTime = published !== undefined && t !== undefined;
    const before = byTime ? t < published : (compareVersions(v, version) ?? 0) < 0;
    if (!before) continue;
    if (!previous || (byTime ? t > previous.order : (compareVersions(v, previous.version) ?? 0) > 0)) previous = { version: v, order: t ?? 0 };
  }
  if (!previous || !hasProvenance(manifestOf(doc, previous.version))) return;
  warn('provenance-dropped', 'block',
    `has no provenance attestation, but ${cleanText(previous.version, 50)}, published before it, had one: it may not come from the project's own build`,
    { previousVersion: previous.version });
}

/** New maintainer: a name in this version's `maintainers` that the previously installed version did not list. */
function checkMaintainers(manifest: unknown, previous: unknown, previousVersion: string | undefined, warn: Warn): void {
  if (previousVersion === undefined || !isRecord(previous)) return;
  const now = maintainerNames(manifest);
  const before = maintainerNames(previous);
  if (!now || !before) return;
  const added = [...now].filter((n) => !before.has(n)).sort();
  if (added.length === 0) return;
  const shown = added.slice(0, 3).map((n) => `"${cleanText(n, 80)}"`).join(', ') + (added.length > 3 ? `, and ${added.length - 3} more` : '');
  warn('new-maintainer', 'warn', `lists ${added.length === 1 ? 'a maintainer' : 'maintainers'} that ${cleanText(previousVersion, 50)} did not: ${shown}`, {
    added, previousVersion, previousMaintainers: [...before].sort(),
  });
}

/** "45 minutes", "3 hours", "2 days": the largest whole unit, for messages. */
export function describeMinutes(minutes: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (minutes >= 1440 && minutes % 1440 === 0) return unit(minutes / 1440, 'day');
  if (minutes >= 2880) return unit(Math.floor(minutes / 1440), 'day');
  if (minutes >= 60 && minutes % 60 === 0) return unit(minutes / 60, 'hour');
  if (minutes >= 120) return unit(Math.floor(minutes / 60), 'hour');
  return unit(minutes, 'minute');
}
