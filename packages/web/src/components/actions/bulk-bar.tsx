import { useState } from 'react';
import { Alert, Button, Group, Modal, Paper, Stack, Text, Textarea } from '@mantine/core';
import { errorMessage } from '../../api/client';
import { useBulkDecide } from '../../api/actions';
import { useMe } from '../../api/session';
import { atLeast } from '../../lib/roles';
import { notify } from '../../lib/notify';

type BulkDecision = 'approve' | 'reject' | 'undo';

/**
 * Decisions on the selected actions. The API takes one action type at a time and says which
 * types were mixed; that message is shown as is.
 */
export function BulkBar({ ids, onDone }: { ids: string[]; onDone: () => void }) {
  const me = useMe();
  const bulk = useBulkDecide();
  const [asking, setAsking] = useState<BulkDecision | null>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const canDecide = atLeast(me.role, 'responder');
  const canRequest = atLeast(me.role, 'analyst');

  const run = (decision: BulkDecision) => {
    setError(null);
    bulk.mutate(
      { ids, decision, ...(comment.trim() ? { comment: comment.trim() } : {}) },
      {
        onSuccess: (r) => {
          notify.success(
            `${decision === 'undo' ? 'Undo requested for' : decision === 'approve' ? 'Approved' : 'Rejected'} ${r.actions.length} action(s).`,
          );
          setAsking(null);
          setComment('');
          onDone();
        },
        onError: (e) => setError(errorMessage(e)),
      },
    );
  };

  return (
    <Paper withBorder p="xs" bg="indigo.0">
      <Group justify="space-between">
        <Text size="sm" fw={500} data-testid="bulk-count">
          {ids.length} selected
        </Text>
        <Group gap="xs">
          <Button
            size="xs"
            color="teal"
            disabled={!canDecide}
            onClick={() => setAsking('approve')}
            data-testid="bulk-approve"
          >
            Approve
          </Button>
          <Button
            size="xs"
            color="red"
            variant="light"
            disabled={!canDecide}
            onClick={() => setAsking('reject')}
            data-testid="bulk-reject"
          >
            Reject
          </Button>
          <Button
            size="xs"
            color="violet"
            variant="light"
            disabled={!canRequest}
            onClick={() => setAsking('undo')}
            data-testid="bulk-undo"
          >
            Undo
          </Button>
          <Button size="xs" variant="subtle" color="gray" onClick={onDone}>
            Clear selection
          </Button>
        </Group>
      </Group>
      {error && !asking && (
        <Alert color="red" mt="xs" withCloseButton onClose={() => setError(null)} data-testid="bulk-error">
          {error}
        </Alert>
      )}
      <Modal
        opened={asking !== null}
        onClose={() => setAsking(null)}
        title={`${asking === 'undo' ? 'Undo' : asking === 'approve' ? 'Approve' : 'Reject'} ${ids.length} action(s)`}
      >
        <Stack>
          <Textarea
            label="Comment"
            required={asking === 'reject'}
            description={asking === 'reject' ? 'Required: say why' : 'Optional'}
            value={comment}
            onChange={(e) => setComment(e.currentTarget.value)}
            maxLength={1000}
            autosize
            minRows={2}
            data-testid="bulk-comment"
          />
          {error && <Alert color="red">{error}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setAsking(null)}>
              Cancel
            </Button>
            <Button
              loading={bulk.isPending}
              disabled={asking === 'reject' && !comment.trim()}
              onClick={() => asking && run(asking)}
              data-testid="bulk-confirm"
            >
              Confirm
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Paper>
  );
}
