/**
 * A TAXII server could not be used. The message says what to fix (credentials, URL, access);
 * `retryable` tells a feed scheduler whether trying again later may help.
 */
export class TaxiiError extends Error {
  constructor(
    message: string,
    /** The URL, or for a paging problem the collection, that failed. */
    readonly target: string,
    readonly status: number | null = null,
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TaxiiError';
  }
}
