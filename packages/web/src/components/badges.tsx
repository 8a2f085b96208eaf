import { Badge, type BadgeProps } from '@mantine/core';
import type { ActionStatus, IncidentStatus, PolicyStatus, Severity } from '@quell/core';
import { humanize } from '../lib/format';

const SEVERITY_COLOR: Record<Severity, string> = {
  informational: 'gray',
  low: 'yellow',
  medium: 'orange',
  high: 'red',
};
const INCIDENT_STATUS_COLOR: Record<IncidentStatus, string> = {
  active: 'red',
  in_progress: 'blue',
  resolved: 'teal',
  redirected: 'gray',
};
const ACTION_STATUS_COLOR: Record<ActionStatus, string> = {
  pending_approval: 'orange',
  approved: 'cyan',
  rejected: 'red',
  timed_out: 'gray',
  queued: 'blue',
  dispatched: 'blue',
  running: 'indigo',
  succeeded: 'teal',
  failed: 'red',
  cancelled: 'gray',
  expired: 'gray',
  undone: 'violet',
};

type Extra = Omit<BadgeProps, 'color' | 'children'> & { 'data-testid'?: string };
// Badges in narrow table cells must not shrink to an ellipsis ("ACT…").
const noShrink = { minWidth: 'max-content' } as const;

export function SeverityBadge({ severity, ...p }: { severity: Severity } & Extra) {
  return (
    <Badge color={SEVERITY_COLOR[severity]} variant="filled" style={noShrink} {...p}>
      {severity}
    </Badge>
  );
}

export function IncidentStatusBadge({ status, ...p }: { status: IncidentStatus } & Extra) {
  return (
    <Badge color={INCIDENT_STATUS_COLOR[status]} variant="light" style={noShrink} {...p}>
      {humanize(status)}
    </Badge>
  );
}

export function ActionStatusBadge({ status, ...p }: { status: ActionStatus } & Extra) {
  return (
    <Badge color={ACTION_STATUS_COLOR[status]} variant="light" data-status={status} style={noShrink} {...p}>
      {humanize(status)}
    </Badge>
  );
}

/** Whether a state action's desired state is in force. */
export function PolicyBadge({ status, ...p }: { status: PolicyStatus | null } & Extra) {
  if (!status) return null;
  return (
    <Badge color={status === 'active' ? 'grape' : 'gray'} variant="outline" style={noShrink} {...p}>
      policy {status}
    </Badge>
  );
}

export function TagBadges({ tags, system = [] }: { tags: readonly string[]; system?: readonly string[] }) {
  return (
    <>
      {system.map((t) => (
        <Badge key={`s:${t}`} size="sm" variant="dot" color="gray" mr={4} tt="none">
          {t}
        </Badge>
      ))}
      {tags.map((t) => (
        <Badge key={t} size="sm" variant="outline" mr={4} tt="none">
          {t}
        </Badge>
      ))}
    </>
  );
}
