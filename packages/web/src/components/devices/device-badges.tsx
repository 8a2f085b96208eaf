import { Badge, Tooltip, type BadgeProps } from '@mantine/core';
import type { Device, EnforcementView } from '@quell/contracts';
import type { DeviceHealth, EnforcementState } from '@quell/core';
import { fmtTime } from '../../lib/format';

const HEALTH_COLOR: Record<DeviceHealth, string> = {
  online: 'teal',
  offline: 'gray',
  degraded: 'orange',
};

const ENFORCEMENT_COLOR: Record<EnforcementState, string> = {
  off: 'gray',
  applying: 'blue',
  on: 'red',
  failed: 'orange',
  unknown: 'gray',
};

const ENFORCEMENT_TEXT: Record<EnforcementState, string> = {
  off: 'Off',
  applying: 'Applying…',
  on: 'On (verified)',
  failed: 'Failed',
  unknown: 'Unknown',
};

type Extra = Omit<BadgeProps, 'color' | 'children'> & { 'data-testid'?: string };
const noShrink = { minWidth: 'max-content' } as const;

/** Health of the agent; devices known only from alerts say so instead. */
export function HealthBadge({ device, ...p }: { device: Device } & Extra) {
  if (device.revokedAt) {
    return (
      <Badge color="dark" variant="light" data-health="revoked" style={noShrink} {...p}>
        Revoked
      </Badge>
    );
  }
  if (!device.enrolled || !device.health) {
    return (
      <Badge color="gray" variant="outline" data-health="none" style={noShrink} {...p}>
        No agent
      </Badge>
    );
  }
  const badge = (
    <Badge
      color={HEALTH_COLOR[device.health]}
      variant="light"
      data-health={device.health}
      style={noShrink}
      {...p}
    >
      {device.health}
    </Badge>
  );
  return device.issues.length > 0 ? (
    <Tooltip label={device.issues.join('; ')} multiline w={300}>
      {badge}
    </Tooltip>
  ) : (
    badge
  );
}

/** Isolation or restriction as the agent verified it, with when it last checked on hover. */
export function EnforcementBadge({ view, label, ...p }: { view: EnforcementView; label?: string } & Extra) {
  return (
    <Tooltip label={view.checkedAt ? `Checked ${fmtTime(view.checkedAt)}` : 'Never reported'}>
      <Badge
        color={ENFORCEMENT_COLOR[view.state]}
        variant={view.state === 'on' ? 'filled' : 'light'}
        data-state={view.state}
        style={noShrink}
        {...p}
      >
        {label ? `${label}: ` : ''}
        {ENFORCEMENT_TEXT[view.state]}
      </Badge>
    </Tooltip>
  );
}
