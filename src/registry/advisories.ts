// Security advisories this registry serves through npm's bulk endpoint (what `npm audit` and
// `packsec status` ask): adding one to the data folder, and answering a bulk query.
import { isSeverity, SEVERITIES, type NpmAdvisory } from '../util/advisory.js';
import { describeValue, formatPath } from '../util/jsonpath.js';
import { inRange, validRange } from '../util/semver.js';
import { RegistryError } from './errors.js';
import { validateAnyPackageName } from './names.js';
import type { AdvisoryRecord, FileStore } from './storage.js';
import type { Answer, RegistryStore } from './store.js';

export interface NewAdvisory {
  name: string;
  range: string;
  severity: string;
  title: string;
  url?: string;
}

/** Checks and stores an advisory; the id is the next free one. The file store answers at once. */
export function addAdvisory(store: FileStore, input: NewAdvisory, now?: Date): AdvisoryRecord;
export function addAdvisory(store: RegistryStore, input: NewAdvisory, now?: Date): Answer<AdvisoryRecord>;
export function addAdvisory(store: RegistryStore, input: NewAdvisory, now: Date = new Date()): Answer<AdvisoryRecord> {
  const name = validateAnyPackageName(input.name);
  if (validRange(input.range) === null) {
    throw new RegistryError('BAD_REQUEST', `range: ${JSON.stringify(input.range.slice(0, 100))} is not a semver range (e.g. "<1.0.3" or ">=2.0.0 <2.1.1")`);
  }
  if (!isSeverity(input.severity)) throw new RegistryError('BAD_REQUEST', `severity: expected one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(input.severity.slice(0, 40))}`);
  const title = input.title.trim();
  if (title === '' || title.length > 500 || /[\u0000-\u001f\u007f]/.test(title)) {
    throw new RegistryError('BAD_REQUEST', 'title: expected one line of text, at most 500 characters');
  }
  if (input.url !== undefined && !isHttpUrl(input.url)) throw new RegistryError('BAD_REQUEST', `url: expected an http(s) URL, got ${JSON.stringify(input.url.slice(0, 100))}`);
  return store.createAdvisory({
    name, range: input.range, severity: input.severity, title, ...(input.url !== undefined ? { url: input.url } : {}), createdAt: now.toISOString(),
  });
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && text.length <= 2000;
  } catch {
    return false;
  }
}

/** The body of a bulk query, `{ "<name>": ["<version>", …] }`, checked; errors name the JSON path. */
export function readBulkQuery(body: unknown): Map<string, string[]> {
  const bad = (path: (string | number)[], expected: string, got: unknown) =>
    new RegistryError('BAD_REQUEST', `${formatPath(path)}: expected ${expected}, got ${describeValue(got)}`);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad([], 'an object of package names to lists of versions', body);
  const query = new Map<string, string[]>();
  for (const [name, versions] of Object.entries(body)) {
    if (!Array.isArray(versions)) throw bad([name], 'a list of versions', versions);
    const index = versions.findIndex((v) => typeof v !== 'string');
    if (index >= 0) throw bad([name, index], 'a version string', versions[index]);
    query.set(name, versions as string[]);
  }
  return query;
}

function wire(a: AdvisoryRecord): NpmAdvisory {
  return { id: a.id, url: a.url ?? '', title: a.title, severity: a.severity, vulnerable_versions: a.range, cwe: [], cvss: { score: 0, vectorString: null } };
}

/** For each name asked about: the advisories whose range holds at least one of the versions sent. Names without any are left out, as npm's registry does. */
export function answerBulk(advisories: AdvisoryRecord[], query: Map<string, string[]>): Record<string, NpmAdvisory[]> {
  const byName = new Map<string, AdvisoryRecord[]>();
  for (const a of advisories) byName.set(a.name, [...(byName.get(a.name) ?? []), a]);
  const answer: Record<string, NpmAdvisory[]> = Object.create(null) as Record<string, NpmAdvisory[]>;
  for (const [name, versions] of query) {
    const hits = (byName.get(name) ?? []).filter((a) => versions.some((v) => inRange(v, a.range)));
    if (hits.length) answer[name] = hits.map(wire);
  }
  return answer;
}
