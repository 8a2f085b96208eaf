import type { ReactNode } from 'react';
import { Badge, Paper, SimpleGrid, Text, Title } from '@mantine/core';
import type { DeviceDetail } from '@quell/contracts';
import { fmtTime, relTime } from '../../lib/format';

function Field({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <div style={{ fontSize: 'var(--mantine-font-size-sm)' }} data-testid={testId}>
        {children ?? '—'}
      </div>
    </div>
  );
}

/** What the agent reported about the machine, and where the device stands in Quell. */
export function DeviceInventory({ d }: { d: DeviceDetail }) {
  return (
    <Paper withBorder p="md" data-testid="device-inventory">
      <Title order={4} mb="sm">
        Inventory
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="md">
        <Field label="Hostname" testId="device-hostname">
          {d.hostname}
        </Field>
        <Field label="OS">{[d.os, d.osVersion].filter(Boolean).join(' ') || null}</Field>
        <Field label="Kernel">{d.kernel}</Field>
        <Field label="Addresses">
          {d.addresses.length ? <span className="mono">{d.addresses.join(', ')}</span> : null}
        </Field>
        <Field label="Agent version">{d.agentVersion}</Field>
        <Field label="Capabilities">{d.capabilities.length ? d.capabilities.join(', ') : null}</Field>
        <Field label="Enrolled">{d.enrolledAt ? fmtTime(d.enrolledAt) : 'No agent'}</Field>
        {d.revokedAt && <Field label="Revoked">{fmtTime(d.revokedAt)}</Field>}
        <Field label="Connected">{d.connectedAt ? fmtTime(d.connectedAt) : null}</Field>
        <Field label="Last seen">
          <span title={fmtTime(d.lastSeenAt)}>{relTime(d.lastSeenAt)}</span>
        </Field>
        <Field label="Device group">{d.deviceGroupName}</Field>
        <Field label="Tags">
          {d.tags.length
            ? d.tags.map((t) => (
                <Badge key={t} size="sm" variant="outline" mr={4} tt="none">
                  {t}
                </Badge>
              ))
            : null}
        </Field>
        <Field label="Machine id">{d.machineId ? <span className="mono">{d.machineId}</span> : null}</Field>
        <Field label="Device id">
          <span className="mono">{d.id}</span>
        </Field>
      </SimpleGrid>
    </Paper>
  );
}
