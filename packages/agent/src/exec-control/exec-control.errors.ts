/** Stable code of every exec-control failure (to join the agent's AGENT_ERROR_CODES). */
export const EXEC_CONTROL_ERROR_CODE = 'QUELL_E_AGENT_EXEC_CONTROL';

/**
 * Restriction could not be switched on: the helper is missing, fanotify is unavailable
 * (needs root and CONFIG_FANOTIFY_ACCESS_PERMISSIONS), a mount could not be marked, or the
 * package database is unreadable. The message says which, with the helper's own words.
 */
export class ExecControlError extends Error {
  readonly code = EXEC_CONTROL_ERROR_CODE;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExecControlError';
  }
}
