import type { DeviceEvent } from '@quell/contracts/agent';

/**
 * What the agent tells the server happened on the device outside a command (issue 4): executions
 * it denied, files it saw, copies it remediated on its own. The runtime holds one sink; the
 * enforcement modules emit into it and the {@link EventReporter} batches them to the server. The
 * shapes are the protocol's (`@quell/contracts/agent`, `DeviceEvent`), so what is emitted is what
 * is sent.
 */
export { EXEC_DENIAL_REASONS, FILE_OBSERVATION_SOURCES, REMEDIATION_OUTCOMES } from '@quell/contracts/agent';
export type { ExecDenialReason, FileObservationSource, RemediationOutcome } from '@quell/contracts/agent';

export type AgentEvent = DeviceEvent;

/** Events that must reach the server even across agent restarts (they become alerts). */
export const SECURITY_EVENT_KINDS = ['exec_denied', 'exec_control_failed_open', 'remediated'] as const;

export function isSecurityEvent(e: AgentEvent): boolean {
  return (SECURITY_EVENT_KINDS as readonly string[]).includes(e.kind);
}

export interface AgentEventSink {
  emit(e: AgentEvent): void;
}

/** For runtimes with nowhere to send events (tests, `reconcile --once`). */
export const discardEvents: AgentEventSink = { emit: () => undefined };
