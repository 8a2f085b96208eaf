/**
 * Agent error codes. The agent runs on endpoints and talks to people through its log and its
 * CLI, so every failure it raises on purpose names what was wrong and what to do, with a code
 * scripts can match on.
 */
export const AGENT_ERROR_CODES = [
  'QUELL_E_AGENT_CONFIG',
  'QUELL_E_AGENT_TOKEN',
  'QUELL_E_AGENT_PIN',
  'QUELL_E_AGENT_ENROLL',
  'QUELL_E_AGENT_NOT_ENROLLED',
  'QUELL_E_AGENT_UNREACHABLE',
  'QUELL_E_AGENT_STATE',
  'QUELL_E_AGENT_NOT_SUPPORTED',
  'QUELL_E_AGENT_PARAMS',
  'QUELL_E_AGENT_UPLOAD',
] as const;
export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number];

/** Base of every error the agent raises on purpose. */
export abstract class AgentError extends Error {
  abstract readonly code: AgentErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The config file is missing, unreadable or has bad keys (all of them are listed). */
export class ConfigError extends AgentError {
  readonly code = 'QUELL_E_AGENT_CONFIG';
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
/** The enrollment token is not `qe1.<secret>.<sha256 hex>`. */
export class TokenFormatError extends AgentError {
  readonly code = 'QUELL_E_AGENT_TOKEN';
}
/** The server presented a certificate other than the pinned one: nothing was sent. */
export class PinMismatchError extends AgentError {
  readonly code = 'QUELL_E_AGENT_PIN';
  constructor(
    readonly expected: string,
    readonly actual: string,
    host: string,
  ) {
    super(
      `the server at ${host} presented certificate sha256 ${actual}, but ${expected} is pinned; nothing was sent. Check the server URL, or re-enroll with a token from this server`,
    );
  }
}
/** The server refused the enrollment (its message is shown). */
export class EnrollRefusedError extends AgentError {
  readonly code = 'QUELL_E_AGENT_ENROLL';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
/** The agent has no identity yet: `quell-agent enroll` first. */
export class NotEnrolledError extends AgentError {
  readonly code = 'QUELL_E_AGENT_NOT_ENROLLED';
}
export class UnreachableError extends AgentError {
  readonly code = 'QUELL_E_AGENT_UNREACHABLE';
}
/** A file under the state directory is unreadable or corrupt. */
export class StateError extends AgentError {
  readonly code = 'QUELL_E_AGENT_STATE';
}
/** This agent has no handler for an action type. */
export class ActionNotSupportedError extends AgentError {
  readonly code = 'QUELL_E_AGENT_NOT_SUPPORTED';
}
/** A command's params do not match what its handler accepts. */
export class ParamsError extends AgentError {
  readonly code = 'QUELL_E_AGENT_PARAMS';
}
export class UploadError extends AgentError {
  readonly code = 'QUELL_E_AGENT_UPLOAD';
}

/** A one-line description of anything thrown, for logs and failed results. */
export function errorMessage(e: unknown): string {
  if (e instanceof AgentError) return `${e.message} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}
