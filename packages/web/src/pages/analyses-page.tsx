import { Anchor, Badge, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { ANALYSIS_STATUSES } from '@quell/contracts';
import { useAnalysisList } from '../api/analyses';
import { QueryState } from '../components/query-state';
import { STATUS_COLOR, VERDICT_COLOR } from '../components/analyses/analysis-colors';
import { fmtTime, humanize, relTime } from '../lib/format';
import { oneOf, useSearchState } from '../lib/use-search-state';

const KEYS = ['status'] as const;

/** The sandbox queue and history, newest first; the status filter lives in the URL. */
export function AnalysesPage() {
  const [f, setF] = useSearchState(KEYS);
  const list = useAnalysisList({ status: oneOf(ANALYSIS_STATUSES, f.status), limit: 100 });
  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <Title order={2}>Deep analyses</Title>
        <Select
          label="Status"
          placeholder="Any"
          clearable
          data={ANALYSIS_STATUSES.map((s) => ({ value: s, label: humanize(s) }))}
          value={f.status || null}
          onChange={(status) => setF({ status })}
          data-testid="analyses-status"
        />
      </Group>
      <Text size="sm" c="dimmed">
        Submit a stored copy from its file page (Deep analysis), or with `quell analysis`.
      </Text>
      <QueryState query={list} title="Could not load analyses">
        {(page) =>
          page.items.length === 0 ? (
            <Text c="dimmed">No analysis yet.</Text>
          ) : (
            <Table.ScrollContainer minWidth={800}>
              <Table verticalSpacing="xs">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Submitted</Table.Th>
                    <Table.Th>File</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Verdict</Table.Th>
                    <Table.Th>By</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {page.items.map((a) => (
                    <Table.Tr
                      key={a.id}
                      data-testid="analysis-row"
                      data-analysis-id={a.id}
                      data-status={a.status}
                    >
                      <Table.Td>
                        <Text size="sm" title={fmtTime(a.createdAt)}>
                          {relTime(a.createdAt)}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Anchor component={Link} to={`/analyses/${encodeURIComponent(a.id)}`} size="sm">
                          {a.fileName}
                        </Anchor>
                        <Text size="xs" c="dimmed" ff="monospace">
                          {a.sha256.slice(0, 16)}…
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Badge color={STATUS_COLOR[a.status]} variant="light">
                          {humanize(a.status)}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        {a.verdict ? (
                          <Badge color={VERDICT_COLOR[a.verdict]}>
                            {a.verdict} · {a.score ?? 0}
                          </Badge>
                        ) : (
                          '—'
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{a.requestedBy}</Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </QueryState>
    </Stack>
  );
}
