// Route patterns for package names as npm spells them in URLs: "name", "@scope%2fname" (one segment,
// what npm sends) and "@scope/name" (two segments, what tarball URLs use).
import { validatePackageName } from '../names.js';
import type { C } from '../http.js';

const NAME_PATTERNS = [':name{[^/@%][^/]*}', ':name{@[^/]*%2[fF][^/]*}', ':scope{@[^/%]+}/:pkg{[^/%][^/]*}'];

/** One route path per spelling of the name: `${prefix}/<name>${suffix}`. */
export function namePaths(prefix: string, suffix = ''): string[] {
  return NAME_PATTERNS.map((p) => `${prefix}/${p}${suffix}`);
}

/** The package name of a route made by namePaths, validated (npm's rules for new names). */
export function nameParam(c: C): string {
  const scope = c.req.param('scope');
  return validatePackageName(scope ? `${scope}/${c.req.param('pkg') ?? ''}` : c.req.param('name'));
}
