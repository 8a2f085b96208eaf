import type { AgentEvent } from '../events/agent-events.js';
import type { ExecControlEvent } from '../ports.js';

/** The device event for an exec-control event: a denial, or the helper failing open. */
export function execAgentEvent(e: ExecControlEvent): AgentEvent {
  if (e.kind === 'helper_crashed') return { kind: 'exec_control_failed_open', error: e.error, at: e.at };
  return {
    kind: 'exec_denied',
    path: e.path,
    pid: e.pid,
    sha256: e.sha256,
    reason: e.reason,
    indicatorId: e.indicatorId,
    at: e.at,
  };
}
