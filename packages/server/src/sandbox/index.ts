// The deep-analysis sandbox engine: detonate a file in bubblewrap under strace and report what it did.
export type { DetonationInput, SandboxRunner } from './sandbox-runner.js';
export { BwrapSandbox, DEFAULT_SANDBOX_USER, type BwrapSandboxOptions } from './bwrap-sandbox.js';
export { SandboxQueue, type SandboxJob, type SandboxQueueOptions } from './sandbox-queue.js';
export { SandboxUnavailableError } from './sandbox.errors.js';
export {
  DEFAULT_LIMITS,
  DEFAULT_TIMEOUT_MS,
  MAX_SAMPLE_BYTES,
  MAX_TIMEOUT_MS,
  MIN_TIMEOUT_MS,
  resolveLimits,
  resolveTimeout,
  type SandboxLimits,
} from './limits.js';
export {
  SandboxReportSchema,
  BehaviourSchema,
  type SandboxReport,
  type Behaviour,
  type SandboxProcess,
  type FileRecord,
  type PersistenceRecord,
  type NetworkAttempt,
  type DnsQuery,
  type LimitHit,
} from './report.schema.js';
export {
  ADDRESS_FAMILIES,
  ATTACK_TACTICS,
  BEHAVIOUR_IDS,
  FILE_CHANGES,
  FILE_TYPES,
  LIMIT_KINDS,
  NETWORK_PROTOCOLS,
  NETWORK_RESULTS,
  PERSISTENCE_KINDS,
  SANDBOX_JOB_STATUSES,
  SANDBOX_STATUSES,
  SANDBOX_VERDICTS,
  type AttackTactic,
  type BehaviourId,
  type LimitKind,
  type PersistenceKind,
  type SandboxJobStatus,
  type SandboxStatus,
  type SandboxVerdict,
} from './sandbox.vocab.js';
export {
  BEHAVIOUR_RULES,
  DEFAULT_RULE_OPTIONS,
  detectBehaviours,
  type RuleOptions,
} from './behaviour-rules.js';
export { scoreBehaviours, VERDICT_THRESHOLDS } from './verdict.js';
export { parseStrace, StraceParser } from './strace-parser.js';
export { analyseTrace, type TraceAnalysis } from './analyse-trace.js';
export type { TraceEvent } from './trace-events.js';
