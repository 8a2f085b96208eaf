export { NftablesFirewall, type NftablesFirewallOptions } from './nftables.firewall.js';
export { InMemoryFirewall } from './in-memory.firewall.js';
export {
  buildIsolationRuleset,
  buildRemovalScript,
  normaliseRuleset,
  validateTableName,
  DEFAULT_TABLE,
  type IsolationRuleset,
} from './isolation-ruleset.js';
export { parseIpNetwork, type IpNetwork } from './ip-address.js';
export {
  IsolationReconciler,
  ISOLATION_STATES,
  type IsolationState,
  type IsolationStatus,
  type IsolationReconcilerOptions,
} from './isolation-reconciler.js';
export {
  applyIsolationSafely,
  SAFE_ISOLATION_FAILURES,
  type SafeIsolationFailure,
  type SafeIsolationResult,
  type SafeIsolationOptions,
  type ServerProbe,
} from './safe-isolate.js';
export { spawnRunner, withPrefix, type CommandRunner, type CommandResult } from './command-runner.js';
export { InvalidIsolationTargetError, FirewallCommandError } from './firewall.errors.js';
