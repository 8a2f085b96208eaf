import { ApiError } from '@quell/contracts';

/** A failure the CLI detects itself (bad input file, no login); printed like an API error. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: string = 'QUELL_E_INPUT',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The `error: <message> (<code>)` line for anything a command threw. */
export function describeError(e: unknown, url?: string): { message: string; code: string } {
  if (e instanceof ApiError || e instanceof CliError) return { message: e.message, code: e.code };
  if (e instanceof TypeError && e.message === 'fetch failed') {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? 'no answer';
    return {
      message: `cannot reach the Quell server${url ? ` at ${url}` : ''} (${why}); check the URL and that the server is running`,
      code: 'QUELL_E_UNREACHABLE',
    };
  }
  return { message: e instanceof Error ? e.message : String(e), code: 'QUELL_E_INTERNAL' };
}
