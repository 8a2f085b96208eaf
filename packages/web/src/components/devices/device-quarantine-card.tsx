import { useState } from 'react';
import { Alert, Anchor, Badge, Button, Group, Modal, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import type { DeviceQuarantinedFile, FileQuarantineState } from '@quell/contracts';
import { errorMessage } from '../../api/client';
import { useDeviceQuarantine, useRestoreOnDevice } from '../../api/files';
import { fmtTime, humanize, relTime } from '../../lib/format';
import { notify } from '../../lib/notify';
import { QueryState } from '../query-state';

const STATE_COLOR: Record<FileQuarantineState, string> = {
  quarantining: 'yellow',
  quarantined: 'red',
  restoring: 'yellow',
  restored: 'teal',
  not_quarantined: 'gray',
};

/** The files in this device's quarantine vault, each with Restore (after a confirmation). */
export function DeviceQuarantineCard({
  deviceId,
  hostname,
  mayRestore,
}: {
  deviceId: string;
  hostname: string;
  mayRestore: boolean;
}) {
  const files = useDeviceQuarantine(deviceId);
  const restore = useRestoreOnDevice();
  const [restoring, setRestoring] = useState<DeviceQuarantinedFile | null>(null);
  const [error, setError] = useState<string | null>(null);

  return (
    <Paper withBorder p="md" data-testid="device-quarantine">
      <Title order={4} mb="sm">
        Quarantined files
      </Title>
      <QueryState query={files} title="Could not load the quarantined files">
        {({ items }) =>
          items.length === 0 ? (
            <Text size="sm" c="dimmed" data-testid="device-quarantine-empty">
              Nothing in quarantine on this device.
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={700}>
              <Table verticalSpacing="xs">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>File</Table.Th>
                    <Table.Th>Path</Table.Th>
                    <Table.Th>State</Table.Th>
                    <Table.Th>Since</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((f) => (
                    <Table.Tr
                      key={f.sha256}
                      data-testid="device-quarantine-row"
                      data-sha256={f.sha256}
                      data-state={f.state}
                    >
                      <Table.Td>
                        <Anchor component={Link} to={`/files/${f.sha256}`} size="sm" ff="monospace">
                          {f.sha256.slice(0, 16)}…
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                          {f.path ?? '—'}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Anchor
                          component={Link}
                          to={`/actions/${encodeURIComponent(f.restoreActionId ?? f.actionId)}`}
                        >
                          <Badge
                            color={STATE_COLOR[f.state]}
                            variant="light"
                            data-testid="device-quarantine-state"
                          >
                            {humanize(f.state)}
                          </Badge>
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" title={fmtTime(f.at)}>
                          {relTime(f.at)}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        {mayRestore && f.state === 'quarantined' && (
                          <Button
                            size="compact-xs"
                            variant="light"
                            aria-label={`Restore ${f.path ?? f.sha256}`}
                            onClick={() => {
                              setError(null);
                              setRestoring(f);
                            }}
                            data-testid="device-quarantine-restore"
                          >
                            Restore
                          </Button>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </QueryState>
      <Modal opened={restoring !== null} onClose={() => setRestoring(null)} title="Restore the file">
        <Stack>
          <Text size="sm">
            {hostname} puts <span className="mono">{restoring?.path ?? restoring?.sha256}</span> back where it
            was, with the persistence that was removed. Only do this if the file is known to be safe.
          </Text>
          {error && (
            <Alert color="red" data-testid="device-quarantine-error">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRestoring(null)}>
              Cancel
            </Button>
            <Button
              loading={restore.isPending}
              onClick={() =>
                restoring &&
                restore.mutate(
                  { sha256: restoring.sha256, device: deviceId },
                  {
                    onSuccess: () => {
                      notify.success(`Restore requested on ${hostname}.`);
                      setRestoring(null);
                    },
                    onError: (e) => setError(errorMessage(e)),
                  },
                )
              }
              data-testid="device-quarantine-restore-confirm"
            >
              Restore
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Paper>
  );
}
