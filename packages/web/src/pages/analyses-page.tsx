import { useState } from 'react';
import { Anchor, Badge, Button, Group, Paper, Select, Stack, Table, Text, Title } from '@mantine/core';
import { Link, useNavigate } from 'react-router';
import { ANALYSIS_STATUSES, UNFINISHED_ANALYSIS_STATUSES, type Analysis } from '@quell/contracts';
import { useAnalysisList, useResubmitAnalysis } from '../api/analyses';
import { catalogById, useCatalog } from '../api/actions';
import { useMe } from '../api/session';
import { AnalysisSubmitModal } from '../components/analyses/analysis-submit-modal';
import { notify } from '../lib/notify';
import { roleIn } from '../lib/roles';
import { QueryState } from '../components/query-state';
import { STATUS_COLOR, VERDICT_COLOR } from '../components/analyses/analysis-colors';
import { fmtTime, humanize, relTime } from '../lib/format';
import { oneOf, useSearchState } from '../lib/use-search-state';

const KEYS = ['status'] as const;

/** The sandbox queue and history, newest first; the status filter lives in the URL. */
export function AnalysesPage() {
  const [f, setF] = useSearchState(KEYS);
  const list = useAnalysisList({ status: oneOf(ANALYSIS_STATUSES, f.status), limit: 100 });
  const me = useMe();
  const byId = catalogById(useCatalog().data?.items);
  const mayRequest = roleIn(me.role, byId.get('deep_analysis')?.requestRoles ?? []);
  const [submitting, setSubmitting] = useState(false);
  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <Title order={2}>Deep analyses</Title>
        <Group align="flex-end">
          {mayRequest && (
            <Button onClick={() => setSubmitting(true)} data-testid="analysis-submit">
              Submit a file…
            </Button>
          )}
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
      </Group>
      <QueueSummary />
      {submitting && <AnalysisSubmitModal onClose={() => setSubmitting(false)} />}
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
                    <Table.Th />
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
                        <Badge
                          color={STATUS_COLOR[a.status]}
                          variant="light"
                          data-testid="analysis-row-status"
                        >
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
                      <Table.Td>
                        {mayRequest && !UNFINISHED.has(a.status) && <ResubmitButton a={a} />}
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

const UNFINISHED = new Set<string>(UNFINISHED_ANALYSIS_STATUSES);

/** How many runs wait and how many detonate now, whatever the list's filter. */
function QueueSummary() {
  const queued = useAnalysisList({ status: 'queued', limit: 100 });
  const running = useAnalysisList({ status: 'running', limit: 100 });
  const count = (q: typeof queued) =>
    q.data ? `${q.data.items.length}${q.data.nextCursor ? '+' : ''}` : '…';
  return (
    <Paper withBorder p="sm" data-testid="analyses-queue">
      <Group gap="lg">
        <Text size="sm">
          Queued: <b data-testid="analyses-queued">{count(queued)}</b>
        </Text>
        <Text size="sm">
          Running: <b data-testid="analyses-running">{count(running)}</b>
        </Text>
        <Text size="xs" c="dimmed">
          Also from a file page (Deep analysis) and with `quell analysis submit`.
        </Text>
      </Group>
    </Paper>
  );
}

function ResubmitButton({ a }: { a: Analysis }) {
  const resubmit = useResubmitAnalysis(a.id);
  const navigate = useNavigate();
  return (
    <Button
      size="compact-xs"
      variant="light"
      loading={resubmit.isPending}
      aria-label={`Resubmit ${a.fileName}`}
      onClick={() =>
        resubmit.mutate(
          {},
          {
            onSuccess: (n) => {
              notify.success(`${a.fileName} submitted again.`);
              void navigate(`/analyses/${encodeURIComponent(n.id)}`);
            },
          },
        )
      }
      data-testid="analysis-resubmit-row"
    >
      Resubmit
    </Button>
  );
}
