import { InputError, QuellError } from '@quell/core';

/**
 * An isolation target that cannot be turned into rules: a malformed address or CIDR, a port out
 * of range, a bad table name. Raised before anything reaches `nft`, so a bad spec never changes
 * the device's firewall.
 */
export class InvalidIsolationTargetError extends InputError {}

/**
 * `nft` could not be run or answered with an error. `details` carries the exit code and the
 * first part of stderr so the agent's report says what nftables refused.
 */
export class FirewallCommandError extends QuellError {
  readonly code = 'QUELL_E_INTERNAL';
}
