/** Every state an action can be in (ARCHITECTURE §1). */
export const ACTION_STATUSES = [
  'pending_approval',
  'approved',
  'rejected',
  'timed_out',
  'queued',
  'dispatched',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'expired',
  'undone',
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** Who or what asked for an action. */
export const ACTION_SOURCES = [
  'manual',
  'automated_investigation',
  'attack_disruption',
  'playbook',
  'live_response',
] as const;
export type ActionSource = (typeof ACTION_SOURCES)[number];

export const TARGET_KINDS = [
  'device',
  'file',
  'identity',
  'mailbox',
  'indicator',
  'incident',
  'none',
] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** What can carry an action out; executors register under one of these. */
export const EXECUTOR_KINDS = ['agent', 'identity', 'mail', 'sharing', 'webhook', 'server'] as const;
export type ExecutorKind = (typeof EXECUTOR_KINDS)[number];

/** State actions set desired state; one-shot actions run once (ARCHITECTURE §1). */
export const ACTION_KINDS = ['state', 'one_shot'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** Policy status of a state action: whether its desired state is in force. */
export const POLICY_STATUSES = ['active', 'inactive'] as const;
export type PolicyStatus = (typeof POLICY_STATUSES)[number];
