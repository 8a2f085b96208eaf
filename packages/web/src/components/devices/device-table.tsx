import { Anchor, Paper, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { Device } from '@quell/contracts';
import { fmtTime, relTime } from '../../lib/format';
import { EnforcementBadge, HealthBadge } from './device-badges';

/** The device list: each hostname links to its page, where the actions are. */
export function DeviceTable({ devices }: { devices: readonly Device[] }) {
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
