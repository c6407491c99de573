// Publisher identity pinned on first use: the npm accounts and the provenance (repository, workflow) a
// package name was first seen published with, and the changes a later version shows against that pin —
// a new npm user, another repository or workflow, or no provenance where the pin had it (the signal in
// the nx and axios compromises).
import type { Lock, PublisherPin, PublisherRecord } from '../policy/index.js';

export type PublisherChangeKind = 'new-npm-user' | 'other-repository' | 'other-workflow' | 'provenance-dropped';

export interface PublisherChange {
  kind: PublisherChangeKind;
  name: string;
  version: string;
  /** One line for a terminal. */
  message: string;
  /** What the pin holds and what this version shows, for --json. */
  pinned: string;
  observed: string;
}

/** How `version` of `name`, published as `rec`, differs from the pin. Nothing when there is no pin yet. */
export function comparePublisher(name: string, version: string, pin: PublisherPin | undefined, rec: PublisherRecord | undefined): PublisherChange[] {
  if (!pin || !rec) return [];
  const out: PublisherChange[] = [];
  const id = `${name}@${version}`;
  const change = (kind: PublisherChangeKind, message: string, pinned: string, observed: string) =>
    out.push({ kind, name, version, message: `${id} ${message}`, pinned, observed });
  if (rec.npmUser && pin.npmUsers.length > 0 && !pin.npmUsers.includes(rec.npmUser)) {
    change('new-npm-user', `was published by npm user "${rec.npmUser}", not by ${listUsers(pin.npmUsers)} as pinned since ${pin.since}`,
      pin.npmUsers.join(', '), rec.npmUser);
  }
  if (pin.repository) {
    if (rec.provenance === 'none') {
      change('provenance-dropped', `has no provenance, but ${pin.since} was built with provenance from ${pin.repository} (${pin.workflow ?? '?'})`,
        `${pin.repository} ${pin.workflow ?? ''}`.trim(), 'no provenance');
    } else if (rec.provenance === 'verified' && rec.identity) {
      if (sameRepository(rec.identity.repository, pin.repository)) {
        if (pin.workflow && rec.identity.workflow !== pin.workflow) {
          change('other-workflow', `was built by workflow ${rec.identity.workflow}, not ${pin.workflow} as pinned since ${pin.since}`, pin.workflow, rec.identity.workflow);
        }
      } else {
        change('other-repository', `was built from ${rec.identity.repository}, not ${pin.repository} as pinned since ${pin.since}`, pin.repository, rec.identity.repository);
      }
    }
  }
  return out;
}

/**
 * The pin after seeing `rec` for `version`: made on first use, and widened by what the user accepted
 * (`accept`), or by what only adds certainty (a first npm user on record, a first verified provenance).
 */
export function updatePin(pin: PublisherPin | undefined, version: string, rec: PublisherRecord | undefined, accept = false): PublisherPin | undefined {
  if (!rec) return pin;
  const next: PublisherPin = pin ? { ...pin, npmUsers: [...pin.npmUsers] } : { npmUsers: [], since: version };
  if (rec.npmUser && (next.npmUsers.length === 0 || accept) && !next.npmUsers.includes(rec.npmUser)) next.npmUsers.push(rec.npmUser);
  const verified = rec.provenance === 'verified' ? rec.identity : undefined;
  if (verified && (!next.repository || accept)) {
    next.repository = verified.repository;
    next.workflow = verified.workflow;
  } else if (accept && rec.provenance === 'none' && next.repository) {
    // Accepting a version without provenance gives up the expectation of it.
    delete next.repository;
    delete next.workflow;
  }
  return next;
}

function listUsers(users: string[]): string {
  return users.map((u) => `"${u}"`).join(' or ');
}

/** github.com/a/b, https://github.com/a/b and git+https://github.com/a/b.git are one repository. */
function sameRepository(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/^git\+/, '').replace(/^[a-z]+:\/\//, '').replace(/\.git$/, '').replace(/\/+$/, '');
  return norm(a) === norm(b);
}

/**
 * The lock's publisher records and pins after an init or an install: records carried over from the
 * previous lock where the copy is unchanged, filled in from what the registry said (`observed`, by
 * name@version), and pins made on first use — or widened for the versions the user accepted.
 */
export function recordPublishers(
  lock: Lock, previous: Lock | null, observed: Map<string, { publisher?: PublisherRecord }> | null, accepted: ReadonlySet<string> = new Set(),
): void {
  for (const [path, rec] of Object.entries(lock.packages)) {
    const was = previous?.packages[path];
    const fresh = observed?.get(`${rec.name}@${rec.version}`)?.publisher;
    if (fresh) rec.publisher = fresh;
    else if (was?.publisher && was.name === rec.name && was.version === rec.version && (!was.integrity || !rec.integrity || was.integrity === rec.integrity)) rec.publisher = was.publisher;
  }
  const pins: Record<string, PublisherPin> = { ...(previous?.publishers ?? {}) };
  const records = Object.values(lock.packages).filter((r) => r.publisher).sort((a, b) => compareLoosely(a.version, b.version));
  for (const rec of records) {
    const pin = updatePin(pins[rec.name], rec.version, rec.publisher, accepted.has(`${rec.name}@${rec.version}`));
    if (pin) pins[rec.name] = pin;
  }
  // Pins outlive an uninstall: a package added back later is compared with what was first seen.
  if (Object.keys(pins).length) lock.publishers = pins;
  else delete lock.publishers;
}

/** Semver-ish order for pinning the oldest installed version first; never throws. */
function compareLoosely(a: string, b: string): number {
  const parts = (v: string) => v.split(/[.+-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === q) continue;
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (typeof p === 'number' && typeof q === 'number') return p - q;
    return String(p) < String(q) ? -1 : 1;
  }
  return 0;
}
