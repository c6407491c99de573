// npm's security advisory format, shared by the registry that serves advisories and the client that
// reads them: POST /-/npm/v1/security/advisories/bulk answers { "<name>": [NpmAdvisory, …] }.

/** npm's severities, least severe first; `npm audit --audit-level` takes one of them (or "none"). */
export const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;

export type Severity = (typeof SEVERITIES)[number];

export function isSeverity(s: unknown): s is Severity {
  return typeof s === 'string' && (SEVERITIES as readonly string[]).includes(s);
}

/** One advisory as the bulk endpoint sends it (the fields `npm audit` reads). */
export interface NpmAdvisory {
  id: number;
  url: string;
  title: string;
  severity: Severity;
  /** A semver range: the versions the advisory applies to. */
  vulnerable_versions: string;
  cwe: string[];
  cvss: { score: number; vectorString: string | null };
}

/** The path of the bulk endpoint, relative to a registry's URL. */
export const BULK_ADVISORIES_PATH = '/-/npm/v1/security/advisories/bulk';
