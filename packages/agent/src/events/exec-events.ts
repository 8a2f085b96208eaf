import type { ExecControlEvent } from '../ports.js';
import { EXEC_DENIAL_REASONS, type AgentEvent, type ExecDenialReason } from './agent-events.js';

/**
 * A device event from what exec control reports: a denial (restriction, or a block indicator) or the helper crashing, which leaves execution unrestricted: it
 * fails open, and the server raises an alert.
 */
export function execControlEvent(e: ExecControlEvent, fsRoot = '/'): AgentEvent {
  if (e.kind === 'helper_crashed')
    return { kind: 'exec_control_failed_open', error: e.error.slice(0, 2000), at: e.at };
  // Exec control names the reason, and the indicator for a block by hash.
  const reason: ExecDenialReason = EXEC_DENIAL_REASONS.includes(e.reason) ? e.reason : 'untrusted';
  const indicatorId = e.indicatorId ? e.indicatorId.slice(0, 200) : null;
  return {
    kind: 'exec_denied',
    path: devicePath(e.path, fsRoot) || '(unknown)',
    pid: e.pid,
    sha256: e.sha256 && /^[a-f0-9]{64}$/i.test(e.sha256) ? e.sha256.toLowerCase() : null,
    reason,
    indicatorId,
    at: e.at,
  };
}

/**
 * The helper reports host paths; under a filesystem root other than `/` (tests) the server
 * should see the same device paths the observations carry. Paths outside the root stay as is.
 */
function devicePath(hostPath: string, fsRoot: string): string {
  const root = fsRoot.replace(/\/+$/, '');
  if (!root || !hostPath.startsWith(`${root}/`)) return hostPath.slice(0, 4096);
  return hostPath.slice(root.length).slice(0, 4096);
}
