export { DEFAULT_HELPER_PATH, FanotifyExecControl } from './exec-control.js';
export type { ExecControlLogger, FanotifyExecControlOptions } from './exec-control.js';
export { EXEC_CONTROL_ERROR_CODE, ExecControlError } from './exec-control.errors.js';
export { PackageTrustPolicy, TRUST_REASONS } from './trust-policy.js';
export type {
  ExecSubject,
  PackageTrustPolicyOptions,
  TrustDecision,
  TrustPolicy,
  TrustReason,
} from './trust-policy.js';
export { indexOf, loadDpkgIndex } from './dpkg-index.js';
export type { PackageIndex } from './dpkg-index.js';
export type { FileIdentity } from './helper-protocol.js';
export { DenialThrottle } from './denial-throttle.js';
export type { DenialThrottleOptions } from './denial-throttle.js';
export { decideExec } from './exec-decision.js';
export type { ExecDecisionInput } from './exec-decision.js';
