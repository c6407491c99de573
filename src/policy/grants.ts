// Finer grants: the network hosts (`net`) and file paths (`fs`) a package may reach. Their grammar, the
// canonical forms that make "127.1" and "127.0.0.1", or "bücher.example" and its punycode, the same
// host, and how two grants compare (does one cover the other), shared by validation, inference,
// capability diffs and the runtime.
import { domainToASCII } from 'node:url';

// ---------------------------------------------------------------- hosts

/** A parsed `net` entry: a host (exact, `*`, or `*.suffix`) with an optional port, or a unix socket path. */
export type HostPattern =
  | { kind: 'host'; host: string; port: number | null }
  | { kind: 'unix'; path: PathGrant };

const LOOPBACK_NAME = 'localhost';
const LOOPBACK_ADDRESSES: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]']);
// What WHATWG forbids in a domain, plus what would make `http://${h}/` parse as something else.
const NOT_IN_HOST = /[\s/\\@?#%:<>[\]^|"'`{}]/;

/**
 * The canonical spelling of a host name or address, as the WHATWG URL parser gives it for http: lower
 * case, punycode for international names, IPv4 in dotted decimal ("127.1", "0x7f.0.0.1" and
 * "2130706433" are all 127.0.0.1, as getaddrinfo reads them too), IPv6 compressed in brackets, an
 * IPv4-mapped IPv6 address as its IPv4 address, and no trailing dot. Null when it is no host at all.
 */
export function canonicalHost(input: string): string | null {
  if (typeof input !== 'string' || input.length === 0 || input.length > 260) return null;
  let h = input;
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.includes(':')) {
    // IPv6 (only an address may hold a colon here).
    if (!/^[0-9a-fA-F:.]+$/.test(h)) return null;
    let parsed: string;
    try {
      parsed = new URL(`http://[${h}]/`).hostname;
    } catch {
      return null;
    }
    const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(parsed);
    if (mapped) {
      const hi = parseInt(mapped[1]!, 16);
      const lo = parseInt(mapped[2]!, 16);
      return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    }
    return parsed;
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h === '' || NOT_IN_HOST.test(h) || h.includes('*')) return null;
  let parsed: string;
  try {
    parsed = new URL(`http://${h}/`).hostname;
  } catch {
    return null;
  }
  if (parsed === '' || parsed.endsWith('.')) return null;
  // The URL parser already applied UTS #46; this only rejects what it let through that DNS cannot carry.
  if (!isIPv4(parsed) && (domainToASCII(parsed) !== parsed || parsed.length > 253 || parsed.split('.').some((l) => l.length === 0 || l.length > 63))) return null;
  return parsed;
}

export function isIPv4(host: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function isIP(host: string): boolean {
  return isIPv4(host) || host.startsWith('[');
}

const HOST_EXPECTED = 'expected a host pattern like "registry.npmjs.org", "*.example.com", "api.example.com:8443", "127.0.0.1", "[::1]" or "unix:$tmp/app.sock"';

/** Parses one `net` entry; a string says what is wrong. */
export function parseHostPattern(text: string): HostPattern | string {
  if (typeof text !== 'string') return HOST_EXPECTED;
  if (text.startsWith('unix:')) {
    const path = parsePathGrant(text.slice(5));
    return typeof path === 'string' ? `a unix socket: ${path}` : { kind: 'unix', path };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return `${HOST_EXPECTED} (a host, not a URL)`;
  let hostPart = text;
  let port: number | null = null;
  const bracket = /^(\[[^\]]*\])(?::(.*))?$/.exec(text);
  if (bracket) {
    hostPart = bracket[1]!;
    if (bracket[2] !== undefined) port = parsePort(bracket[2]);
    if (bracket[2] !== undefined && port === null) return `${HOST_EXPECTED}; ${JSON.stringify(bracket[2])} is not a port`;
  } else {
    const colons = text.split(':').length - 1;
    if (colons > 1) return `${HOST_EXPECTED}; write an IPv6 address in brackets, as "[::1]"`;
    if (colons === 1) {
      const at = text.lastIndexOf(':');
      hostPart = text.slice(0, at);
      port = parsePort(text.slice(at + 1));
      if (port === null) return `${HOST_EXPECTED}; ${JSON.stringify(text.slice(at + 1))} is not a port`;
    }
  }
  if (hostPart === '*') return { kind: 'host', host: '*', port };
  if (hostPart.startsWith('*.')) {
    const suffix = canonicalHost(hostPart.slice(2));
    if (suffix === null || isIP(suffix)) return HOST_EXPECTED;
    return { kind: 'host', host: `*.${suffix}`, port };
  }
  if (hostPart.includes('*')) return `${HOST_EXPECTED}; "*" may only stand for whole leading labels, as in "*.example.com"`;
  const host = canonicalHost(hostPart);
  if (host === null) return HOST_EXPECTED;
  return { kind: 'host', host, port };
}

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}

