import { Button, Center, Group, Paper, Select, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useNavigate } from 'react-router';
import { INCIDENT_SORTS, type IncidentListQuery, type IncidentSummary } from '@quell/contracts';
import { INCIDENT_STATUSES, SEVERITIES } from '@quell/core';
import { useIncidentList } from '../api/incidents';
import { useMe } from '../api/session';
import { QueryState } from '../components/query-state';
import { DebouncedInput } from '../components/debounced-input';
import { IncidentStatusBadge, SeverityBadge, TagBadges } from '../components/badges';
import { fmtTime, humanize, relTime } from '../lib/format';
import { oneOf, useSearchState } from '../lib/use-search-state';

const KEYS = ['status', 'severity', 'assignee', 'tag', 'q', 'sort', 'order'] as const;
const opts = (vs: readonly string[]) => vs.map((v) => ({ value: v, label: humanize(v) }));

/** The incident queue: what needs attention, newest activity first. */
export function IncidentsPage() {
  const me = useMe();
  const [f, setF] = useSearchState(KEYS);
  const query: IncidentListQuery = {
    status: oneOf(INCIDENT_STATUSES, f.status),
    severity: oneOf(SEVERITIES, f.severity),
    assignee: f.assignee || undefined,
    tag: f.tag || undefined,
    q: f.q || undefined,
    sort: oneOf(INCIDENT_SORTS, f.sort) ?? 'lastActivityAt',
    order: oneOf(['asc', 'desc'] as const, f.order) ?? 'desc',
  };
  const list = useIncidentList(query);

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Incidents</Title>
        <Button variant="default" size="xs" onClick={() => void list.refetch()} loading={list.isRefetching}>
          Refresh
        </Button>
      </Group>
      <Paper withBorder p="sm">
        <Group gap="sm" align="flex-end" wrap="wrap">
          <DebouncedInput
            label="Search title"
            placeholder="ransomware…"
            value={f.q}
            onValue={(q) => setF({ q })}
            w={220}
            data-testid="incidents-q"
          />
          <Select
            label="Status"
            placeholder="Any"
            clearable
            data={opts(INCIDENT_STATUSES)}
            value={f.status || null}
            onChange={(v) => setF({ status: v })}
            w={140}
          />
          <Select
            label="Severity"
            placeholder="Any"
            clearable
            data={opts(SEVERITIES)}
            value={f.severity || null}
            onChange={(v) => setF({ severity: v })}
            w={140}
          />
          <DebouncedInput
            label="Assignee"
            placeholder="email"
            value={f.assignee}
            onValue={(assignee) => setF({ assignee })}
            w={200}
          />
          <Button
            variant="subtle"
            size="xs"
            onClick={() => setF({ assignee: f.assignee === me.name ? null : me.name })}
          >
            {f.assignee === me.name ? 'Anyone' : 'Mine'}
          </Button>
          <DebouncedInput
            label="Tag"
            placeholder="tag"
            value={f.tag}
            onValue={(tag) => setF({ tag })}
            w={140}
          />
          <Select
            label="Sort by"
            data={[
              { value: 'lastActivityAt', label: 'Last activity' },
              { value: 'createdAt', label: 'Created' },
              { value: 'severity', label: 'Severity' },
            ]}
            value={query.sort ?? null}
            onChange={(v) => setF({ sort: v })}
            w={150}
            allowDeselect={false}
          />
          <Select
            label="Order"
            data={[
              { value: 'desc', label: 'Descending' },
              { value: 'asc', label: 'Ascending' },
            ]}
            value={query.order ?? null}
            onChange={(v) => setF({ order: v })}
            w={130}
            allowDeselect={false}
          />
          <Button
            variant="subtle"
            size="xs"
            color="gray"
            onClick={() => setF(Object.fromEntries(KEYS.map((k) => [k, null])))}
          >
            Clear
          </Button>
        </Group>
      </Paper>
      <QueryState query={list}>
        {(data) => {
          const rows = data.pages.flatMap((p) => p.items);
          return (
            <Paper withBorder>
              <IncidentTable rows={rows} />
              {rows.length === 0 && (
                <Center p="lg">
                  <Text c="dimmed">No incidents match these filters.</Text>
                </Center>
              )}
              {list.hasNextPage && (
                <Center p="sm">
                  <Button
                    variant="light"
                    onClick={() => void list.fetchNextPage()}
                    loading={list.isFetchingNextPage}
                    data-testid="incidents-more"
                  >
                    Load more
                  </Button>
                </Center>
              )}
            </Paper>
          );
        }}
      </QueryState>
    </Stack>
  );
}

function IncidentTable({ rows }: { rows: IncidentSummary[] }) {
  const navigate = useNavigate();
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table highlightOnHover verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Severity</Table.Th>
            <Table.Th>Incident</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Assignee</Table.Th>
            <Table.Th ta="right">Alerts</Table.Th>
            <Table.Th>Tags</Table.Th>
            <Table.Th>Last activity</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((i) => (
            <Table.Tr
              key={i.id}
              className="clickable-row"
              data-testid="incident-row"
              data-incident-id={i.id}
              onClick={() => void navigate(`/incidents/${encodeURIComponent(i.id)}`)}
            >
              <Table.Td>
                <SeverityBadge severity={i.severity} />
              </Table.Td>
              <Table.Td>
                <Text size="sm" fw={500} lineClamp={2}>
                  {i.title}
                </Text>
                <Text size="xs" c="dimmed" className="mono">
                  {i.id}
                </Text>
              </Table.Td>
              <Table.Td>
                <IncidentStatusBadge status={i.status} />
              </Table.Td>
              <Table.Td>
                <Text size="sm" c={i.assignee ? undefined : 'dimmed'}>
                  {i.assignee ?? 'Unassigned'}
                </Text>
              </Table.Td>
              <Table.Td ta="right">{i.alertCount}</Table.Td>
              <Table.Td>
                <TagBadges tags={i.tags} system={i.systemTags} />
              </Table.Td>
              <Table.Td>
                <Tooltip label={fmtTime(i.lastActivityAt)}>
                  <Text size="sm">{relTime(i.lastActivityAt)}</Text>
                </Tooltip>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
