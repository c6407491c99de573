// Errors of the registry domain: every refusal the server sends carries one of these codes, and the
// HTTP status and the CLI exit code both come from this one table.
export type RegistryErrorCode =
  | 'BAD_REQUEST'
  | 'BAD_JSON'
  | 'BAD_NAME'
  | 'BAD_VERSION'
  | 'BAD_TARBALL'
  | 'INTEGRITY'
  | 'TOO_LARGE'
  | 'ENCODING'
  | 'MEDIA_TYPE'
  | 'HEADERS_TOO_LARGE'
  | 'OTP_REQUIRED'
  | 'GONE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'VERSION_EXISTS'
  | 'CONFLICT'
  | 'METHOD'
  | 'NOT_IMPLEMENTED'
  | 'UPSTREAM'
  | 'DATA_DIR'
  | 'DATA_CORRUPT';

export const REGISTRY_ERRORS: Record<RegistryErrorCode, { status: number; hint?: string }> = {
  BAD_REQUEST: { status: 400 },
  BAD_JSON: { status: 400, hint: 'the request body must be a JSON document' },
  BAD_NAME: { status: 400, hint: 'names follow npm rules: lowercase, URL-safe, at most 214 characters, optionally @scope/name' },
  BAD_VERSION: { status: 400, hint: 'versions are strict semver, e.g. 1.2.3 or 1.2.3-beta.1' },
  BAD_TARBALL: { status: 400, hint: 'publish a tarball made by `npm pack` (gzip, with package/package.json)' },
  INTEGRITY: { status: 400, hint: 'the tarball does not match the integrity or shasum in its manifest' },
  TOO_LARGE: { status: 413 },
  ENCODING: { status: 415, hint: 'send the body as is or gzip-compressed (content-encoding: gzip)' },
  MEDIA_TYPE: { status: 415, hint: 'send the body as JSON (content-type: application/json), as npm does' },
  HEADERS_TOO_LARGE: { status: 431, hint: 'request headers are limited to 16 KiB' },
  OTP_REQUIRED: { status: 401, hint: 'open authUrl in a browser to approve; npm polls doneUrl and retries with the one-time token it gets there' },
  GONE: { status: 410 },
  UNAUTHORIZED: { status: 401, hint: 'log in with `npm login`, or put a token from `packsec registry token` in .npmrc' },
  FORBIDDEN: { status: 403 },
  NOT_FOUND: { status: 404 },
  VERSION_EXISTS: { status: 403, hint: 'published version numbers are never reused; bump the version' },
  CONFLICT: { status: 409 },
  METHOD: { status: 405 },
  NOT_IMPLEMENTED: { status: 501 },
  UPSTREAM: { status: 502 },
  DATA_DIR: { status: 500, hint: 'check that --data names a writable folder' },
  DATA_CORRUPT: { status: 500, hint: 'a file in the data folder was edited by hand or damaged; restore it from a backup' },
};

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return REGISTRY_ERRORS[this.code].status;
  }

  get hint(): string | undefined {
    return REGISTRY_ERRORS[this.code].hint;
  }
}
