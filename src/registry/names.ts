// Validation of every name that reaches the disk or a URL: package names, versions, dist-tags, user
// names and tarball file names. Everything here is a pure function of strings.
import { RegistryError } from './errors.js';

// npm's rules for new packages (validate-npm-package-name): lowercase, URL-safe, no leading dot or
// underscore. A first character outside [.] also rules out "." and ".." as path segments.
const NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const RESERVED = new Set(['node_modules', 'favicon.ico']);

export function validatePackageName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new RegistryError('BAD_NAME', 'package name: expected a non-empty string');
  if (name.length > 214) throw new RegistryError('BAD_NAME', `package name: longer than 214 characters`);
  if (!NAME.test(name) || RESERVED.has(name)) throw new RegistryError('BAD_NAME', `invalid package name ${JSON.stringify(name.slice(0, 100))}`);
  return name;
}

// Names as the public registry still serves them: packages from before npm's lowercase rule
// ("JSONStream") can have advisories too. URL-safe, so they never reach a path or a URL unescaped.
const ANY_NAME = /^(?:@[A-Za-z0-9-~][A-Za-z0-9-._~]*\/)?[A-Za-z0-9-~][A-Za-z0-9-._~]*$/;

/** A package name that may exist anywhere (old names with capitals included), e.g. for an advisory. */
export function validateAnyPackageName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 214 || !ANY_NAME.test(name)) {
    throw new RegistryError('BAD_NAME', `invalid package name ${JSON.stringify(String(name).slice(0, 100))}`);
  }
  return name;
}

// Strict semver 2.0.0 (the regular expression from semver.org), without a leading "v" or "=".
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export function isVersion(version: unknown): version is string {
  return typeof version === 'string' && version.length <= 256 && SEMVER.test(version);
}

export function validateVersion(version: unknown): string {
  if (!isVersion(version)) throw new RegistryError('BAD_VERSION', `invalid version ${JSON.stringify(String(version).slice(0, 100))}`);
  return version;
}

// A tag must not read as a version range (npm would resolve "1" or "x" as a range instead).
const TAG = /^[A-Za-z][A-Za-z0-9._-]{0,99}$/;

export function validateTag(tag: unknown): string {
  if (typeof tag !== 'string' || !TAG.test(tag) || /^v\d/i.test(tag) || tag === 'x' || tag === 'X') {
    throw new RegistryError('BAD_REQUEST', `invalid dist-tag ${JSON.stringify(String(tag).slice(0, 100))}: expected a name such as "latest" or "beta"`);
  }
  return tag;
}

const USER = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function validateUserName(name: unknown): string {
  if (typeof name !== 'string' || !USER.test(name)) {
    throw new RegistryError('BAD_NAME', `invalid user name ${JSON.stringify(String(name).slice(0, 100))}: expected lowercase letters, digits, ".", "_" or "-" (at most 64)`);
  }
  return name;
}

/** The scope a package name belongs to ("@acme" for "@acme/x"), or null for an unscoped name. */
export function scopeOf(name: string): string | null {
  return name.startsWith('@') ? name.slice(0, name.indexOf('/')) : null;
}

/** The tarball file name npm uses: the name without its scope, a dash, the version. */
export function tarballFileName(name: string, version: string): string {
  return `${name.slice(name.indexOf('/') + 1)}-${version}.tgz`;
}

/** The URL path of a package: "@scope/name" keeps its slash (npm accepts both spellings). */
export function packagePath(name: string): string {
  return name.split('/').map((s) => encodeURIComponent(s).replace(/^%40/, '@')).join('/');
}
