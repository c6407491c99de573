// Version ranges as npm reads them (the `semver` package npm itself uses), for advisories'
// `vulnerable_versions`: one place decides what "this version is in that range" means.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface SemverLib {
  satisfies(version: string, range: string, options: object): boolean;
  validRange(range: string, options: object): string | null;
}

// npm audit matches advisories with these options: loose parsing, and prereleases count as inside a
// range (1.0.0-beta is vulnerable to ">=0.9.0 <1.0.1").
const NPM_OPTIONS = { loose: true, includePrerelease: true };
// Longer "ranges" are not real advisories; refusing them also keeps hostile input cheap.
const MAX_RANGE = 1024;

let lib: SemverLib | undefined;
const semver = (): SemverLib => (lib ??= require('semver') as SemverLib);

/** The range in npm's normal form, or null when `range` is not a version range. */
export function validRange(range: string): string | null {
  if (range.length > MAX_RANGE) return null;
  try {
    return semver().validRange(range, NPM_OPTIONS);
  } catch {
    return null;
  }
}

/** Is `version` inside `range`? False for anything that is not a version or not a range. */
export function inRange(version: string, range: string): boolean {
  if (range.length > MAX_RANGE || version.length > 256) return false;
  try {
    return semver().satisfies(version, range, NPM_OPTIONS);
  } catch {
    return false;
  }
}
