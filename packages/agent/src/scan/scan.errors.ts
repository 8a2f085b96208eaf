import { InputError } from '@quell/core';

/**
 * The scan stopped because its job was cancelled. Named `AbortError` like the platform's own
 * abort errors, so callers that already test `err.name === 'AbortError'` treat it the same.
 */
export class ScanAbortedError extends Error {
  override readonly name = 'AbortError';
  readonly code = 'QUELL_SCAN_ABORTED';
  constructor(options?: { cause?: unknown }) {
    super('The scan was cancelled before it finished.', options);
  }
}

/** The YARA rules in the request do not compile; the message names the rule set and line. */
export class YaraRulesError extends InputError {}

/** Throws a {@link ScanAbortedError} when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new ScanAbortedError({ cause: signal.reason });
}
