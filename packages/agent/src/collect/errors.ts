/**
 * Errors of the investigation collector. An item that cannot be collected never aborts the
 * package: these classes tell the collector which status to record (`missing` or `failed`) and
 * their message becomes the item's `error` in the summary, so it must say what was absent or
 * what went wrong.
 */
export const COLLECT_ERROR_CODES = [
  'QUELL_E_AGENT_COLLECT_MISSING',
  'QUELL_E_AGENT_COLLECT_COMMAND',
  'QUELL_E_AGENT_COLLECT_TIMEOUT',
  'QUELL_E_AGENT_COLLECT_ABORTED',
] as const;
export type CollectErrorCode = (typeof COLLECT_ERROR_CODES)[number];

/** Base of every error the collector raises on purpose. */
export abstract class CollectError extends Error {
  abstract readonly code: CollectErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The source does not exist on this host (file, command, or the service it queries). */
export class SourceMissingError extends CollectError {
  readonly code = 'QUELL_E_AGENT_COLLECT_MISSING';
}

/** A command ran and exited non-zero or was killed; `stderr` holds the tail of its error output. */
export class CommandFailedError extends CollectError {
  readonly code = 'QUELL_E_AGENT_COLLECT_COMMAND';
  constructor(
    readonly commandLine: string,
    readonly exitCode: number | null,
    readonly exitSignal: string | null,
    readonly stderr: string,
  ) {
    const how =
      exitCode !== null ? `exited with code ${exitCode}` : `was killed by ${exitSignal ?? 'a signal'}`;
    super(`${commandLine} ${how}${stderr ? `: ${stderr}` : ''}`);
  }
}

/** A command outlived `commandTimeoutMs` and was killed; what it printed before is kept. */
export class CommandTimeoutError extends CollectError {
  readonly code = 'QUELL_E_AGENT_COLLECT_TIMEOUT';
  constructor(
    readonly commandLine: string,
    readonly timeoutMs: number,
  ) {
    super(`${commandLine} did not finish within ${timeoutMs} ms and was killed; its output so far is kept`);
  }
}

/** The job was cancelled; the partial package has been deleted. */
export class CollectionAbortedError extends CollectError {
  readonly code = 'QUELL_E_AGENT_COLLECT_ABORTED';
  constructor(options?: { cause?: unknown }) {
    super('the investigation package collection was cancelled; the partial package was deleted', options);
  }
}

/** Text for the summary: the message, with the errno code when Node gave one (ENOENT, EACCES…). */
export function describeError(err: unknown): string {
  if (err instanceof CollectError) return err.message;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** True for the errno codes that mean "not there" rather than "could not read". */
export function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
