// Errors of the approval domain and its database: every refusal carries one of these codes, and the
// HTTP status (for the gateway) and the hint come from this one table.
export type ApprovalErrorCode =
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'EXPIRED'
  | 'CHALLENGE'
  | 'CREDENTIAL'
  | 'INVITE'
  | 'BELOW_REQUIRED'
  | 'DATABASE'
  | 'DATABASE_NEWER';

export const APPROVAL_ERRORS: Record<ApprovalErrorCode, { status: number; hint?: string }> = {
  BAD_REQUEST: { status: 400 },
  NOT_FOUND: { status: 404 },
  FORBIDDEN: { status: 403 },
  CONFLICT: { status: 409 },
  EXPIRED: { status: 410, hint: 'the request expired; publish a new version to ask again' },
  CHALLENGE: { status: 403, hint: 'ask for a new challenge: each one is for one action, once, for a short time' },
  CREDENTIAL: { status: 403, hint: 'register this device again from the gateway\'s web page' },
  INVITE: { status: 403, hint: 'ask an owner of the package for a new invitation' },
  BELOW_REQUIRED: { status: 409, hint: 'invite someone or lower the required count first, or confirm the removal' },
  DATABASE: { status: 500, hint: 'check --database (a postgres:// URL, reachable, with rights to create tables) or the data folder' },
  DATABASE_NEWER: { status: 500, hint: 'the database was set up by a newer packsec; upgrade packsec' },
};

export class ApprovalError extends Error {
  override readonly name = 'ApprovalError';
  constructor(
    readonly code: ApprovalErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return APPROVAL_ERRORS[this.code].status;
  }

  get hint(): string | undefined {
    return APPROVAL_ERRORS[this.code].hint;
  }
}
