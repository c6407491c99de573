// The request target as sent, checked before the framework sees it. URL parsers normalise paths
// ("/a/%2e%2e/b" becomes "/b"), so only a target that parses to itself gets through: no dot segments
// (plain or encoded), no backslashes, no control characters, valid percent-encoding.
import { RegistryError } from './errors.js';

const BASE = 'http://registry.invalid';

/** null when the target may be routed as it is; otherwise the refusal (400). */
export function checkTarget(target: string): RegistryError | null {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const refuse = (why: string) => new RegistryError('BAD_REQUEST', `${why} in the request URL ${JSON.stringify(path.slice(0, 200))}`);
  if (!path.startsWith('/')) return new RegistryError('BAD_REQUEST', 'the request target must be a path starting with "/"');
  if (path.includes('\\')) return refuse('a backslash');
  for (const segment of path.split('/').slice(1)) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return refuse('malformed percent-encoding');
    }
    if (decoded === '.' || decoded === '..') return refuse('a "." or ".." segment');
    if (/[\u0000-\u001f\u007f]/.test(decoded)) return refuse('a control character');
  }
  let parsed: URL;
  try {
    parsed = new URL(path, BASE);
  } catch {
    return refuse('an unparsable path');
  }
  if (parsed.href !== BASE + path || parsed.hash) return refuse('characters that must be percent-encoded');
  return null;
}
