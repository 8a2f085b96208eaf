import {
  Alert,
  Anchor,
  Badge,
  Breadcrumbs,
  Button,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { Link, useNavigate, useParams } from 'react-router';
import type { AnalysisDetail } from '@quell/contracts';
import { useAnalysis, useCancelAnalysis, useResubmitAnalysis } from '../api/analyses';
import { QueryState } from '../components/query-state';
import { STATUS_COLOR, VERDICT_COLOR } from '../components/analyses/analysis-colors';
import { AnalysisReport, type ReportView } from '../components/analyses/analysis-report';
import { fmtTime, humanize } from '../lib/format';
import { notify } from '../lib/notify';

/** A deep-analysis report: verdict and score, behaviours with ATT&CK ids, process tree, observables. */
export function AnalysisPage() {
  const { id = '' } = useParams();
  const analysis = useAnalysis(id);
  return (
    <Stack>
      <Breadcrumbs>
        <Anchor component={Link} to="/analyses" size="sm">
          Deep analyses
        </Anchor>
        <Text size="sm">{id}</Text>
      </Breadcrumbs>
      <QueryState query={analysis} title="Could not load the analysis">
        {(a) => <AnalysisView a={a} />}
      </QueryState>
    </Stack>
  );
}

function AnalysisView({ a }: { a: AnalysisDetail }) {
  const navigate = useNavigate();
  const resubmit = useResubmitAnalysis(a.id);
  const cancel = useCancelAnalysis(a.id);
  const unfinished = a.status === 'queued' || a.status === 'running';
  const report = a.report as ReportView | null;
  return (
    <>
      <Group justify="space-between" align="flex-start">
        <div>
          <Group gap="xs">
            <Title order={2} data-testid="analysis-title">
              {a.fileName}
            </Title>
            <Badge
              color={STATUS_COLOR[a.status]}
              variant="light"
              size="lg"
              data-testid="analysis-status"
              data-status={a.status}
            >
              {humanize(a.status)}
            </Badge>
            {a.verdict && (
              <Badge
                color={VERDICT_COLOR[a.verdict]}
                size="lg"
                data-testid="analysis-verdict"
                data-verdict={a.verdict}
              >
                {a.verdict} · {a.score ?? 0}/100
              </Badge>
            )}
          </Group>
          <Anchor component={Link} to={`/files/${a.sha256}`} size="sm" ff="monospace">
            {a.sha256}
          </Anchor>
        </div>
        <Group gap="xs">
          {unfinished ? (
            <Button
              variant="default"
              loading={cancel.isPending}
              onClick={() =>
                cancel.mutate(undefined, { onSuccess: () => notify.success('Analysis cancelled.') })
              }
              data-testid="analysis-cancel"
            >
              Cancel
            </Button>
          ) : (
            <Button
              variant="default"
              loading={resubmit.isPending}
              onClick={() =>
                resubmit.mutate(
                  {},
                  {
                    onSuccess: (next) => {
                      notify.success(`Resubmitted as ${next.id}.`);
                      void navigate(`/analyses/${encodeURIComponent(next.id)}`);
                    },
                  },
                )
              }
              data-testid="analysis-resubmit"
            >
              Resubmit
            </Button>
          )}
        </Group>
      </Group>
      <Paper withBorder p="md">
        <SimpleGrid cols={{ base: 2, md: 4 }}>
          <Text size="sm">Requested by {a.requestedBy}</Text>
          <Text size="sm">Submitted {fmtTime(a.createdAt)}</Text>
          <Text size="sm">
            {a.finishedAt
              ? `Finished ${fmtTime(a.finishedAt)}`
              : a.startedAt
                ? `Started ${fmtTime(a.startedAt)}`
                : 'Waiting in the queue'}
          </Text>
          <Text size="sm">
            Timeout {a.timeoutSeconds} s
            {report?.durationMs !== undefined ? ` · ran ${(report.durationMs / 1000).toFixed(1)} s` : ''}
          </Text>
        </SimpleGrid>
        {a.actionId && (
          <Anchor component={Link} to={`/actions/${encodeURIComponent(a.actionId)}`} size="sm">
            Its action in the Action Center
          </Anchor>
        )}
        {a.resubmissionOf && (
          <Anchor component={Link} to={`/analyses/${encodeURIComponent(a.resubmissionOf)}`} size="sm" ml="md">
            Earlier run
          </Anchor>
        )}
      </Paper>
      {a.status === 'timed_out' && (
        <Alert color="orange" title="Timed out">
          The sample ran past {a.timeoutSeconds} s and was stopped; the report shows what it did until then.
        </Alert>
      )}
      {(a.error ?? report?.error) && (
        <Alert color="red" title="Error" data-testid="analysis-error">
          {a.error ?? report?.error}
        </Alert>
      )}
      {report ? (
        <AnalysisReport report={report} />
      ) : (
        <Text c="dimmed">{unfinished ? 'The report shows here when the run ends.' : 'No report.'}</Text>
      )}
    </>
  );
}
