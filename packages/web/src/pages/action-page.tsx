import type { ReactNode } from 'react';
import {
  Anchor,
  Breadcrumbs,
  Code,
  Grid,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Timeline,
  Title,
} from '@mantine/core';
import { Link, useParams } from 'react-router';
import type { ActionDetail, CatalogEntry } from '@quell/contracts';
import { catalogById, useAction, useCatalog } from '../api/actions';
import { ActionStatusBadge, PolicyBadge } from '../components/badges';
import { QueryState } from '../components/query-state';
import { ActionDecisions } from '../components/actions/action-decisions';
import { CatalogFlags } from '../components/action-request-modal';
import { PackageDownload } from '../components/devices/package-download';
import { fmtTime, humanize } from '../lib/format';

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <div style={{ fontSize: 'var(--mantine-font-size-sm)' }}>{children ?? '—'}</div>
    </div>
  );
}
const link = (to: string, id: string | null) =>
  id ? (
    <Anchor component={Link} to={to + encodeURIComponent(id)} size="sm">
      {id}
    </Anchor>
  ) : (
    '—'
  );
const json = (v: unknown) =>
  v && typeof v === 'object' && Object.keys(v).length > 0 ? (
    <Code block>{JSON.stringify(v, null, 2)}</Code>
  ) : (
    '—'
  );

/** One action: every field, its decisions, and the timeline of its status changes. */
export function ActionPage() {
  const { id = '' } = useParams();
  const action = useAction(id);
  const catalog = useCatalog();
  const byId = catalogById(catalog.data?.items);
  return (
    <Stack>
      <Breadcrumbs>
        <Anchor component={Link} to="/actions" size="sm">
          Action Center
        </Anchor>
        <Text size="sm">{id}</Text>
      </Breadcrumbs>
      <QueryState query={action} title="Could not load the action">
        {(a) => {
          const entry = byId.get(a.type);
          const undoEntry = entry?.undo ? byId.get(entry.undo) : undefined;
          return <ActionView a={a} entry={entry} undoEntry={undoEntry} />;
        }}
      </QueryState>
    </Stack>
  );
}

function ActionView({
  a,
  entry,
  undoEntry,
}: {
  a: ActionDetail;
  entry: CatalogEntry | undefined;
  undoEntry: CatalogEntry | undefined;
}) {
  return (
    <Grid>
      <Grid.Col span={{ base: 12, lg: 8 }}>
        <Paper withBorder p="md">
          <Stack>
            <Group justify="space-between" align="flex-start">
              <div>
                <Group gap="xs">
                  <ActionStatusBadge status={a.status} size="lg" data-testid="action-status" />
                  <PolicyBadge status={a.policyStatus} size="lg" data-testid="action-policy-status" />
                </Group>
                <Title order={2} mt={6}>
                  {a.title}
                </Title>
                <Text size="sm">
                  on <b>{a.target.label ?? a.target.id}</b> ({a.target.kind})
                </Text>
                <Text size="xs" c="dimmed" className="mono">
                  {a.id} · {a.type} · v{a.version}
                </Text>
              </div>
              <Group gap="xs">
                <PackageDownload action={a} size="sm" />
                <ActionDecisions action={a} entry={entry} undoEntry={undoEntry} />
              </Group>
            </Group>
            {entry && <CatalogFlags entry={entry} />}
            <Text size="sm" c="dimmed">
              Approval: {a.approvalReason}
            </Text>
            {a.error && (
              <Text size="sm" c="red">
                Error: {a.error}
              </Text>
            )}
            <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="md">
              <Field label="Source">{humanize(a.source)}</Field>
              <Field label="Requested by">{a.requestedBy}</Field>
              <Field label="Request comment">{a.requestComment}</Field>
              <Field label="Decided by">{a.decidedBy}</Field>
              <Field label="Decision comment">{a.decisionComment}</Field>
              <Field label="Attempts">{a.attempts}</Field>
              <Field label="Target id">
                <span className="mono">{a.target.id}</span>
              </Field>
              <Field label="Device (file actions)">{a.target.deviceHostname}</Field>
              <Field label="Device group">{a.deviceGroupId}</Field>
              <Field label="Incident">{link('/incidents/', a.incidentId)}</Field>
              <Field label="Alert">{a.alertId}</Field>
              <Field label="Investigation">{a.investigationId}</Field>
              <Field label="Undo of">{link('/actions/', a.undoOf)}</Field>
              <Field label="Undone by">{link('/actions/', a.undoneBy)}</Field>
              <Field label="Policy status">
                {a.policyStatus ? humanize(a.policyStatus) : 'Not a state action'}
              </Field>
              <Field label="Created">{fmtTime(a.createdAt)}</Field>
              <Field label="Updated">{fmtTime(a.updatedAt)}</Field>
              <Field label="Expires">{fmtTime(a.expiresAt)}</Field>
            </SimpleGrid>
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <Field label="Parameters">{json(a.params)}</Field>
              <Field label="Result">{json(a.result)}</Field>
            </SimpleGrid>
          </Stack>
        </Paper>
      </Grid.Col>
      <Grid.Col span={{ base: 12, lg: 4 }}>
        <Paper withBorder p="md">
          <Title order={4} mb="sm">
            Timeline
          </Title>
          <Timeline
            bulletSize={14}
            lineWidth={2}
            active={a.timeline.length - 1}
            data-testid="action-timeline"
          >
            {a.timeline.map((ev, i) => (
              <Timeline.Item key={`${ev.at}-${i}`} title={<ActionStatusBadge status={ev.to} size="sm" />}>
                <Text size="xs" c="dimmed">
                  {fmtTime(ev.at)} · {ev.actor}
                  {ev.from ? ` · from ${humanize(ev.from)}` : ''}
                </Text>
                {ev.reason && <Text size="sm">{ev.reason}</Text>}
              </Timeline.Item>
            ))}
          </Timeline>
        </Paper>
      </Grid.Col>
    </Grid>
  );
}
