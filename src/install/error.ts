// Errors of the install domain (the `packsec install` gate and its warnings).
export type InstallErrorCode = 'POPULAR_LIST_INVALID';

export class InstallError extends Error {
  override readonly name = 'InstallError';
  constructor(
    readonly code: InstallErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}