/** The canonical text of a pattern, as the policy file stores it. */
export function formatHostPattern(p: HostPattern): string {
  if (p.kind === 'unix') return `unix:${formatPathGrant(p.path)}`;
  return p.port === null ? p.host : `${p.host}:${p.port}`;
}

/** Canonical text of a `net` entry, or null when it is not one. */
export function normalizeHostPattern(text: string): string | null {
  const p = parseHostPattern(text);
  return typeof p === 'string' ? null : formatHostPattern(p);
}

function hostPartMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return !isIP(host) && host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  if (pattern === host) return true;
  // "localhost" and the loopback addresses name the same place: either grant allows the other spelling.
  if (pattern === LOOPBACK_NAME) return LOOPBACK_ADDRESSES.has(host);
  if (host === LOOPBACK_NAME) return LOOPBACK_ADDRESSES.has(pattern);
  return false;
}

/**
 * Does a pattern allow a connection to `host` (any spelling; it is made canonical here) on `port`? A
 * pattern without a port allows every port; `port` null (a DNS lookup) matches a pattern of any port.
 */
export function hostAllowed(patterns: readonly HostPattern[], host: string, port: number | null): boolean {
  const canon = canonicalHost(host);
  if (canon === null) return false;
  for (const p of patterns) {
    if (p.kind !== 'host') continue;
    if ((p.port === null || port === null || p.port === port) && hostPartMatches(p.host, canon)) return true;
  }
  return false;
}

/** Does pattern `a` allow everything pattern `b` allows? */
export function hostPatternCovers(a: HostPattern, b: HostPattern): boolean {
  if (a.kind === 'unix' || b.kind === 'unix') return a.kind === 'unix' && b.kind === 'unix' && pathGrantCovers(a.path, b.path);
  if (a.port !== null && a.port !== b.port) return false;
  if (a.host === '*') return true;
  if (b.host === '*') return false;
  if (a.host.startsWith('*.')) {
    const suffix = a.host.slice(1);
    return b.host.endsWith(suffix) && (b.host.startsWith('*.') ? b.host.length >= a.host.length : b.host.length > suffix.length && !isIP(b.host));
  }
  return a.host === b.host || (a.host === LOOPBACK_NAME && LOOPBACK_ADDRESSES.has(b.host));
}

// ---------------------------------------------------------------- paths

export const PATH_VARIABLES = ['$package', '$project', '$tmp', '$home'] as const;
export type PathVariable = (typeof PATH_VARIABLES)[number];

/** A path grant: a variable or the root, and a relative rest ("" for the folder itself). */
export interface PathGrant {
  base: PathVariable | '/';
  rest: string;
}

const PATH_EXPECTED = 'expected "$package", "$project", "$tmp" or "$home" (optionally followed by /sub/folder) or an absolute path';

export function parsePathGrant(text: string): PathGrant | string {
  if (typeof text !== 'string') return PATH_EXPECTED;
  if (text.includes('\0') || text.includes('\\')) return `${PATH_EXPECTED}, got ${JSON.stringify(text)}`;
  let base: PathGrant['base'];
  let rest: string;
  if (text.startsWith('$')) {
    const slash = text.indexOf('/');
    const name = slash < 0 ? text : text.slice(0, slash);
    if (!(PATH_VARIABLES as readonly string[]).includes(name)) return `${PATH_EXPECTED}; unknown variable ${JSON.stringify(name)}`;
    base = name as PathVariable;
    rest = slash < 0 ? '' : text.slice(slash + 1);
  } else if (text.startsWith('/')) {
    base = '/';
    rest = text.slice(1);
  } else return `${PATH_EXPECTED}, got ${JSON.stringify(text)}`;
  // A trailing slash means the same folder; "." and ".." would make the grant say something else than it reads.
  rest = rest.replace(/\/+$/, '');
  const segments = rest === '' ? [] : rest.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return `${PATH_EXPECTED}, without empty, "." or ".." segments, got ${JSON.stringify(text)}`;
  return { base, rest: segments.join('/') };
}

