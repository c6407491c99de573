// `packsec status`: what the registry says now about each installed package version in the lock —
// advisories, signed maintainer notices, deprecations, publisher changes, newer versions. The registry is
// reached only through the powers passed in, so the logic runs the same against npm, packsec's registry
// or a test double.
import { cleanText, compareVersions, manifestOf, own } from '../install/packument.js';
import { isRegistryTarball } from '../install/plan.js';
import type { Lock, LockRecord } from '../policy/index.js';
import { failsAt, matchAdvisories, readBulkAnswer, type Advisory, type AuditLevel, type BulkAnswer } from './advisories.js';
import { parseRegistryKeys, type RegistryKey } from '../verify/signatures.js';
import { checkNotices, readNoticeAnswer, type NoticeAnswer, type UnverifiedNotice, type VerifiedNotice } from './notices.js';
import { checkPublishers, type PublisherNotice } from './publishers.js';

export type AdvisoryQuery = Record<string, string[]>;

/**
 * What a bulk endpoint gave: its answer, or why there is none (never read as "no advisories"), with the
 * HTTP status when the registry answered one.
 */
export type BulkResult = { available: true; answer: unknown } | { available: false; reason: string; status?: number };

export interface StatusPowers {
  /** The registry's full document for a package name; rejects when there is none. */
  packument(name: string): Promise<unknown>;
  /** POST /-/npm/v1/security/advisories/bulk. */
  advisories(query: AdvisoryQuery): Promise<BulkResult>;
  /** POST /-/packsec/v1/notices/bulk (the same query). */
  notices(query: AdvisoryQuery): Promise<BulkResult>;
  /** GET /-/npm/v1/keys: the keys notices are checked against; rejects when they cannot be read. */
  registryKeys(): Promise<unknown>;
}

export interface PackageStatus {
  /** The name in the registry (an npm alias is installed under another name: see `installedAs`). */
  name: string;
  version: string;
  /** Install paths of the copies of this name@version. */
  paths: string[];
  installedAs?: string[];
  advisories: Array<Advisory & { fails: boolean }>;
  /** Advisories for the name whose range could not be read: they may apply. */
  unclearAdvisories: Advisory[];
  /** Signed maintainer notices about the installed version whose signatures verified. */
  notices: VerifiedNotice[];
  /** Notices the registry sent for it whose signatures do not verify: never shown as signed. */
  unverifiedNotices: UnverifiedNotice[];
  deprecated?: string;
  publishers: PublisherNotice[];
  /** The registry names no publisher for any version, so accounts were not compared. */
  publishersUnknown?: true;
  /** The latest dist-tag, when it is newer than the installed version. */
  latest?: string;
  /** Why the registry's document could not be read, or why the installed version is not in it. */
  problem?: string;
}

export interface StatusReport {
  registry: string;
  auditLevel: AuditLevel;
  advisories: { available: boolean; reason?: string; unreadable: number };
  /**
   * Signed maintainer notices (packsec's registry offers them): `offered` false when the registry has no
   * such endpoint (404, 405, 501), `available` false when it has one that could not be read.
   */
  notices: { offered: boolean; available: boolean; reason?: string; unreadable: number };
  packages: PackageStatus[];
  /** Copies that did not come from a registry (git, local folders, tarball URLs): nothing to ask about. */
  skipped: Array<{ name: string; version: string; path: string; resolved: string }>;
  summary: {
    packages: number;
    copies: number;
    advisories: number;
    failingAdvisories: number;
    notices: number;
    /** Verified notices at or above the audit level, and notices that do not verify (unless the level is none). */
    failingNotices: number;
    unverifiedNotices: number;
    deprecated: number;
    publisherChanges: number;
    /** Packages whose registry document names no publisher: publisher changes were not checked. */
    publishersUnknown: number;
    headsUps: number;
    newer: number;
    unreadable: number;
  };
}

