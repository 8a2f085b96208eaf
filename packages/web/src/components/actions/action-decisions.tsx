import { useState } from 'react';
import { Alert, Button, Group, Modal, Stack, Text, Textarea, Tooltip } from '@mantine/core';
import type { ActionDetail, CatalogEntry } from '@quell/contracts';
import { canTransition } from '@quell/core';
import { useNavigate } from 'react-router';
import { errorMessage } from '../../api/client';
import { useDecide, type Decision } from '../../api/actions';
import { useMe } from '../../api/session';
import { notify } from '../../lib/notify';
import { atLeast, roleIn } from '../../lib/roles';

interface Props {
  action: ActionDetail;
  entry: CatalogEntry | undefined;
  undoEntry: CatalogEntry | undefined;
}

interface Gate {
  shown: boolean;
  allowed: boolean;
  why: string;
}

/** Which decisions this user may take now: by the action's status, the user's role and the catalog. */
function gates(
  a: ActionDetail,
  entry: CatalogEntry | undefined,
  undoEntry: CatalogEntry | undefined,
  role: Parameters<typeof atLeast>[0],
): Record<Decision, Gate> {
  const approveRoles = entry?.approveRoles ?? ['responder', 'admin'];
  const requestRoles = entry?.requestRoles ?? ['analyst', 'responder', 'admin'];
  const decide = atLeast(role, 'responder') && roleIn(role, approveRoles);
  const decideWhy = decide ? '' : `Needs ${approveRoles.join(' or ')}`;
  const request = atLeast(role, 'analyst') && roleIn(role, requestRoles);
  const undoRoles = undoEntry?.requestRoles ?? requestRoles;
  const undo = atLeast(role, 'analyst') && roleIn(role, undoRoles);
  return {
    approve: { shown: a.status === 'pending_approval', allowed: decide, why: decideWhy },
    reject: { shown: a.status === 'pending_approval', allowed: decide, why: decideWhy },
    cancel: {
      shown: canTransition(a.status, 'cancelled'),
      allowed: request,
      why: request ? '' : `Needs ${requestRoles.join(' or ')}`,
    },
    undo: {
      shown: a.status === 'succeeded' && Boolean(entry?.undo) && !a.undoneBy,
      allowed: undo,
      why: undo ? '' : `Needs ${undoRoles.join(' or ')}`,
    },
  };
}

const LABEL: Record<Decision, string> = {
  approve: 'Approve',
  reject: 'Reject',
  cancel: 'Cancel action',
  undo: 'Undo',
};
const COLOR: Record<Decision, string> = { approve: 'teal', reject: 'red', cancel: 'gray', undo: 'violet' };

/** Approve / Reject / Cancel / Undo, each behind a confirmation that takes a comment. */
export function ActionDecisions({ action, entry, undoEntry }: Props) {
  const me = useMe();
  const navigate = useNavigate();
  const decide = useDecide();
  const [asking, setAsking] = useState<Decision | null>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const g = gates(action, entry, undoEntry, me.role);
  const shown = (Object.keys(g) as Decision[]).filter((d) => g[d].shown);

  const confirm = () => {
    if (!asking) return;
    setError(null);
    decide.mutate(
      { id: action.id, decision: asking, ...(comment.trim() ? { comment: comment.trim() } : {}) },
      {
        onSuccess: (res) => {
          setAsking(null);
          setComment('');
          if (asking === 'undo') {
            notify.success(`Undo requested as ${res.id} (${res.status}).`);
            void navigate(`/actions/${encodeURIComponent(res.id)}`);
          } else {
            notify.success(`${LABEL[asking]}: ${action.title} is now ${res.status.replace(/_/g, ' ')}.`);
          }
        },
        onError: (e) => setError(errorMessage(e)),
      },
    );
  };

  if (shown.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No decisions left to take on this action.
      </Text>
    );
  }
  return (
    <>
      <Group gap="xs">
        {shown.map((d) => (
          <Tooltip key={d} label={g[d].why} disabled={g[d].allowed}>
            <Button
              color={COLOR[d]}
              variant={d === 'approve' ? 'filled' : 'light'}
              disabled={!g[d].allowed}
              onClick={() => setAsking(d)}
              data-testid={`action-${d}`}
            >
              {LABEL[d]}
            </Button>
          </Tooltip>
        ))}
      </Group>
      <Modal
        opened={asking !== null}
        onClose={() => setAsking(null)}
        title={asking ? `${LABEL[asking]}: ${action.title}` : ''}
      >
        <Stack>
          <Text size="sm">
            Target <b>{action.target.label ?? action.target.id}</b>
            {asking === 'undo' && entry?.undo
              ? ` — this requests ${entry.undo.replace(/_/g, ' ')}, which may itself need approval.`
              : ''}
          </Text>
          <Textarea
            label="Comment"
            required={asking === 'reject'}
            description={
              asking === 'reject'
                ? 'Required: say why you reject it'
                : 'Optional; kept in the timeline and audit log'
            }
            value={comment}
            onChange={(e) => setComment(e.currentTarget.value)}
            maxLength={1000}
            autosize
            minRows={2}
            data-testid="decision-comment"
          />
          {error && (
            <Alert color="red" title="Refused">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setAsking(null)}>
              Back
            </Button>
            <Button
              color={asking ? COLOR[asking] : undefined}
              loading={decide.isPending}
              disabled={asking === 'reject' && !comment.trim()}
              onClick={confirm}
              data-testid={asking ? `action-${asking}-confirm` : undefined}
            >
              {asking ? LABEL[asking] : ''}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