export function formatPathGrant(g: PathGrant): string {
  if (g.base === '/') return `/${g.rest}`;
  return g.rest ? `${g.base}/${g.rest}` : g.base;
}

export function normalizePathGrant(text: string): string | null {
  const g = parsePathGrant(text);
  return typeof g === 'string' ? null : formatPathGrant(g);
}

/** Does grant `a` cover grant `b` (the same base, and b's folder inside a's)? Different variables never cover each other. */
export function pathGrantCovers(a: PathGrant, b: PathGrant): boolean {
  if (a.base !== b.base) return a.base === '/' && a.rest === '' && b.base === '/';
  return a.rest === '' || b.rest === a.rest || b.rest.startsWith(a.rest + '/');
}

/** Is the absolute path `target` the folder (or file) `dir` or inside it? `dir` "/" holds everything. */
export function pathInside(target: string, dir: string, caseInsensitive = false): boolean {
  const t = caseInsensitive ? target.toLowerCase() : target;
  let d = caseInsensitive ? dir.toLowerCase() : dir;
  while (d.length > 1 && d.endsWith('/')) d = d.slice(0, -1);
  if (d === '/' || t === d) return true;
  return t.startsWith(d + '/');
}

// ---------------------------------------------------------------- grants in a policy entry

/** The `fs` field: paths it may read, and paths it may read and write. */
export interface FsGrants {
  read?: string[];
  write?: string[];
}

/** Built-in modules whose use opens connections (or resolves names, which can carry data out). */
export const NET_MODULES: ReadonlySet<string> = new Set(['http', 'https', 'http2', 'net', 'tls', 'dgram', 'dns', 'dns/promises']);
export const NET_GLOBALS: ReadonlySet<string> = new Set(['fetch', 'WebSocket', 'EventSource', 'XMLHttpRequest']);
export const FS_MODULES: ReadonlySet<string> = new Set(['fs', 'fs/promises']);
// Exports of fs that hold no authority: a grant of only these does not make fs a reachable capability.
const FS_DATA = new Set(['constants', 'Stats', 'Dirent', 'F_OK', 'R_OK', 'W_OK', 'X_OK']);
const HTTP_DATA = new Set(['METHODS', 'STATUS_CODES', 'IncomingMessage', 'ServerResponse', 'OutgoingMessage', 'validateHeaderName', 'validateHeaderValue', 'maxHeaderSize']);

function moduleAndExport(cap: string): [string, string | undefined] {
  const text = cap.startsWith('node:') ? cap.slice(5) : cap;
  const dot = text.indexOf('.');
  return dot < 0 ? [text, undefined] : [text.slice(0, dot), text.slice(dot + 1).split('.')[0]];
}

/** Whether an entry's built-ins or globals can open connections at all (then an absent `net` means any host). */
export function usesNetwork(entry: { builtins?: string[]; globals?: string[]; trust?: 'full' }): boolean {
  if (entry.trust === 'full') return true;
  for (const b of entry.builtins ?? []) {
    const [module, exp] = moduleAndExport(b);
    if (NET_MODULES.has(module) && !(exp !== undefined && HTTP_DATA.has(exp))) return true;
  }
  return (entry.globals ?? []).some((g) => NET_GLOBALS.has(g.split('.')[0]!));
}

/** Whether an entry's built-ins can reach files at all (then an absent `fs` means any path). */
export function usesFs(entry: { builtins?: string[]; trust?: 'full' }): boolean {
  if (entry.trust === 'full') return true;
  return (entry.builtins ?? []).some((b) => {
    const [module, exp] = moduleAndExport(b);
    return FS_MODULES.has(module) && !(exp !== undefined && FS_DATA.has(exp));
  });
}
