import { ConflictError, InputError, QuellError } from '@quell/core';
import { StateError } from '../errors.js';

/**
 * An indicator in a snapshot or delta that the agent cannot hold: a malformed id or value, an
 * unknown type or action. The whole payload is refused and nothing changes, so the agent keeps
 * enforcing its last good set; `details.index` and `details.id` name the offending entry.
 */
export class InvalidIndicatorError extends InputError {}

/**
 * A delta that does not start from the version the agent holds (or arrives before any
 * snapshot). Nothing changes; the caller asks the server for a snapshot.
 */
export class IndicatorVersionError extends ConflictError {
  /** Always true: the only way forward is a snapshot. */
  readonly needsSnapshot = true;
  constructor(
    readonly heldVersion: number | null,
    readonly fromVersion: number,
  ) {
    super(
      heldVersion === null
        ? `indicator delta from version ${fromVersion} refused: no snapshot has been applied yet; request a snapshot`
        : `indicator delta from version ${fromVersion} refused: the agent holds version ${heldVersion}; request a snapshot`,
      { heldVersion, fromVersion },
    );
  }
}

/** A firewall target that cannot become rules (a bad port, uid or table name); nothing reaches nft. */
export class InvalidIocTargetError extends InputError {}

/** The persisted indicator file is unreadable or corrupt; move it away (or let a snapshot replace it). */
export class IndicatorFileError extends StateError {}

/** The DNS filter could not start or lost its sockets; `details` says which step failed. */
export class DnsFilterError extends QuellError {
  readonly code = 'QUELL_E_INTERNAL';
}
