/**
 * What the agent tells the server happened on the device outside a command (issue 4): executions
 * it denied, files it saw, copies it remediated on its own. The runtime holds one sink; the
 * enforcement modules emit into it and the channel-side reporter batches them to the server.
 */
export const EXEC_DENIAL_REASONS = ['untrusted', 'blocked_indicator'] as const;
export type ExecDenialReason = (typeof EXEC_DENIAL_REASONS)[number];

export const FILE_OBSERVATION_SOURCES = ['exec', 'scan', 'package'] as const;
export type FileObservationSource = (typeof FILE_OBSERVATION_SOURCES)[number];

export const REMEDIATION_OUTCOMES = ['quarantined', 'refused', 'failed'] as const;
export type RemediationOutcome = (typeof REMEDIATION_OUTCOMES)[number];

export type AgentEvent =
  | {
      kind: 'exec_denied';
      path: string;
      pid: number;
      sha256: string | null;
      reason: ExecDenialReason;
      /** The block indicator that matched, when `reason` is `blocked_indicator`. */
      indicatorId: string | null;
      at: number;
    }
  | { kind: 'exec_control_failed_open'; error: string; at: number }
  | {
      kind: 'file_observed';
      source: FileObservationSource;
      path: string;
      sha256: string;
      sha1: string | null;
      md5: string | null;
      size: number | null;
      user: string | null;
      at: number;
    }
  | {
      kind: 'remediated';
      path: string;
      sha256: string;
      /** The block-and-remediate indicator that matched. */
      indicatorId: string | null;
      /** The vault entry, when the copy was quarantined. */
      quarantineId: string | null;
      outcome: RemediationOutcome;
      error: string | null;
      at: number;
    };

export interface AgentEventSink {
  emit(e: AgentEvent): void;
}

/** For runtimes with nowhere to send events (tests, `reconcile --once`). */
export const discardEvents: AgentEventSink = { emit: () => undefined };
