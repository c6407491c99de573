// Errors of the verify domain that stop a command (bad trust material, a refresh that failed). Results about
// packages (a bad signature, failed provenance) are data, never these errors.
export type VerifyErrorCode = 'REGISTRY_KEYS_INVALID' | 'TRUST_INVALID' | 'TRUST_REFRESH_FAILED';

export const VERIFY_ERRORS: Record<VerifyErrorCode, { hint: string }> = {
  REGISTRY_KEYS_INVALID: { hint: 'the registry answered /-/npm/v1/keys with a document packsec cannot use; check the registry URL' },
  TRUST_INVALID: { hint: 'delete the file named above and run `packsec trust refresh`, or reinstall packsec to restore the shipped copy' },
  TRUST_REFRESH_FAILED: { hint: 'the trust root in use is unchanged; `packsec trust show` prints which one that is' },
};

export class VerifyError extends Error {
  override readonly name = 'VerifyError';
  constructor(
    readonly code: VerifyErrorCode,
    message: string,
  ) {
    super(message);
  }
}