export interface StatusOptions {
  /** The registry as shown to the user (no credentials). */
  registry: string;
  auditLevel: AuditLevel;
  /** Registry documents fetched at once. Default 16. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The name to ask the registry about: from the tarball URL when there is one (an alias installs
 * `npm:real-name` under another folder name); null when the copy did not come from a registry.
 */
export function registryNameOf(rec: LockRecord): string | null {
  if (!rec.resolved) return rec.name;
  if (!isRegistryTarball(rec.resolved)) return null;
  let segments: string[];
  try {
    segments = new URL(rec.resolved).pathname.split('/-/')[0]!.split('/').map((s) => decodeURIComponent(s));
  } catch {
    return rec.name;
  }
  const last = segments[segments.length - 1] ?? '';
  const scope = segments[segments.length - 2] ?? '';
  const name = last.includes('/') ? last : scope.startsWith('@') ? `${scope}/${last}` : last;
  return name === '' ? rec.name : name;
}

interface Group {
  name: string;
  version: string;
  records: Array<{ path: string; rec: LockRecord }>;
}

function groupCopies(lock: Lock, skipped: StatusReport['skipped']): Group[] {
  const groups = new Map<string, Group>();
  for (const [path, rec] of Object.entries(lock.packages)) {
    const name = registryNameOf(rec);
    if (name === null) {
      skipped.push({ name: rec.name, version: rec.version, path, resolved: rec.resolved ?? '' });
      continue;
    }
    const key = `${name}@${rec.version}`;
    const group = groups.get(key) ?? { name, version: rec.version, records: [] };
    group.records.push({ path, rec });
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => a.name.localeCompare(b.name) || (compareVersions(a.version, b.version) ?? a.version.localeCompare(b.version)));
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

function describeFailure(err: unknown): string {
  const e = err as { statusCode?: unknown; code?: unknown };
  if (typeof e?.statusCode === 'number') return e.statusCode === 404 ? 'not in the registry (404)' : `the registry answered ${e.statusCode}`;
  return typeof e?.code === 'string' ? `cannot reach the registry (${e.code})` : 'cannot read the registry document';
}

interface Notices {
  answer: NoticeAnswer;
  keys: RegistryKey[] | { error: string };
}

function packageStatus(group: Group, doc: unknown, lock: Lock, advisories: BulkAnswer | undefined, notices: Notices | undefined, level: AuditLevel): PackageStatus {
  const { name, version } = group;
  const status: PackageStatus = {
    name, version, paths: group.records.map((r) => r.path).sort(), advisories: [], unclearAdvisories: [], notices: [], unverifiedNotices: [], publishers: [],
  };
  const aliases = [...new Set(group.records.map((r) => r.rec.name).filter((n) => n !== name))];
  if (aliases.length) status.installedAs = aliases;
  const matched = matchAdvisories(advisories?.byName.get(name) ?? [], version);
  status.advisories = matched.applies.map((a) => ({ ...a, fails: failsAt(a.severity, level) }));
  status.unclearAdvisories = matched.unclear;
  if (notices) {
    const checked = checkNotices(notices.answer.byName.get(name) ?? [], name, version, notices.keys, level);
    status.notices = checked.verified;
    status.unverifiedNotices = checked.unverified;
  }
  if (doc === undefined) return status;
  const manifest = manifestOf(doc, version);
  if (!manifest) status.problem = `${cleanText(version, 50)} is not in the registry's document (unpublished, or from another registry)`;
  const deprecated = own(manifest, 'deprecated');
  if (typeof deprecated === 'string' && deprecated.trim() !== '') status.deprecated = cleanText(deprecated);
  const recorded = group.records.find((r) => r.rec.publisher)?.rec.publisher;
  const pin = lock.publishers?.[name] ?? aliases.map((a) => lock.publishers?.[a]).find((p) => p !== undefined);
  const publishers = checkPublishers({ name, version, packument: doc, ...(pin ? { pin } : {}), ...(recorded ? { recorded } : {}) });
  status.publishers = publishers.notices;
  if (publishers.unknown) status.publishersUnknown = true;
  const latest = own(own(doc, 'dist-tags'), 'latest');
  if (typeof latest === 'string' && (compareVersions(latest, version) ?? 0) > 0) status.latest = cleanText(latest, 50);
  return status;
}

export async function collectStatus(lock: Lock, powers: StatusPowers, options: StatusOptions): Promise<StatusReport> {
  const skipped: StatusReport['skipped'] = [];
  const groups = groupCopies(lock, skipped);
  const query: AdvisoryQuery = Object.create(null) as AdvisoryQuery;
  for (const g of groups) (query[g.name] ??= []).push(g.version);
  // Asked while the documents load; a failure is an answer too (caught here, so it is never unhandled).
  const ask = (power: (q: AdvisoryQuery) => Promise<BulkResult>): Promise<BulkResult> => (groups.length
    ? power(query).catch((err: unknown) => ({ available: false, reason: describeFailure(err) }))
    : Promise.resolve({ available: true, answer: {} }));
  const bulk = ask((q) => powers.advisories(q));
  const noticeResult = ask((q) => powers.notices(q)).then((r) => readNotices(r, powers, options.registry));

  const names = [...new Set(groups.map((g) => g.name))];
  const docs = new Map<string, { doc?: unknown; problem?: string }>();
  let done = 0;
  await eachLimited(names, options.concurrency ?? 16, async (name) => {
    try {
      docs.set(name, { doc: await powers.packument(name) });
    } catch (err) {
      docs.set(name, { problem: describeFailure(err) });
    }
    options.onProgress?.(++done, names.length);
  });

  const result = await bulk;
  const answer = result.available ? readBulkAnswer(result.answer) : undefined;
  const reason = result.available ? (answer ? undefined : 'the answer was not an advisory list') : result.reason;
  const notices = await noticeResult;
  const packages = groups.map((g) => {
    const fetched = docs.get(g.name)!;
    const status = packageStatus(g, fetched.doc, lock, answer, notices.read, options.auditLevel);
    if (fetched.problem) status.problem = fetched.problem;
    return status;
  });
  const count = (f: (p: PackageStatus) => number): number => packages.reduce((n, p) => n + f(p), 0);
  return {
    registry: options.registry,
    auditLevel: options.auditLevel,
    advisories: { available: answer !== undefined, ...(reason ? { reason } : {}), unreadable: answer?.unreadable ?? 0 },
    notices: notices.report,
    packages,
    skipped,
    summary: {
      packages: packages.length,
      copies: count((p) => p.paths.length),
      advisories: count((p) => p.advisories.length),
      failingAdvisories: count((p) => p.advisories.filter((a) => a.fails).length),
      notices: count((p) => p.notices.length),
      failingNotices: count((p) => [...p.notices, ...p.unverifiedNotices].filter((n) => n.fails).length),
      unverifiedNotices: count((p) => p.unverifiedNotices.length),
      deprecated: count((p) => (p.deprecated ? 1 : 0)),
      publisherChanges: count((p) => p.publishers.filter((n) => n.affectsInstalled).length),
      publishersUnknown: count((p) => (p.publishersUnknown ? 1 : 0)),
      headsUps: count((p) => p.publishers.filter((n) => !n.affectsInstalled).length),
      newer: count((p) => (p.latest ? 1 : 0)),
      unreadable: count((p) => (p.problem ? 1 : 0)),
    },
  };
}

/**
 * 1 when an advisory or a signed notice at or above the audit level applies, a notice does not verify
 * (as an advisory of unknown severity: unless the level is none), or a publisher change affects an
 * installed version.
 */
export function statusExitCode(report: StatusReport): 0 | 1 {
  const s = report.summary;
  return s.failingAdvisories > 0 || s.failingNotices > 0 || s.publisherChanges > 0 ? 1 : 0;
}

/** Registries without packsec's notice endpoint answer one of these: it has no notices, nothing failed. */
const NOT_OFFERED = new Set([404, 405, 501]);

/**
 * The notice answer and, when it holds any notice, the registry's keys to check them with. A registry
 * that does not offer notices is said once; keys that cannot be read leave every notice unverified.
 */
async function readNotices(result: BulkResult, powers: StatusPowers, registry: string): Promise<{ read?: Notices; report: StatusReport['notices'] }> {
  if (!result.available) {
    const offered = result.status === undefined || !NOT_OFFERED.has(result.status);
    return { report: { offered, available: false, reason: result.reason, unreadable: 0 } };
  }
  const answer = readNoticeAnswer(result.answer);
  if (!answer) return { report: { offered: true, available: false, reason: 'the answer was not a list of notices', unreadable: 0 } };
  let keys: Notices['keys'] = [];
  if ([...answer.byName.values()].some((list) => list.length > 0)) {
    const source = `${registry}/-/npm/v1/keys`;
    keys = await powers.registryKeys().then((json) => parseRegistryKeys(json, source), (err: unknown) => {
      const e = err as { statusCode?: unknown; code?: unknown };
      return { error: `${source}: ${typeof e?.statusCode === 'number' ? `HTTP ${e.statusCode}` : typeof e?.code === 'string' ? e.code : 'cannot be read'}` };
    }).catch((err: unknown) => ({ error: (err as Error).message }));
  }
  return { read: { answer, keys }, report: { offered: true, available: true, unreadable: answer.unreadable } };
}
