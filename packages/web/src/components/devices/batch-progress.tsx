import { Anchor, CloseButton, Group, Paper, Progress, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { ActionStatus } from '@quell/core';
import { useActionBatch } from '../../api/devices';
import { humanize } from '../../lib/format';

/** Bar colours by outcome; statuses not listed count as still pending. */
const DONE: Partial<Record<ActionStatus, string>> = {
  succeeded: 'teal',
  failed: 'red',
  expired: 'orange',
  cancelled: 'gray',
  rejected: 'gray',
  timed_out: 'orange',
};

/** Live per-status counts of a batch (one action on many devices) while its actions run. */
export function BatchProgress({ id, onClose }: { id: string; onClose: () => void }) {
  const q = useActionBatch(id);
  const b = q.data;
  if (!b) return null;
  const counts = Object.entries(b.counts).filter(([, n]) => n > 0) as Array<[ActionStatus, number]>;
  return (
    <Paper withBorder p="sm" data-testid="batch-progress" data-batch-id={b.id}>
      <Stack gap={6}>
        <Group justify="space-between">
          <Text fw={500}>
            {b.title} on {b.total} devices
          </Text>
          <CloseButton onClick={onClose} aria-label="Hide" />
        </Group>
        <Progress.Root size="lg">
          {counts
            .filter(([s]) => DONE[s])
            .map(([s, n]) => (
              <Progress.Section key={s} value={(n / b.total) * 100} color={DONE[s]} />
            ))}
        </Progress.Root>
        <Group gap="md">
          {counts.map(([s, n]) => (
            <Text key={s} size="sm" data-testid={`batch-count-${s}`}>
              {humanize(s)}: {n}
            </Text>
          ))}
          {b.skipped.length > 0 && (
            <Text size="sm" c="dimmed" title={b.skipped.map((x) => `${x.device}: ${x.reason}`).join('\n')}>
              skipped: {b.skipped.length}
            </Text>
          )}
          <Anchor component={Link} to={`/actions?batchId=${encodeURIComponent(b.id)}`} size="sm">
            Its actions in the Action Center
          </Anchor>
        </Group>
      </Stack>
    </Paper>
  );
}
