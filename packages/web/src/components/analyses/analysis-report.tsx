import { Badge, Code, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

/**
 * The sandbox report as the console reads it: the contracts declare it loosely (its schema lives
 * with the engine on the server, docs/deep-analysis.md), so every section is optional here and a
 * report of a newer schema still shows what this view knows.
 */
export interface ReportView {
  status?: string;
  error?: string | null;
  durationMs?: number;
  timeoutMs?: number;
  exit?: { code: number | null; signal: string | null };
  behaviours?: Array<{
    id: string;
    title: string;
    techniqueId: string;
    tactic: string;
    severity: string;
    evidence: string[];
  }>;
  processes?: Array<{
    pid: number;
    ppid: number | null;
    executable: string;
    argv: string[];
    startMs: number;
    exitCode: number | null;
    signal: string | null;
  }>;
  files?: Array<{ path: string; change: string; type: string; size: number | null; sha256: string | null }>;
  persistence?: Array<{ path: string; kind: string; change: string; excerpt: string }>;
  network?: Array<{
    family: string;
    address: string;
    port: number;
    protocol: string;
    result: string;
    count: number;
  }>;
  dns?: Array<{ name: string; type: string; count: number }>;
  limitsHit?: Array<{ limit: string; detail: string }>;
  output?: { stdout: string; stderr: string; truncated: boolean };
}

function Section({
  title,
  count,
  testId,
  children,
}: {
  title: string;
  count: number;
  testId: string;
  children: ReactNode;
}) {
  return (
    <Paper withBorder p="md" data-testid={testId}>
      <Title order={4} mb="sm">
        {title} ({count})
      </Title>
      {count === 0 ? (
        <Text size="sm" c="dimmed">
          None seen.
        </Text>
      ) : (
        children
      )}
    </Paper>
  );
}

type Proc = NonNullable<ReportView['processes']>[number];

/** Processes indented under their parent, in start order; orphans (parent outside the run) are roots. */
function treeRows(procs: readonly Proc[]): Array<{ p: Proc; depth: number }> {
  const pids = new Set(procs.map((p) => p.pid));
  const children = new Map<number | null, Proc[]>();
  for (const p of [...procs].sort((a, b) => a.startMs - b.startMs)) {
    const parent = p.ppid !== null && pids.has(p.ppid) ? p.ppid : null;
    children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const out: Array<{ p: Proc; depth: number }> = [];
  const seen = new Set<number>();
  const walk = (parent: number | null, depth: number) => {
    for (const p of children.get(parent) ?? []) {
      // A pid reused within the run must not loop the walk.
      if (seen.has(p.pid)) continue;
      seen.add(p.pid);
      out.push({ p, depth });
      walk(p.pid, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** Behaviours (ATT&CK), process tree, files, persistence, network, DNS, limits and output. */
export function AnalysisReport({ report }: { report: ReportView }) {
  const behaviours = report.behaviours ?? [];
  const processes = report.processes ?? [];
  const files = report.files ?? [];
  const persistence = report.persistence ?? [];
  const network = report.network ?? [];
  const dns = report.dns ?? [];
  const limits = report.limitsHit ?? [];
  return (
    <Stack>
      <Section
        title="Behaviours and ATT&CK techniques"
        count={behaviours.length}
        testId="analysis-behaviours"
      >
        <Stack gap="sm">
          {behaviours.map((b) => (
            <div key={b.id} data-testid="analysis-behaviour" data-technique={b.techniqueId}>
              <Group gap="xs">
                <Badge variant="filled" color="dark">
                  {b.techniqueId}
                </Badge>
                <Text fw={500} size="sm">
                  {b.title}
                </Text>
                <Badge variant="light" size="sm">
                  {b.tactic}
                </Badge>
                <Badge variant="outline" size="sm">
                  {b.severity}
                </Badge>
              </Group>
              {b.evidence.length > 0 && (
                <Code block mt={4} fz="xs">
                  {b.evidence.join('\n')}
                </Code>
              )}
            </div>
          ))}
        </Stack>
      </Section>
      <Section title="Process tree" count={processes.length} testId="analysis-processes">
        <Stack gap={2}>
          {treeRows(processes).map(({ p, depth }) => (
            <Text key={p.pid} size="sm" ff="monospace" pl={depth * 20} data-testid="analysis-process">
              {p.pid} {p.argv.length ? p.argv.join(' ') : p.executable}
              <Text span c="dimmed" size="xs">
                {' '}
                · +{p.startMs} ms ·{' '}
                {p.signal
                  ? `killed by ${p.signal}`
                  : p.exitCode === null
                    ? 'still running'
                    : `exit ${p.exitCode}`}
              </Text>
            </Text>
          ))}
        </Stack>
      </Section>
      <Section title="Files created, modified, deleted" count={files.length} testId="analysis-files">
        <Table verticalSpacing={4}>
          <Table.Tbody>
            {files.map((f) => (
              <Table.Tr key={`${f.change}:${f.path}`} data-testid="analysis-file">
                <Table.Td>
                  <Badge variant="light" size="sm">
                    {f.change}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace">
                    {f.path}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs" ff="monospace" c="dimmed">
                    {f.sha256 ?? f.type}
                  </Text>
                </Table.Td>
                <Table.Td>{f.size ?? ''}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Section>
      <Section title="Persistence-like changes" count={persistence.length} testId="analysis-persistence">
        <Stack gap="xs">
          {persistence.map((p) => (
            <div key={`${p.kind}:${p.path}`}>
              <Text size="sm">
                <Badge size="sm" variant="light">
                  {p.kind}
                </Badge>{' '}
                {p.change} <Code>{p.path}</Code>
              </Text>
              {p.excerpt && (
                <Code block fz="xs">
                  {p.excerpt}
                </Code>
              )}
            </div>
          ))}
        </Stack>
      </Section>
      <Section title="Network attempts" count={network.length + dns.length} testId="analysis-network">
        <Stack gap={2}>
          {network.map((n) => (
            <Text
              key={`${n.protocol}:${n.address}:${n.port}`}
              size="sm"
              ff="monospace"
              data-testid="analysis-connection"
            >
              {n.protocol} {n.family === 'inet6' ? `[${n.address}]` : n.address}:{n.port} · {n.result} ·{' '}
              {n.count}×
            </Text>
          ))}
          {dns.map((d) => (
            <Text key={`${d.type}:${d.name}`} size="sm" ff="monospace">
              DNS {d.type} {d.name} · {d.count}×
            </Text>
          ))}
        </Stack>
      </Section>
      {limits.length > 0 && (
        <Paper withBorder p="md">
          <Title order={4} mb="sm">
            Limits reached
          </Title>
          {limits.map((l) => (
            <Text key={l.limit} size="sm">
              {l.limit}: {l.detail}
            </Text>
          ))}
        </Paper>
      )}
      {report.output && (report.output.stdout || report.output.stderr) && (
        <Paper withBorder p="md">
          <Title order={4} mb="sm">
            Output{report.output.truncated ? ' (truncated)' : ''}
          </Title>
          <Code block fz="xs">
            {[report.output.stdout, report.output.stderr].filter(Boolean).join('\n--- stderr ---\n')}
          </Code>
        </Paper>
      )}
    </Stack>
  );
}
