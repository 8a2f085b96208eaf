/** Stable error codes; one per class. Users and scripts match on these, never on messages. */
export const ERROR_CODES = [
  'QUELL_E_INPUT',
  'QUELL_E_NOT_FOUND',
  'QUELL_E_CONFLICT',
  'QUELL_E_NOT_ALLOWED',
  'QUELL_E_UNAUTHENTICATED',
  'QUELL_E_NOT_SUPPORTED',
  'QUELL_E_ILLEGAL_TRANSITION',
  'QUELL_E_RATE_LIMITED',
  'QUELL_E_INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetails {
  [key: string]: unknown;
}

/** Base of every error Quell raises on purpose. `message` says what was wrong and what to do. */
export abstract class QuellError extends Error {
  abstract readonly code: ErrorCode;
  constructor(
    message: string,
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InputError extends QuellError {
  readonly code = 'QUELL_E_INPUT';
}
export class NotFoundError extends QuellError {
  readonly code = 'QUELL_E_NOT_FOUND';
}
export class ConflictError extends QuellError {
  readonly code = 'QUELL_E_CONFLICT';
}
export class NotAllowedError extends QuellError {
  readonly code = 'QUELL_E_NOT_ALLOWED';
}
export class UnauthenticatedError extends QuellError {
  readonly code = 'QUELL_E_UNAUTHENTICATED';
}
export class NotSupportedError extends QuellError {
  readonly code = 'QUELL_E_NOT_SUPPORTED';
}
export class IllegalTransitionError extends QuellError {
  readonly code = 'QUELL_E_ILLEGAL_TRANSITION';
}
export class RateLimitedError extends QuellError {
  readonly code = 'QUELL_E_RATE_LIMITED';
}

/** HTTP status per code, used by the one error handler in the server. */
export const ERROR_HTTP_STATUS: Record<ErrorCode, number> = {
  QUELL_E_INPUT: 400,
  QUELL_E_NOT_FOUND: 404,
  QUELL_E_CONFLICT: 409,
  QUELL_E_NOT_ALLOWED: 403,
  QUELL_E_UNAUTHENTICATED: 401,
  QUELL_E_NOT_SUPPORTED: 501,
  QUELL_E_ILLEGAL_TRANSITION: 409,
  QUELL_E_RATE_LIMITED: 429,
  QUELL_E_INTERNAL: 500,
};
