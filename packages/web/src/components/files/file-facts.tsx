import { Anchor, Badge, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import type { FilePage, FileVerdictValue } from '@quell/contracts';
import { ActionStatusBadge } from '../badges';
import { fmtTime, humanize, relTime } from '../../lib/format';

const VERDICT_COLOR: Record<FileVerdictValue, string> = {
  malicious: 'red',
  suspicious: 'orange',
  clean: 'teal',
};

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      {children}
    </div>
  );
}

function Hash({ label, value, testId }: { label: string; value: string | null; testId: string }) {
  return (
    <Fact label={label}>
      <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }} data-testid={testId}>
        {value ?? '—'}
      </Text>
    </Fact>
  );
}

/** Hashes, names and paths, prevalence and verdicts. */
export function FileIdentity({ page }: { page: FilePage }) {
  const f = page.file;
  return (
    <Paper withBorder p="md">
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Stack gap="xs">
          <Hash label="SHA-256" value={f.sha256} testId="file-sha256" />
          <Hash label="SHA-1" value={f.sha1} testId="file-sha1" />
          <Hash label="MD5" value={f.md5} testId="file-md5" />
          <Fact label="Size">
            <Text size="sm">{f.size === null ? '—' : `${f.size.toLocaleString()} bytes`}</Text>
          </Fact>
        </Stack>
        <Stack gap="xs">
          <Fact label="Prevalence">
            <Text size="sm" data-testid="file-prevalence">
              {f.deviceCount} device{f.deviceCount === 1 ? '' : 's'} · first seen {fmtTime(f.firstSeenAt)} ·
              last seen {relTime(f.lastSeenAt)}
            </Text>
          </Fact>
          <Fact label="Verdicts">
            {page.verdicts.length === 0 ? (
              <Text size="sm" c="dimmed">
                None yet
              </Text>
            ) : (
              <Group gap="xs" data-testid="file-verdicts">
                {page.verdicts.map((v) => (
                  <Badge
                    key={`${v.source}:${v.ref ?? ''}`}
                    color={VERDICT_COLOR[v.verdict]}
                    variant="light"
                    title={[v.title, v.at && fmtTime(v.at)].filter(Boolean).join(' · ')}
                  >
                    {v.verdict} · {humanize(v.source)}
                  </Badge>
                ))}
              </Group>
            )}
          </Fact>
          <Fact label="Names">
            <Text size="sm">{f.names.join(', ') || '—'}</Text>
          </Fact>
          <Fact label="Paths">
            {page.paths.map((p) => (
              <Text key={p} size="sm" ff="monospace" data-testid="file-path">
                {p}
              </Text>
            ))}
          </Fact>
        </Stack>
      </SimpleGrid>
    </Paper>
  );
}

/** Alerts that name the file as evidence and the incidents they belong to. */
export function FileRelated({ page }: { page: FilePage }) {
  return (
    <Paper withBorder p="md">
      <Title order={4} mb="sm">
        Related alerts and incidents
      </Title>
      {page.alerts.length === 0 && page.incidents.length === 0 ? (
        <Text size="sm" c="dimmed">
          No alert names this file.
        </Text>
      ) : (
        <Stack gap="xs">
          {page.incidents.map((i) => (
            <Group key={i.id} gap="xs" data-testid="file-incident">
              <Badge variant="outline">{i.severity}</Badge>
              <Anchor component={Link} to={`/incidents/${encodeURIComponent(i.id)}`} size="sm">
                {i.title}
              </Anchor>
              <Text size="xs" c="dimmed">
                {humanize(i.status)}
              </Text>
            </Group>
          ))}
          {page.alerts.map((a) => (
            <Group key={a.alertId} gap="xs" data-testid="file-alert">
              <Text size="xs" c="dimmed">
                {relTime(a.at)}
              </Text>
              <Anchor component={Link} to={`/incidents/${encodeURIComponent(a.incidentId)}`} size="sm">
                {a.title}
              </Anchor>
              <Badge variant="light" size="sm">
                {a.severity}
              </Badge>
            </Group>
          ))}
        </Stack>
      )}
    </Paper>
  );
}

/** Actions taken on the file, newest first, each linking to its Action Center page. */
export function FileActions({ page }: { page: FilePage }) {
  return (
    <Paper withBorder p="md">
      <Title order={4} mb="sm">
        Actions on this file
      </Title>
      {page.actions.length === 0 ? (
        <Text size="sm" c="dimmed">
          No actions yet.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={600}>
          <Table verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Requested</Table.Th>
                <Table.Th>Action</Table.Th>
                <Table.Th>Device</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>By</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {page.actions.map((a) => (
                <Table.Tr
                  key={a.id}
                  data-testid="file-action-row"
                  data-action-type={a.type}
                  data-status={a.status}
                >
                  <Table.Td>
                    <Text size="sm" title={fmtTime(a.createdAt)}>
                      {relTime(a.createdAt)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/actions/${encodeURIComponent(a.id)}`} size="sm">
                      {a.title}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{a.target.deviceHostname ?? '—'}</Text>
                  </Table.Td>
                  <Table.Td>
                    <ActionStatusBadge status={a.status} />
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{a.requestedBy}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}
