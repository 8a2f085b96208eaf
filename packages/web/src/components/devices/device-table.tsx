import { Anchor, Checkbox, Paper, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { Device } from '@quell/contracts';
import { fmtTime, relTime } from '../../lib/format';
import { EnforcementBadge, HealthBadge } from './device-badges';

/**
 * The device list: each hostname links to its page, where the actions are. With `selected`, rows
 * with an agent get a checkbox so one action can be requested on several devices at once.
 */
export function DeviceTable({
  devices,
  selected,
  onSelect,
}: {
  devices: readonly Device[];
  selected?: ReadonlySet<string>;
  onSelect?: (ids: Set<string>) => void;
}) {
  const selectable = devices.filter((d) => d.enrolled && !d.revokedAt);
  const allOn = selectable.length > 0 && selectable.every((d) => selected?.has(d.id));
  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    onSelect?.(next);
  };
  if (devices.length === 0) {
    return (
      <Paper withBorder>
        <Text c="dimmed" p="md" data-testid="devices-empty">
          No devices match. Devices appear when an agent enrolls or an alert names them.
        </Text>
      </Paper>
    );
  }
  return (
    <Paper withBorder>
      <Table.ScrollContainer minWidth={900}>
        <Table verticalSpacing="xs" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              {selected && (
                <Table.Th w={36}>
                  <Checkbox
                    aria-label="Select all devices with an agent"
                    checked={allOn}
                    indeterminate={!allOn && selectable.some((d) => selected.has(d.id))}
                    onChange={(e) =>
                      onSelect?.(new Set(e.currentTarget.checked ? selectable.map((d) => d.id) : []))
                    }
                    data-testid="devices-select-all"
                  />
                </Table.Th>
              )}
              <Table.Th>Hostname</Table.Th>
              <Table.Th>Health</Table.Th>
              <Table.Th>Group</Table.Th>
              <Table.Th>Isolation</Table.Th>
              <Table.Th>App restriction</Table.Th>
              <Table.Th>Last seen</Table.Th>
              <Table.Th>Agent</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {devices.map((d) => (
              <Table.Tr key={d.id} data-testid="device-row" data-device-id={d.id} data-hostname={d.hostname}>
                {selected && (
                  <Table.Td>
                    <Checkbox
                      aria-label={`Select ${d.hostname}`}
                      disabled={!d.enrolled || Boolean(d.revokedAt)}
                      checked={selected.has(d.id)}
                      onChange={(e) => toggle(d.id, e.currentTarget.checked)}
                      data-testid="device-select"
                    />
                  </Table.Td>
                )}
                <Table.Td>
                  <Anchor component={Link} to={`/devices/${encodeURIComponent(d.id)}`} size="sm" fw={500}>
                    {d.hostname}
                  </Anchor>
                  {d.os && (
                    <Text size="xs" c="dimmed">
                      {[d.os, d.osVersion].filter(Boolean).join(' ')}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <HealthBadge device={d} data-testid="device-health" />
                </Table.Td>
                <Table.Td>{d.deviceGroupName}</Table.Td>
                <Table.Td>
                  {d.enrolled ? <EnforcementBadge view={d.isolation} data-testid="device-isolation" /> : '—'}
                </Table.Td>
                <Table.Td>
                  {d.enrolled ? (
                    <EnforcementBadge view={d.restriction} data-testid="device-restriction" />
                  ) : (
                    '—'
                  )}
                </Table.Td>
                <Table.Td title={fmtTime(d.lastSeenAt)}>{relTime(d.lastSeenAt)}</Table.Td>
                <Table.Td>
                  <Text size="sm" className="mono">
                    {d.agentVersion ?? '—'}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}
