// Refusals of the approver UI, one code each with its HTTP status and a hint (WebAuthn ceremonies have
// their own codes in ../webauthn.ts; both are answered the same way).
export type WebErrorCode =
  | 'SIGN_IN'
  | 'ORIGIN'
  | 'CSRF'
  | 'MEDIA_TYPE'
  | 'TOO_LARGE'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'NOT_ALLOWED'
  | 'LINK_REQUIRED'
  | 'STEP_UP_REQUIRED'
  | 'NOT_OWNER'
  | 'CONFLICT'
  | 'BELOW_REQUIRED';

export const WEB_ERRORS: Record<WebErrorCode, { status: number; hint: string }> = {
  SIGN_IN: { status: 401, hint: 'sign in again (sessions end after 12 hours)' },
  ORIGIN: { status: 403, hint: "requests must come from the gateway's own pages" },
  CSRF: { status: 403, hint: 'reload the page and try again' },
  MEDIA_TYPE: { status: 415, hint: 'send application/json or a form' },
  TOO_LARGE: { status: 413, hint: 'the request body is too large' },
  BAD_REQUEST: { status: 400, hint: 'the request is malformed' },
  NOT_FOUND: { status: 404, hint: 'the request does not exist or is not one of yours' },
  NOT_ALLOWED: { status: 403, hint: 'the approval rule does not let you do this' },
  LINK_REQUIRED: { status: 403, hint: 'sign in with a one-time login link to register your first device' },
  STEP_UP_REQUIRED: { status: 403, hint: 'confirm with a device you registered before, then add the new one' },
  NOT_OWNER: { status: 403, hint: "only the package's owners (its maintainers; for a scope, who maintains all of its packages) may do this" },
  CONFLICT: { status: 409, hint: 'reload the page: it no longer matches what is stored' },
  BELOW_REQUIRED: { status: 409, hint: 'invite someone or lower the required count first, or confirm the removal' },
};

export class WebError extends Error {
  readonly status: number;
  readonly hint: string;
  constructor(readonly code: WebErrorCode, message: string) {
    super(message);
    this.name = 'WebError';
    this.status = WEB_ERRORS[code].status;
    this.hint = WEB_ERRORS[code].hint;
  }
}
