// Reading a registry's bulk advisory answer without trusting it, and deciding which advisories apply
// to an installed version and which are severe enough to fail `packsec status`.
import { cleanText, isRecord, own } from '../install/packument.js';
import { isSeverity, SEVERITIES, type Severity } from '../util/advisory.js';
import { inRange, validRange } from '../util/semver.js';

/** An advisory as read from the answer: text cleaned for a terminal, an unknown severity kept as 'unknown'. */
export interface Advisory {
  id: string;
  title: string;
  severity: Severity | 'unknown';
  /** The vulnerable versions as the registry wrote them. */
  range: string;
  url?: string;
}

export type AuditLevel = Severity | 'none';

export const AUDIT_LEVELS: readonly AuditLevel[] = [...SEVERITIES, 'none'];

/** info 0 … critical 4; an unknown severity ranks above critical, so a strange answer fails closed. */
export function severityRank(s: Advisory['severity']): number {
  return s === 'unknown' ? SEVERITIES.length : SEVERITIES.indexOf(s);
}

/** Does an advisory of this severity fail `packsec status --audit-level <level>`? ('none': never.) */
export function failsAt(severity: Advisory['severity'], level: AuditLevel): boolean {
  return level !== 'none' && severityRank(severity) >= severityRank(level);
}

function readAdvisory(v: unknown): Advisory | undefined {
  const id = own(v, 'id');
  const range = own(v, 'vulnerable_versions');
  if ((typeof id !== 'number' && typeof id !== 'string') || typeof range !== 'string') return undefined;
  const title = own(v, 'title');
  const severity = own(v, 'severity');
  const url = own(v, 'url');
  return {
    id: cleanText(String(id), 60),
    title: typeof title === 'string' && title.trim() !== '' ? cleanText(title) : '(no title)',
    severity: isSeverity(severity) ? severity : 'unknown',
    range: cleanText(range, 300),
    ...(typeof url === 'string' && /^https?:\/\//.test(url) ? { url: cleanText(url, 300) } : {}),
  };
}

/** A bulk answer `{ "<name>": [entry, …] }` read entry by entry. */
export interface BulkLists<T> {
  byName: Map<string, T[]>;
  /** Entries that could not be read: counted, so none disappears silently. */
  unreadable: number;
}

export type BulkAnswer = BulkLists<Advisory>;

/** `{ "<name>": [entry, …] }` with each entry read by `read` (undefined: unreadable); undefined when it is not an object at all. */
export function readBulkLists<T>(answer: unknown, read: (entry: unknown) => T | undefined): BulkLists<T> | undefined {
  if (!isRecord(answer)) return undefined;
  const byName = new Map<string, T[]>();
  let unreadable = 0;
  for (const name of Object.keys(answer)) {
    const list = own(answer, name);
    if (!Array.isArray(list)) {
      unreadable++;
      continue;
    }
    const entries: T[] = [];
    for (const entry of list) {
      const value = read(entry);
      if (value) entries.push(value);
      else unreadable++;
    }
    byName.set(name, entries);
  }
  return { byName, unreadable };
}

/** The advisory answer; entries that are not advisories (no id or no range) are counted as unreadable. */
export function readBulkAnswer(answer: unknown): BulkAnswer | undefined {
  return readBulkLists(answer, readAdvisory);
}

export interface Matched {
  /** Advisories whose range holds the installed version. */
  applies: Advisory[];
  /** Advisories whose range cannot be read: they may or may not apply. */
  unclear: Advisory[];
}

/** Which of a package's advisories concern `version` (the registry's answer is checked again, as npm does). */
export function matchAdvisories(advisories: Advisory[], version: string): Matched {
  const out: Matched = { applies: [], unclear: [] };
  for (const a of advisories) {
    if (validRange(a.range) === null) out.unclear.push(a);
    else if (inRange(version, a.range)) out.applies.push(a);
  }
  out.applies.sort((x, y) => severityRank(y.severity) - severityRank(x.severity));
  return out;
}
