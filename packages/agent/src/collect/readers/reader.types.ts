/** What a built-in reader gets from the collector. */
export interface ReaderContext {
  /** Root of file reads (etc/passwd for user names). */
  fsRoot: string;
  /** Where /proc is mounted. */
  procRoot: string;
  signal: AbortSignal;
}

/**
 * A built-in reader: yields its item's content in chunks (text or bytes) so the collector can
 * stream it into the package. Throwing `SourceMissingError` before the first chunk records the
 * item as missing; any other error, as failed (with what was yielded so far kept).
 */
export type Reader = (ctx: ReaderContext) => AsyncIterable<string | Uint8Array>;
