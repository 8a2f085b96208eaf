import type { ExecControlEvent } from '../ports.js';
import { EXEC_DENIAL_REASONS, type AgentEvent, type ExecDenialReason } from './agent-events.js';

/**
 * A device event from what exec control reports: a denial (`untrusted` unless the helper says a
 * block indicator matched) or the helper crashing, which leaves execution unrestricted: it
 * fails open, and the server raises an alert.
 */
export function execControlEvent(e: ExecControlEvent): AgentEvent {
  if (e.kind === 'helper_crashed')
    return { kind: 'exec_control_failed_open', error: e.error.slice(0, 2000), at: e.at };
  // Exec control may name the reason and the indicator (block by hash); older helpers do not.
  const more = e as { reason?: unknown; indicatorId?: unknown };
  const reason: ExecDenialReason = (EXEC_DENIAL_REASONS as readonly unknown[]).includes(more.reason)
    ? (more.reason as ExecDenialReason)
    : 'untrusted';
  const indicatorId =
    typeof more.indicatorId === 'string' && more.indicatorId.length > 0
      ? more.indicatorId.slice(0, 200)
      : null;
  return {
    kind: 'exec_denied',
    path: e.path || '(unknown)',
    pid: e.pid,
    sha256: e.sha256 && /^[a-f0-9]{64}$/i.test(e.sha256) ? e.sha256.toLowerCase() : null,
    reason,
    indicatorId,
    at: e.at,
  };
}
