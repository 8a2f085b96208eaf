import { useState } from 'react';
import { Button, Group, Paper, Stack, Text, Textarea, Timeline } from '@mantine/core';
import type { IncidentActivity } from '@quell/contracts';
import { MAX_COMMENT_LENGTH } from '@quell/core';
import { useComment, useIncidentActivity } from '../../api/incidents';
import { useMe } from '../../api/session';
import { fmtTime, humanize } from '../../lib/format';
import { atLeast } from '../../lib/roles';
import { QueryState } from '../query-state';

function describe(a: IncidentActivity): string {
  const d = a.data;
  const fromTo = 'to' in d ? ` ${fmt(d.from)} → ${fmt(d.to)}` : '';
  switch (a.kind) {
    case 'commented':
      return 'commented';
    case 'merged':
      return `merged ${fmt(d.sources)} into this incident`;
    default:
      return `${humanize(a.kind).toLowerCase()}${fromTo}`;
  }
}
function fmt(v: unknown): string {
  if (v === null || v === undefined || v === '') return 'none';
  if (Array.isArray(v)) return v.length ? v.map(String).join(', ') : 'none';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Every change and comment, newest first, and the comment box. */
export function ActivityLog({ incidentId }: { incidentId: string }) {
  const me = useMe();
  const activity = useIncidentActivity(incidentId);
  const comment = useComment(incidentId);
  const [text, setText] = useState('');
  return (
    <Stack>
      {atLeast(me.role, 'analyst') && (
        <Paper withBorder p="sm">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              comment.mutate(text.trim(), { onSuccess: () => setText('') });
            }}
          >
            <Textarea
              placeholder="Add a comment for the team…"
              autosize
              minRows={2}
              maxLength={MAX_COMMENT_LENGTH}
              value={text}
              onChange={(e) => setText(e.currentTarget.value)}
              data-testid="comment-text"
            />
            <Group justify="flex-end" mt="xs">
              <Button
                type="submit"
                size="xs"
                loading={comment.isPending}
                disabled={!text.trim()}
                data-testid="comment-submit"
              >
                Comment
              </Button>
            </Group>
          </form>
        </Paper>
      )}
      <QueryState query={activity}>
        {(data) => {
          const items = [...data.items].sort((a, b) => b.at.localeCompare(a.at));
          if (items.length === 0) return <Text c="dimmed">No activity yet.</Text>;
          return (
            <Timeline bulletSize={14} lineWidth={2}>
              {items.map((a) => (
                <Timeline.Item
                  key={a.id}
                  color={a.kind === 'commented' ? 'indigo' : 'gray'}
                  data-testid="activity-item"
                  data-kind={a.kind}
                >
                  <Text size="sm">
                    <b>{a.actor}</b> {describe(a)}
                  </Text>
                  {a.text && (
                    <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} mt={2}>
                      {a.text}
                    </Text>
                  )}
                  <Text size="xs" c="dimmed">
                    {fmtTime(a.at)}
                  </Text>
                </Timeline.Item>
              ))}
            </Timeline>
          );
        }}
      </QueryState>
    </Stack>
  );
}
