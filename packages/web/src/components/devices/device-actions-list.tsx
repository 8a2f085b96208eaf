import { Anchor, Group, Paper, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import type { Action } from '@quell/contracts';
import { isTerminal } from '@quell/core';
import { ActionStatusBadge } from '../badges';
import { fmtTime, relTime } from '../../lib/format';
import { PackageDownload } from './package-download';

/** A bar for a known total (files scanned of total), else an animated bar and the last message. */
function LiveProgress({ a }: { a: Action }) {
  if (isTerminal(a.status) || a.status === 'pending_approval') return null;
  const p = a.progress;
  const known = p !== null && p.total !== null && p.total > 0;
  const pct = known ? Math.min(100, (p.done / (p.total ?? 1)) * 100) : 100;
  return (
    <Stack gap={2} mt={4} data-testid="action-progress">
      <Progress value={pct} animated={!known} striped={!known} size="sm" />
      <Text size="xs" c="dimmed">
        {known ? `${p.done} of ${p.total}` : p ? `${p.done} done` : 'Waiting for the agent'}
        {p?.message ? ` · ${p.message}` : ''}
      </Text>
    </Stack>
  );
}

/** Every action aimed at this device, newest first, with live progress and package downloads. */
export function DeviceActionsList({ actions }: { actions: readonly Action[] }) {
  return (
    <Paper withBorder p="md">
      <Title order={4} mb="sm">
        Actions on this device
      </Title>
      {actions.length === 0 ? (
        <Text size="sm" c="dimmed">
          No actions yet.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={700}>
          <Table verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Action</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Requested</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {actions.map((a) => (
                <Table.Tr
                  key={a.id}
                  data-testid="device-action-row"
                  data-action-id={a.id}
                  data-action-type={a.type}
                  data-status={a.status}
                >
                  <Table.Td>
                    <Anchor component={Link} to={`/actions/${encodeURIComponent(a.id)}`} size="sm">
                      {a.title}
                    </Anchor>
                    {a.error && (
                      <Text size="xs" c="red">
                        {a.error}
                      </Text>
                    )}
                    <LiveProgress a={a} />
                  </Table.Td>
                  <Table.Td>
                    <ActionStatusBadge status={a.status} />
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" title={fmtTime(a.createdAt)}>
                      {relTime(a.createdAt)}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {a.requestedBy}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right">
                    <Group justify="flex-end">
                      <PackageDownload action={a} />
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}
