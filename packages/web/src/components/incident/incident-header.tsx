import { useState, type ReactNode } from 'react';
import {
  Alert,
  Anchor,
  Button,
  Group,
  Menu,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { Link } from 'react-router';
import type { Incident } from '@quell/contracts';
import { SEVERITIES, type Severity } from '@quell/core';
import { usePatchIncident } from '../../api/incidents';
import { useMe } from '../../api/session';
import { fmtTime, humanize, relTime } from '../../lib/format';
import { atLeast } from '../../lib/roles';
import { oneOf } from '../../lib/use-search-state';
import { IncidentStatusBadge, SeverityBadge, TagBadges } from '../badges';
import { AssignModal, ClassifyModal, MergeModal, ResolveModal, TagsModal } from './triage-modals';
import { TakeActionMenu } from './take-action-menu';

type Dialog = 'assign' | 'classify' | 'tags' | 'resolve' | 'merge' | null;

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <div>{children}</div>
    </div>
  );
}

/** Title, triage facts and the controls an analyst uses on an incident. */
export function IncidentHeader({ incident }: { incident: Incident }) {
  const me = useMe();
  const patch = usePatchIncident(incident);
  const [dialog, setDialog] = useState<Dialog>(null);
  const canWrite = atLeast(me.role, 'analyst') && incident.status !== 'redirected';
  const close = () => setDialog(null);

  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        {incident.redirectedTo && (
          <Alert color="gray" title="Merged">
            This incident was merged into{' '}
            <Anchor component={Link} to={`/incidents/${encodeURIComponent(incident.redirectedTo)}`}>
              {incident.redirectedTo}
            </Anchor>
            .
          </Alert>
        )}
        <Group justify="space-between" align="flex-start" wrap="nowrap">
          <div>
            <Group gap="xs">
              <SeverityBadge severity={incident.severity} size="lg" />
              <IncidentStatusBadge status={incident.status} size="lg" data-testid="incident-status" />
            </Group>
            <Title order={2} mt={6} data-testid="incident-title">
              {incident.title}
            </Title>
            <Text size="xs" c="dimmed" className="mono">
              {incident.id} · v{incident.version}
            </Text>
          </div>
          <Group gap="xs" wrap="nowrap">
            {canWrite && (
              <>
                <Menu position="bottom-end" withinPortal>
                  <Menu.Target>
                    <Button variant="default" loading={patch.isPending} data-testid="triage-menu">
                      Triage
                    </Button>
                  </Menu.Target>
                  <Menu.Dropdown>
                    <Menu.Label>Assign</Menu.Label>
                    <Menu.Item
                      onClick={() => patch.mutate({ assignee: me.name })}
                      disabled={incident.assignee === me.name}
                      data-testid="assign-me"
                    >
                      Assign to me
                    </Menu.Item>
                    <Menu.Item onClick={() => setDialog('assign')}>Assign to…</Menu.Item>
                    <Menu.Label>Status</Menu.Label>
                    {incident.status !== 'in_progress' && incident.status !== 'resolved' && (
                      <Menu.Item onClick={() => patch.mutate({ status: 'in_progress' })}>
                        Mark in progress
                      </Menu.Item>
                    )}
                    {incident.status !== 'active' && (
                      <Menu.Item onClick={() => patch.mutate({ status: 'active' })}>
                        {incident.status === 'resolved' ? 'Reopen' : 'Back to active'}
                      </Menu.Item>
                    )}
                    {incident.status !== 'resolved' && (
                      <Menu.Item onClick={() => setDialog('resolve')} data-testid="resolve-open">
                        Resolve…
                      </Menu.Item>
                    )}
                    <Menu.Label>Triage</Menu.Label>
                    <Menu.Item onClick={() => setDialog('classify')} data-testid="classify-open">
                      Classify…
                    </Menu.Item>
                    <Menu.Item onClick={() => setDialog('tags')} data-testid="tags-open">
                      Edit tags…
                    </Menu.Item>
                    <Menu.Item onClick={() => setDialog('merge')} data-testid="merge-open">
                      Merge incidents into this…
                    </Menu.Item>
                  </Menu.Dropdown>
                </Menu>
                <TakeActionMenu incident={incident} />
              </>
            )}
          </Group>
        </Group>
        <SimpleGrid cols={{ base: 2, md: 6 }} spacing="md">
          <Fact label="Assignee">
            <Text size="sm" c={incident.assignee ? undefined : 'dimmed'} data-testid="incident-assignee">
              {incident.assignee ?? 'Unassigned'}
            </Text>
          </Fact>
          <Fact label="Classification">
            <Text size="sm">{humanize(incident.classification)}</Text>
            {incident.determination && (
              <Text size="xs" c="dimmed">
                {humanize(incident.determination)}
              </Text>
            )}
          </Fact>
          <Fact label="Severity">
            {canWrite ? (
              <Select
                size="xs"
                w={150}
                data={[
                  { value: '', label: 'From alerts' },
                  ...SEVERITIES.map((s) => ({ value: s, label: humanize(s) })),
                ]}
                value={incident.severityOverridden ? incident.severity : ''}
                onChange={(v) =>
                  patch.mutate({ severity: v ? (oneOf<Severity>(SEVERITIES, v) ?? null) : null })
                }
                allowDeselect={false}
                aria-label="Severity override"
              />
            ) : (
              <Text size="sm">{humanize(incident.severity)}</Text>
            )}
          </Fact>
          <Fact label="Alerts / entities">
            <Text size="sm">
              {incident.alertCount} / {incident.entityCount}
            </Text>
          </Fact>
          <Fact label="First activity">
            <Text size="sm">{fmtTime(incident.firstActivityAt)}</Text>
          </Fact>
          <Fact label="Last activity">
            <Text size="sm" title={fmtTime(incident.lastActivityAt)}>
              {relTime(incident.lastActivityAt)}
            </Text>
          </Fact>
        </SimpleGrid>
        <Group gap={4}>
          <Text size="xs" c="dimmed" tt="uppercase" fw={600} mr={4}>
            Tags
          </Text>
          <TagBadges tags={incident.tags} system={incident.systemTags} />
          {incident.tags.length + incident.systemTags.length === 0 && (
            <Text size="sm" c="dimmed">
              none
            </Text>
          )}
          {incident.mitreTechniques.length > 0 && (
            <Text size="xs" c="dimmed" ml="md">
              MITRE ATT&CK: {incident.mitreTechniques.join(', ')}
            </Text>
          )}
        </Group>
        {incident.resolutionNote && (
          <Alert color="teal" variant="light" title="Resolution">
            {incident.resolutionNote}
          </Alert>
        )}
      </Stack>
      {dialog === 'assign' && <AssignModal incident={incident} onClose={close} />}
      {dialog === 'classify' && <ClassifyModal incident={incident} onClose={close} />}
      {dialog === 'tags' && <TagsModal incident={incident} onClose={close} />}
      {dialog === 'resolve' && <ResolveModal incident={incident} onClose={close} />}
      {dialog === 'merge' && <MergeModal incident={incident} onClose={close} />}
    </Paper>
  );
}
