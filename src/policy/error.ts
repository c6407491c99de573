// Errors of the policy domain: reading, validating and writing policy and lock files.
export type PolicyErrorCode =
  | 'POLICY_NOT_FOUND'
  | 'POLICY_PARSE'
  | 'POLICY_INVALID'
  | 'LOCK_PARSE'
  | 'LOCK_INVALID'
  | 'POLICY_WRITE';

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly code: PolicyErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}
