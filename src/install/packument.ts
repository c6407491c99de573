// Reading a registry packument (the full JSON document of one package name) without trusting it:
// every accessor tolerates any JSON value, and text meant for a terminal is cleaned first.

/** A person as the registry records one (`_npmUser`, entries of `maintainers`). */
export interface PackumentPerson {
  name?: string;
  email?: string;
}

export type PackumentRepository = string | { type?: string; url?: string; directory?: string };

/** One version's manifest inside a packument: its package.json plus the registry's own fields. */
export interface PackumentVersion {
  name?: string;
  version?: string;
  deprecated?: string;
  repository?: PackumentRepository;
  /** Who published this version. */
  _npmUser?: PackumentPerson;
  /** The package's maintainers when this version was published; old documents use "name <email>" strings. */
  maintainers?: Array<PackumentPerson | string>;
  [field: string]: unknown;
}

/**
 * The registry's document for a package name (GET https://registry.npmjs.org/<name>, not the abbreviated
 * install form, which lacks `_npmUser`, `maintainers` and `repository`). Shapes are what the registry
 * usually sends; the install warnings read it as untrusted JSON and never rely on them.
 */
export interface Packument {
  name?: string;
  'dist-tags'?: Record<string, string>;
  versions?: Record<string, PackumentVersion>;
  /** Version → ISO publish time, plus `created` and `modified`. */
  time?: Record<string, string>;
  maintainers?: Array<PackumentPerson | string>;
  repository?: PackumentRepository;
  [field: string]: unknown;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own property only: a version called `__proto__` or `constructor` must not reach Object.prototype. */
export function own(obj: unknown, key: string): unknown {
  return isRecord(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Version strings of a packument, without anything inherited. */
export function versionKeys(packument: unknown): string[] {
  const versions = own(packument, 'versions');
  return isRecord(versions) ? Object.keys(versions) : [];
}

/** The manifest of one version, or undefined when the document has none (or not an object). */
export function manifestOf(packument: unknown, version: string): Record<string, unknown> | undefined {
  const m = own(own(packument, 'versions'), version);
  return isRecord(m) ? m : undefined;
}

// The registry writes ISO 8601 times in UTC; Date.parse alone would also read "1" as the year 2001.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** Publish time of a version in milliseconds, or undefined when missing or not an ISO 8601 time. */
export function publishTimeOf(packument: unknown, version: string): number | undefined {
  const t = own(own(packument, 'time'), version);
  if (typeof t !== 'string' || !ISO_TIME.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The name of a person entry: `{ name }` or the legacy "name <email> (url)" string. */
export function personName(p: unknown): string | undefined {
  const raw = typeof p === 'string' ? p.replace(/\s*[<(].*$/, '') : own(p, 'name');
  if (typeof raw !== 'string') return undefined;
  const name = raw.trim();
  return name === '' ? undefined : name;
}

/** Who published a version: the name in its manifest's `_npmUser`, when the registry says. */
export function publisherOf(manifest: unknown): string | undefined {
  return personName(own(manifest, '_npmUser'));
}

/** Does the registry list provenance for a version (`dist.attestations`)? Presence only; nothing is verified here. */
export function listsProvenance(manifest: unknown): boolean {
  return isRecord(own(own(manifest, 'dist'), 'attestations'));
}

/** Names in a `maintainers` field, or undefined when the field is missing or not a list. */
export function maintainerNames(m: unknown): Set<string> | undefined {
  const list = own(m, 'maintainers');
  if (!Array.isArray(list)) return undefined;
  const names = new Set<string>();
  for (const p of list) {
    const n = personName(p);
    if (n !== undefined) names.add(n);
  }
  return names;
}

/** Does a manifest or packument name a source repository (a non-empty string or `{ url }`)? */
export function hasRepository(doc: unknown): boolean {
  const r = own(doc, 'repository');
  if (typeof r === 'string') return r.trim() !== '';
  const url = own(r, 'url');
  return typeof url === 'string' && url.trim() !== '';
}

/**
 * Registry text made safe for one terminal line: control characters (ANSI escapes, new lines) and
 * bidirectional overrides become spaces, runs of white space collapse, and long text is cut.
 */
export function cleanText(s: string, max = 200): string {
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

// Semantic versions, compared by precedence (semver.org §11). Versions are compared as strings of
// digits so a hostile "99999999999999999999.0.0" still orders correctly.
const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$/;

interface ParsedVersion {
  core: [string, string, string];
  pre: string[];
}

function parseVersion(v: string): ParsedVersion | undefined {
  const m = SEMVER.exec(v);
  if (!m) return undefined;
  const strip = (d: string) => d.replace(/^0+(?=\d)/, '');
  return { core: [strip(m[1]!), strip(m[2]!), strip(m[3]!)], pre: m[4] ? m[4].split('.') : [] };
}

function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareIdentifiers(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return compareDigits(a.replace(/^0+(?=\d)/, ''), b.replace(/^0+(?=\d)/, ''));
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Semver precedence of two versions, or undefined when either is not a semantic version. */
export function compareVersions(a: string, b: string): number | undefined {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) return undefined;
  for (let i = 0; i < 3; i++) {
    const c = compareDigits(pa.core[i as 0 | 1 | 2], pb.core[i as 0 | 1 | 2]);
    if (c !== 0) return c;
  }
  if (pa.pre.length === 0 || pb.pre.length === 0) return pa.pre.length === pb.pre.length ? 0 : pa.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(pa.pre.length, pb.pre.length); i++) {
    const c = compareIdentifiers(pa.pre[i]!, pb.pre[i]!);
    if (c !== 0) return c;
  }
  return pa.pre.length === pb.pre.length ? 0 : pa.pre.length < pb.pre.length ? -1 : 1;
}
