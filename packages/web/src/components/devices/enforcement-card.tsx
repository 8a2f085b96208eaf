import { Anchor, Button, Code, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import type { EnforcementView } from '@quell/contracts';
import { fmtTime, humanize, relTime } from '../../lib/format';
import { EnforcementBadge } from './device-badges';

function Exclusions({ view }: { view: EnforcementView }) {
  const spec = view.isolation;
  if (!spec) return null;
  return (
    <Stack gap={4}>
      <Text size="sm">
        Mode <b>{spec.mode}</b>
        {spec.allowDns && ' · DNS allowed'}
        {spec.allowDhcp && ' · DHCP allowed'}
      </Text>
      {spec.exclusions.length > 0 && (
        <Table withTableBorder verticalSpacing={4} fz="sm" data-testid="isolation-exclusions">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Remote</Table.Th>
              <Table.Th>Port</Table.Th>
              <Table.Th>Protocol</Table.Th>
              <Table.Th>Direction</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {spec.exclusions.map((x, i) => (
              <Table.Tr key={`${x.remote}-${i}`}>
                <Table.Td className="mono">{x.remote}</Table.Td>
                <Table.Td>{x.port ?? 'any'}</Table.Td>
                <Table.Td>{(x.protocol ?? 'any').toUpperCase()}</Table.Td>
                <Table.Td>{humanize(x.direction ?? 'both')}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

/**
 * Isolation or restriction as the agent verified it: the state, when it was read back, the
 * evidence (ruleset hash, helper pid), the action that set it, and the one button that changes it.
 */
export function EnforcementCard({
  title,
  view,
  testId,
  evidenceLabel,
  button,
}: {
  title: string;
  view: EnforcementView;
  testId: string;
  evidenceLabel: string;
  button?: { label: string; testId: string; onClick: () => void; color?: string } | undefined;
}) {
  return (
    <Paper withBorder p="md" data-testid={`${testId}-card`}>
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={4}>{title}</Title>
          <EnforcementBadge view={view} size="lg" data-testid={testId} />
        </Group>
        <Text size="xs" c="dimmed" data-testid={`${testId}-checked`}>
          {view.checkedAt
            ? `Read back from the device ${relTime(view.checkedAt)} (${fmtTime(view.checkedAt)})`
            : 'The device has not reported this yet'}
        </Text>
        {view.error && (
          <Text size="sm" c="red" data-testid={`${testId}-error`}>
            {view.error}
          </Text>
        )}
        {view.evidence && (
          <div>
            <Text size="xs" c="dimmed">
              {evidenceLabel}
            </Text>
            <Code data-testid={`${testId}-evidence`}>{view.evidence}</Code>
          </div>
        )}
        <Exclusions view={view} />
        <Group justify="space-between">
          {view.actionId ? (
            <Anchor component={Link} to={`/actions/${encodeURIComponent(view.actionId)}`} size="xs">
              Set by action {view.actionId}
            </Anchor>
          ) : (
            <span />
          )}
          {button && (
            <Button
              size="xs"
              variant="light"
              color={button.color}
              onClick={button.onClick}
              data-testid={button.testId}
            >
              {button.label}
            </Button>
          )}
        </Group>
      </Stack>
    </Paper>
  );
}
