export type {
  ProgressFn,
  JobContext,
  ManagementEndpoint,
  IsolationTarget,
  FirewallReadback,
  Firewall,
  ExecControlStatus,
  ExecControlEvent,
  ExecControl,
  ScanRequest,
  ScanReport,
  Scanner,
  CollectedItem,
  CollectionReport,
  Collector,
} from './ports.js';

// Runtime
export { runAgentCli, EXIT_CODES } from './cli.js';
export { AgentRuntime, createDesiredState } from './agent.js';
export type { AgentPorts, AgentRuntimeOptions } from './agent.js';
export { createRealPorts } from './real-ports.js';
export {
  AgentConfigFile,
  CONFIG_DEFAULTS,
  DEFAULT_CONFIG_PATH,
  configProblems,
  withDefaults,
} from './config/agent-config.js';
export type { AgentConfig } from './config/agent-config.js';
export { loadConfig, parseConfig, readConfigFile, saveConfigFile } from './config/config-file.js';
export { enroll } from './identity/enroll.js';
export type { EnrollOptions, EnrollOutcome } from './identity/enroll.js';
export { parseEnrollmentToken } from './identity/enrollment-token.js';
export type { EnrollmentToken } from './identity/enrollment-token.js';
export { certFingerprint, connectPinned } from './identity/pinned-tls.js';
export { loadIdentity, IDENTITY_FILES } from './identity/key-store.js';
export type { Identity } from './identity/key-store.js';
export { AgentChannel, CHANNEL_STOP_REASONS } from './transport/agent-channel.js';
export type { AgentChannelOptions, ChannelStopReason, HelloInfo } from './transport/agent-channel.js';
export { backoffDelay, DEFAULT_BACKOFF } from './transport/backoff.js';
export type { BackoffPolicy } from './transport/backoff.js';
export { uploadFile, UPLOAD_CHUNK_BYTES } from './transport/upload.js';
export type { UploadOutcome } from './transport/upload.js';
export { DesiredStateFile, EMPTY_DESIRED_STATE } from './state/desired-state.js';
export type { DesiredState } from './state/desired-state.js';
export { ExecutedStore, EXECUTED_DEFAULTS } from './state/executed-store.js';
export type { ExecutedRecord, ExecutedStoreLimits } from './state/executed-store.js';
export { Outbox } from './state/outbox.js';
export { JobRunner } from './jobs/job-runner.js';
export { CommandVerifier } from './jobs/command-verifier.js';
export { HandlerRegistry } from './handlers/handler-registry.js';
export { BaseActionHandler } from './handlers/action-handler.js';
export type { ActionHandler, HandlerContext, HandlerOutcome } from './handlers/action-handler.js';
export { StateReporter } from './enforcement/state-reporter.js';
export { DesiredStateController } from './enforcement/desired-state-controller.js';
export { FirewallIsolationEnforcer } from './enforcement/firewall-isolation.enforcer.js';
export type {
  IsolationEnforcer,
  IsolationApplyOutcome,
  ReachabilityProbe,
} from './enforcement/isolation-enforcer.js';
export { collectInventory, AGENT_CAPABILITIES } from './inventory/inventory.js';
export { createLogger, silentLogger, LOG_LEVELS } from './log.js';
export type { Logger, LogLevel } from './log.js';
export {
  AGENT_ERROR_CODES,
  AgentError,
  ConfigError,
  TokenFormatError,
  PinMismatchError,
  EnrollRefusedError,
  NotEnrolledError,
  UnreachableError,
  StateError,
  ActionNotSupportedError,
  ParamsError,
  UploadError,
} from './errors.js';
export type { AgentErrorCode } from './errors.js';

// OS modules (their own entry points)
export {
  NftablesFirewall,
  InMemoryFirewall,
  IsolationReconciler,
  applyIsolationSafely,
} from './firewall/index.js';
export type {
  NftablesFirewallOptions,
  IsolationReconcilerOptions,
  SafeIsolationResult,
} from './firewall/index.js';
export { FileScanner } from './scan/index.js';
export type { FileScannerOptions } from './scan/index.js';
export { InvestigationCollector } from './collect/index.js';
export type { InvestigationCollectorOptions } from './collect/index.js';
export { FanotifyExecControl, PackageTrustPolicy, DEFAULT_HELPER_PATH } from './exec-control/index.js';
export type { FanotifyExecControlOptions, PackageTrustPolicyOptions } from './exec-control/index.js';
