import { ApiError, createClient, type CallInput, type CallOutput, type OperationId } from '@quell/contracts';

/**
 * The CSRF token of the cookie session. It lives in memory only: on reload the console asks
 * GET /api/auth/me for it again, so it never sits in storage a script could read later.
 */
let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** For the few requests the typed client cannot make (raw uploads). */
export function getCsrfToken(): string | null {
  return csrfToken;
}

type UnauthorizedListener = () => void;
let onUnauthorized: UnauthorizedListener = () => undefined;
/** Called on any 401, so the session provider can send the user to /login. */
export function setUnauthorizedListener(fn: UnauthorizedListener): void {
  onUnauthorized = fn;
}

export const client = createClient({ baseUrl: '', csrfToken: () => csrfToken });

type Args<Op extends OperationId> =
  {} extends CallInput<Op> ? [input?: CallInput<Op>] : [input: CallInput<Op>];
// The contracts client's own rest-argument type is too deep for TypeScript to check at every call
// site of a large app; this wrapper keeps the per-operation input and output types.
const untypedCall = client.call as unknown as (op: OperationId, input: unknown) => Promise<unknown>;

/** Calls one API operation; a 401 anywhere ends the session in the console. */
export async function call<Op extends OperationId>(
  op: Op,
  ...args: NoInfer<Args<Op>>
): Promise<CallOutput<Op>> {
  try {
    return (await untypedCall(op, (args as readonly unknown[])[0] ?? {})) as CallOutput<Op>;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && op !== 'login') onUnauthorized();
    throw e;
  }
}

/** The message to show for an error of any origin. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message || `${e.code} (HTTP ${e.status})`;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function isConflict(e: unknown): boolean {
  return e instanceof ApiError && e.status === 409;
}

export { ApiError };
