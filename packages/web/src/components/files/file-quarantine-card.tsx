import { useState } from 'react';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  NumberInput,
  Paper,
  SegmentedControl,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { Link } from 'react-router';
import type { FilePage, FileQuarantineInput, FileQuarantineState } from '@quell/contracts';
import { errorMessage } from '../../api/client';
import { useQuarantineFile, useRestoreFile } from '../../api/files';
import { fmtTime, humanize, relTime } from '../../lib/format';
import { notify } from '../../lib/notify';
import { BatchProgress } from '../devices/batch-progress';

const STATE_COLOR: Record<FileQuarantineState, string> = {
  quarantining: 'yellow',
  quarantined: 'red',
  restoring: 'yellow',
  restored: 'teal',
  not_quarantined: 'gray',
};

/**
 * The devices that saw the file with where it stands on each, "Stop and quarantine everywhere"
 * with the live counts of its batch, and restore per device or on all of them.
 */
export function FileQuarantineCard({ page, mayRequest }: { page: FilePage; mayRequest: boolean }) {
  const sha = page.file.sha256;
  const quarantine = useQuarantineFile(sha);
  const restore = useRestoreFile(sha);
  const [confirming, setConfirming] = useState(false);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  // Which devices: every one that saw it within `days`, or the ones picked in the list.
  const [scope, setScope] = useState<'recent' | 'pick'>('recent');
  const [days, setDays] = useState<number | ''>(30);
  const [picked, setPicked] = useState<string[]>([]);
  // The batch just requested; after a reload the latest quarantine batch on the file stands in.
  const [batchId, setBatchId] = useState<string | null>(null);
  const [hidden, setHidden] = useState(false);
  const latestBatch = page.batches.find((b) => b.type === 'stop_and_quarantine_file');
  const shownBatch = hidden ? null : (batchId ?? latestBatch?.id ?? null);
  const byHost = new Map(page.quarantine.map((q) => [q.hostname, q]));
  const restorable = page.quarantine.filter((q) => q.state === 'quarantined');

  const submit = () => {
    setError(null);
    if (scope === 'pick' && picked.length === 0) return setError('Pick at least one device.');
    if (scope === 'recent' && (typeof days !== 'number' || days < 1 || days > 365))
      return setError('Give a number of days from 1 to 365.');
    const body: FileQuarantineInput = {
      ...(scope === 'pick' ? { devices: picked } : { seenWithinDays: days as number }),
      ...(comment.trim() && { comment: comment.trim() }),
    };
    quarantine.mutate(body, {
      onSuccess: (b) => {
        notify.success(
          `${b.title} requested on ${b.total} devices${b.skipped.length ? `; ${b.skipped.length} skipped` : ''}.`,
        );
        setBatchId(b.id);
        setHidden(false);
        setConfirming(false);
        setComment('');
        setPicked([]);
      },
      onError: (e) => setError(errorMessage(e)),
    });
  };
  const undo = (devices?: string[]) =>
    restore.mutate(devices ? { devices } : {}, {
      onSuccess: (r) => notify.success(`Restore requested on ${r.actions.length} device(s).`),
      onError: (e) => notify.error(e, 'Restore failed'),
    });

  return (
    <Paper withBorder p="md">
      <Group justify="space-between" mb="sm">
        <Title order={4}>Devices and quarantine</Title>
        {mayRequest && (
          <Group gap="xs">
            <Button
              size="xs"
              variant="light"
              disabled={restorable.length === 0}
              loading={restore.isPending}
              onClick={() => undo()}
              data-testid="file-restore-all"
            >
              Restore everywhere
            </Button>
            <Button size="xs" color="red" onClick={() => setConfirming(true)} data-testid="file-quarantine">
              Stop and quarantine…
            </Button>
          </Group>
        )}
      </Group>
      <Stack gap="sm">
        {shownBatch && <BatchProgress id={shownBatch} onClose={() => setHidden(true)} />}
        {page.devicesTruncated && (
          <Text size="sm" c="dimmed">
            Showing {page.devices.length} of {page.file.deviceCount} devices.
          </Text>
        )}
        <Table.ScrollContainer minWidth={700}>
          <Table verticalSpacing="xs" data-testid="file-devices">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Device</Table.Th>
                <Table.Th>Paths</Table.Th>
                <Table.Th>Seen</Table.Th>
                <Table.Th>Quarantine</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {page.devices.map((d) => {
                const q = byHost.get(d.hostname);
                const state = q?.state ?? null;
                return (
                  <Table.Tr key={d.deviceId} data-testid="file-device-row" data-hostname={d.hostname}>
                    <Table.Td>
                      <Anchor component={Link} to={`/devices/${encodeURIComponent(d.deviceId)}`} size="sm">
                        {d.hostname}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      {d.paths.map((p) => (
                        <Text key={p} size="sm" ff="monospace">
                          {p}
                        </Text>
                      ))}
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" title={`${fmtTime(d.firstSeenAt)} – ${fmtTime(d.lastSeenAt)}`}>
                        {relTime(d.lastSeenAt)} · {d.count}×
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      {q ? (
                        <Anchor
                          component={Link}
                          to={`/actions/${encodeURIComponent(q.restoreActionId ?? q.actionId)}`}
                        >
                          <Badge
                            color={STATE_COLOR[q.state]}
                            variant="light"
                            data-testid="file-quarantine-state"
                            data-state={q.state}
                          >
                            {humanize(q.state)}
                          </Badge>
                        </Anchor>
                      ) : (
                        <Text size="sm" c="dimmed" data-testid="file-quarantine-state" data-state="none">
                          —
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      {mayRequest && state === 'quarantined' && (
                        <Button
                          size="compact-xs"
                          variant="light"
                          onClick={() => undo([d.deviceId])}
                          data-testid="file-restore-device"
                        >
                          Restore
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Stack>
      <Modal opened={confirming} onClose={() => setConfirming(false)} title="Stop and quarantine" size="lg">
        <Stack>
          <Text size="sm">
            Each chosen device stops the processes running this file, moves it into the quarantine vault and
            removes the persistence that refers to it. Restore undoes all of it.
          </Text>
          <SegmentedControl
            value={scope}
            onChange={(v) => {
              setScope(v as 'recent' | 'pick');
              setError(null);
            }}
            data={[
              { value: 'recent', label: 'Every device that saw it recently' },
              { value: 'pick', label: 'Pick devices' },
            ]}
            data-testid="file-quarantine-scope"
          />
          {scope === 'recent' ? (
            <NumberInput
              label="Seen within the last (days)"
              description="The server refuses, and requests nothing, when more devices than its cap would be hit"
              min={1}
              max={365}
              value={days}
              onChange={(v) => setDays(typeof v === 'number' ? v : '')}
              data-testid="file-quarantine-days"
            />
          ) : (
            <Checkbox.Group
              label="Devices"
              description={`${picked.length} of ${page.devices.length} picked`}
              value={picked}
              onChange={setPicked}
            >
              <Stack gap={4} mt={4}>
                {page.devices.map((d) => (
                  <Checkbox
                    key={d.deviceId}
                    value={d.hostname}
                    label={`${d.hostname} · last seen ${relTime(d.lastSeenAt)}`}
                    data-testid="file-quarantine-device"
                    data-hostname={d.hostname}
                  />
                ))}
              </Stack>
            </Checkbox.Group>
          )}
          <Textarea
            label="Comment"
            value={comment}
            onChange={(e) => setComment(e.currentTarget.value)}
            data-testid="file-quarantine-comment"
          />
          {error && (
            <Alert color="red" data-testid="file-quarantine-error">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={quarantine.isPending}
              onClick={submit}
              data-testid="file-quarantine-confirm"
            >
              Quarantine
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Paper>
  );
}
