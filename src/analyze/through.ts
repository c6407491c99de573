// What a package reaches through the packages it calls. At run time a package is held to its hosts and
// paths for what other packages do while its code is on the stack, so an inferred restriction must
// include what its dependencies may reach (transitively): their named hosts and paths join it, and one
// whose hosts (paths) are open leaves it open. HTTP client packages are the exception: the caller names
// the hosts they connect to, and that is what the caller's inference already read.
import { ANY, hostScope, parsePathGrant, pathScope, type PackagePolicy } from '../policy/index.js';

/** Packages whose hosts are the ones their callers name (file.ts reads those calls). */
export const HTTP_CLIENTS: ReadonlySet<string> = new Set(['axios', 'got', 'node-fetch', 'cross-fetch', 'isomorphic-fetch', 'undici', 'ws', 'isomorphic-ws', 'superagent', 'needle', 'request', 'ky', 'phin']);

export interface ThroughNote {
  /** "net" or "fs": which restriction was widened or opened. */
  field: 'net' | 'fs';
  /** The dependency that made it so. */
  via: string;
  opened: boolean;
  /** Hosts, or "read:…"/"write:…" paths, it added (when it did not open the field). */
  added: string[];
}

/**
 * Widens the `net` and `fs` of `names` (inferred entries) by what the packages they load reach.
 * `entries` holds every package name known (for the transitive walk). Returns the new entries of
 * `names` and why they changed.
 */
export function throughDependencies(entries: Readonly<Record<string, PackagePolicy>>, names: Iterable<string>): Map<string, { entry: PackagePolicy; notes: ThroughNote[] }> {
  const out = new Map<string, { entry: PackagePolicy; notes: ThroughNote[] }>();
  for (const name of names) {
    const own = entries[name];
    if (!own || own.trust === 'full' || (!own.net && !own.fs)) continue;
    const notes: ThroughNote[] = [];
    const hosts = new Set(own.net ?? []);
    let netOpen = false;
    const read = new Set(own.fs?.read ?? []);
    const write = new Set(own.fs?.write ?? []);
    let fsOpen = false;
    const seen = new Set<string>([name]);
    const queue = [...(own.packages ?? [])];
    while (queue.length) {
      const q = queue.shift()!;
      if (seen.has(q)) continue;
      seen.add(q);
      const e = Object.prototype.hasOwnProperty.call(entries, q) ? entries[q] : undefined;
      if (!e) continue;
      // An HTTP client connects where its caller tells it: the caller's calls named those hosts.
      if (HTTP_CLIENTS.has(q)) continue;
      if (own.net && !netOpen) {
        const h = hostScope(e);
        if (h === ANY || (Array.isArray(h) && h.includes(ANY))) {
          netOpen = true;
          notes.push({ field: 'net', via: q, opened: true, added: [] });
        } else if (Array.isArray(h)) {
          const added = h.filter((x) => !hosts.has(x));
          for (const x of added) hosts.add(x);
          if (added.length) notes.push({ field: 'net', via: q, opened: false, added });
        }
      }
      if (own.fs && !fsOpen) {
        const p = pathScope(e);
        // A dependency's own folder ($package) is not this package's: it cannot be said here.
        const ownFolder = (list: string[]) => list.some((g) => {
          const parsed = parsePathGrant(g);
          return typeof parsed !== 'string' && parsed.base === '$package';
        });
        if (p === ANY || (p !== null && (ownFolder(p.read) || ownFolder(p.write)))) {
          fsOpen = true;
          notes.push({ field: 'fs', via: q, opened: true, added: [] });
        } else if (p !== null) {
          const added = [...p.read.filter((g) => !read.has(g)).map((g) => `read:${g}`), ...p.write.filter((g) => !write.has(g)).map((g) => `write:${g}`)];
          for (const g of p.read) read.add(g);
          for (const g of p.write) write.add(g);
          if (added.length) notes.push({ field: 'fs', via: q, opened: false, added });
        }
      }
      queue.push(...(e.packages ?? []));
    }
    if (!notes.length) continue;
    const entry: PackagePolicy = { ...own };
    if (own.net) entry.net = netOpen ? [ANY, ...[...hosts].filter((h) => h !== ANY)] : [...hosts];
    if (own.fs) {
      if (fsOpen) delete entry.fs;
      else entry.fs = { read: [...read], write: [...write] };
    }
    out.set(name, { entry, notes });
  }
  return out;
}
