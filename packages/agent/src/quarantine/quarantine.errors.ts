import type { PersistenceKind } from './quarantine.types.js';

/**
 * Stable codes of quarantine failures (to join the agent's AGENT_ERROR_CODES when the handlers
 * are wired). Each error leaves the device as it found it unless its doc says otherwise.
 */
export const QUARANTINE_ERROR_CODES = [
  'QUELL_E_AGENT_QUARANTINE_REFUSED',
  'QUELL_E_AGENT_QUARANTINE_CONFLICT',
  'QUELL_E_AGENT_QUARANTINE_NOT_FOUND',
  'QUELL_E_AGENT_QUARANTINE_PROCESS',
  'QUELL_E_AGENT_QUARANTINE_VAULT',
] as const;
export type QuarantineErrorCode = (typeof QUARANTINE_ERROR_CODES)[number];

/** Base of every quarantine failure raised on purpose. */
export abstract class QuarantineError extends Error {
  abstract readonly code: QuarantineErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export const REFUSAL_REASONS = ['package_owned', 'allowed'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface Refusal {
  /** Device path of the copy; null for a refusal of the hash itself (`allowed`). */
  path: string | null;
  reason: RefusalReason;
  detail: string;
}

/**
 * The file is one the device must keep: a path the OS package database owns (reinstall the
 * package instead), or a hash an allow indicator covers (remove the indicator first). Raised
 * before anything is stopped, moved or edited: nothing changed.
 */
export class QuarantineRefusedError extends QuarantineError {
  readonly code = 'QUELL_E_AGENT_QUARANTINE_REFUSED';
  constructor(readonly refusals: readonly Refusal[]) {
    super(`quarantine refused, nothing changed: ${refusals.map((r) => r.detail).join('; ')}`);
  }
}

export interface RestoreConflict {
  /** Device path that is already taken. */
  path: string;
  kind: 'file' | PersistenceKind;
  detail: string;
}

/**
 * Restoring would overwrite something different at an original path. Raised before anything is
 * written: nothing changed, the vault entry stays.
 */
export class QuarantineConflictError extends QuarantineError {
  readonly code = 'QUELL_E_AGENT_QUARANTINE_CONFLICT';
  constructor(readonly conflicts: readonly RestoreConflict[]) {
    super(
      `restore would overwrite ${conflicts.map((c) => `${c.path} (${c.detail})`).join('; ')}; nothing changed. Move those away and retry`,
    );
  }
}

/** No vault entry matches the entry id or hash asked for. */
export class QuarantineNotFoundError extends QuarantineError {
  readonly code = 'QUELL_E_AGENT_QUARANTINE_NOT_FOUND';
}

/**
 * Processes running the file were sent SIGKILL but are still there (typically stuck in
 * uninterruptible I/O). No file was moved and no persistence removed; retry the action.
 */
export class QuarantineProcessError extends QuarantineError {
  readonly code = 'QUELL_E_AGENT_QUARANTINE_PROCESS';
  constructor(readonly survivors: readonly number[]) {
    super(
      `processes ${survivors.join(', ')} are still alive after SIGKILL (uninterruptible?); no file was moved. Retry the action`,
    );
  }
}

/** The vault (or an entry's manifest or content) is unreadable, corrupt or could not be written. */
export class QuarantineVaultError extends QuarantineError {
  readonly code = 'QUELL_E_AGENT_QUARANTINE_VAULT';
}
