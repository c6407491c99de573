// Reads of packages this registry does not host, from an upstream registry (off unless --upstream).
// Tarball URLs are rewritten to go through this registry, so clients need to reach only it; writes are
// never proxied, and a name hosted here is never looked up upstream (no dependency confusion).
import { RegistryError } from './errors.js';
import { packagePath } from './names.js';
import { tarballUrl } from './packument.js';
import type { RegistryKey } from './signing.js';

export interface Upstream {
  readonly url: string;
  /** The upstream packument with tarball URLs pointing here, or null when upstream has no such package. */
  packument(name: string, accept: string, publicUrl: string): Promise<{ body: Record<string, unknown>; contentType: string } | null>;
  /** The upstream tarball response, or null. */
  tarball(name: string, file: string): Promise<Response | null>;
  /** Upstream's signing keys, so npm can verify the signatures of proxied versions (empty if unavailable). */
  keys(): Promise<RegistryKey[]>;
}

const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9._+-]*\.tgz$/;
const MAX_REMEMBERED = 20_000;
const KEYS_TTL_MS = 10 * 60 * 1000;

export function createUpstream(base: string, fetchImpl: typeof fetch, options: { timeoutMs?: number } = {}): Upstream {
  const url = base.endsWith('/') ? base : base + '/';
  const timeoutMs = options.timeoutMs ?? 30_000;
  // name/file → where upstream said the tarball is (not always under the registry's own host).
  const tarballs = new Map<string, string>();
  let keyCache: { at: number; keys: RegistryKey[] } | null = null;

  async function get(path: string, accept: string): Promise<Response> {
    try {
      return await fetchImpl(new URL(path, url), { headers: { accept }, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new RegistryError('UPSTREAM', `upstream ${url} did not answer: ${(err as Error).message}`);
    }
  }

  function remember(name: string, file: string, location: string): void {
    if (tarballs.size >= MAX_REMEMBERED) tarballs.delete(tarballs.keys().next().value!);
    tarballs.set(`${name}/${file}`, location);
  }

  async function packument(name: string, accept: string, publicUrl: string) {
    const res = await get(packagePath(name).replace('/', '%2f'), accept);
    if (res.status === 404) return null;
    if (!res.ok) throw new RegistryError('UPSTREAM', `upstream ${url} answered ${res.status} for ${name}`);
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new RegistryError('UPSTREAM', `upstream ${url} sent invalid JSON for ${name}`);
    }
    if (typeof body !== 'object' || body === null || (body as { name?: unknown }).name !== name) {
      throw new RegistryError('UPSTREAM', `upstream ${url} sent a packument that is not for ${name}`);
    }
    const versions = (body as { versions?: unknown }).versions;
    if (typeof versions === 'object' && versions !== null) {
      for (const doc of Object.values(versions as Record<string, unknown>)) {
        const dist = (doc as { dist?: { tarball?: unknown } } | null)?.dist;
        if (!dist || typeof dist.tarball !== 'string') continue;
        let location: URL;
        try {
          location = new URL(dist.tarball);
        } catch {
          continue;
        }
        const file = decodeURIComponent(location.pathname.slice(location.pathname.lastIndexOf('/') + 1));
        // Names this registry cannot route stay absolute: the client fetches them upstream itself.
        if (!SAFE_FILE.test(file)) continue;
        remember(name, file, location.href);
        dist.tarball = tarballUrl(publicUrl, name, file);
      }
    }
    return { body: body as Record<string, unknown>, contentType: res.headers.get('content-type') ?? 'application/json' };
  }

  return {
    url,
    packument,
    async tarball(name, file) {
      if (!SAFE_FILE.test(file)) return null;
      let location = tarballs.get(`${name}/${file}`);
      if (!location) {
        // Not seen in this process (restarted, or the client cached the packument): ask upstream again.
        await packument(name, 'application/vnd.npm.install-v1+json', 'http://unused.invalid');
        location = tarballs.get(`${name}/${file}`);
      }
      if (!location) return null;
      let res: Response;
      try {
        res = await fetchImpl(location, { redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        throw new RegistryError('UPSTREAM', `upstream tarball ${location} did not answer: ${(err as Error).message}`);
      }
      if (res.status === 404) return null;
      if (!res.ok || !res.body) throw new RegistryError('UPSTREAM', `upstream answered ${res.status} for ${location}`);
      return res;
    },
    async keys() {
      if (keyCache && Date.now() - keyCache.at < KEYS_TTL_MS) return keyCache.keys;
      let keys: RegistryKey[] = [];
      try {
        const res = await get('-/npm/v1/keys', 'application/json');
        const body = res.ok ? ((await res.json()) as { keys?: unknown }) : null;
        if (Array.isArray(body?.keys)) {
          keys = body.keys.filter((k): k is RegistryKey => typeof k === 'object' && k !== null && typeof (k as RegistryKey).keyid === 'string' && typeof (k as RegistryKey).key === 'string');
        }
      } catch {
        keys = [];
      }
      keyCache = { at: Date.now(), keys };
      return keys;
    },
  };
}
