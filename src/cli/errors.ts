// Maps every domain error code to its message, a hint and an exit code (0 ok, 1 found a problem, 2 bad input).
import { ApprovalError } from '../approval/errors.js';
import { PolicyError } from '../policy/index.js';
import { RegistryError } from '../registry/errors.js';
import { VERIFY_ERRORS, VerifyError } from '../verify/error.js';

export type CliErrorCode = 'USAGE' | 'NO_PROJECT' | 'NO_LOCK' | 'NO_NODE_MODULES' | 'UNKNOWN_PACKAGE' | 'SERVER';

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: CliErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const HINTS: Record<string, { exit: number; hint?: string }> = {
  USAGE: { exit: 2, hint: 'run `packsec --help` for usage' },
  NO_PROJECT: { exit: 2 },
  NO_LOCK: { exit: 2, hint: 'run `packsec init` to record what is installed' },
  NO_NODE_MODULES: { exit: 2, hint: 'install dependencies first (`npm install`, or `npsm install`)' },
  UNKNOWN_PACKAGE: { exit: 2 },
  SERVER: { exit: 2 },
  POLICY_NOT_FOUND: { exit: 2, hint: 'run `packsec init` to create one' },
  POLICY_PARSE: { exit: 2, hint: 'fix the file, or delete it and run `packsec init`' },
  POLICY_INVALID: { exit: 2, hint: 'the policy format is described in docs/policy.md' },
  LOCK_PARSE: { exit: 2, hint: 'fix the file, or delete it and run `packsec init` to rebuild it' },
  LOCK_INVALID: { exit: 2, hint: 'packsec.lock.json is machine-written; delete it and run `packsec init` to rebuild it' },
  POLICY_WRITE: { exit: 2 },
  FETCH_FAILED: { exit: 2, hint: 'check the registry and your network; nothing was installed' },
  INSTALL_MISMATCH: { exit: 2, hint: 'npm installed other bytes than the reviewed tarball; node_modules may be partly updated: run `packsec check`' },
  NPM_CI_NO_LOCK: { exit: 2 },
  NPM_CI_OUT_OF_SYNC: { exit: 2 },
  NPM_ERROR: { exit: 2 },
  POPULAR_LIST_INVALID: { exit: 2 },
};

export interface Failure {
  code: string;
  message: string;
  hint?: string;
  exit: number;
}

export function describeError(err: unknown): Failure {
  if (err instanceof CliError || err instanceof PolicyError) {
    const entry = HINTS[err.code] ?? { exit: 2 };
    const hint = (err instanceof CliError ? err.hint : undefined) ?? entry.hint;
    return { code: err.code, message: err.message, exit: entry.exit, ...(hint ? { hint } : {}) };
  }
  if (err instanceof RegistryError || err instanceof ApprovalError) {
    return { code: err.code, message: err.message, exit: 2, ...(err.hint ? { hint: err.hint } : {}) };
  }
  if (err instanceof VerifyError) return { code: err.code, message: err.message, exit: 2, hint: VERIFY_ERRORS[err.code].hint };
  const e = err as Error & { code?: unknown };
  if (typeof e?.code === 'string' && e.code in HINTS) {
    const entry = HINTS[e.code]!;
    return { code: e.code, message: e.message, exit: entry.exit, ...(entry.hint ? { hint: entry.hint } : {}) };
  }
  return { code: 'INTERNAL', message: e?.stack ?? String(err), exit: 2, hint: 'this is a bug in packsec; please report it with the output above' };
}
