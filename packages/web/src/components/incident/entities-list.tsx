import { Badge, Code, Table, Text } from '@mantine/core';
import type { Incident } from '@quell/contracts';

function evidenceText(ev: Record<string, unknown>): string {
  return Object.entries(ev)
    .filter(([k]) => k !== 'kind')
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
    .join(' · ');
}

/** Devices, files, users, mailboxes and network evidence named by the incident's alerts. */
export function EntitiesList({ incident }: { incident: Incident }) {
  if (incident.entities.length === 0) return <Text c="dimmed">No entities.</Text>;
  const inAlerts = (key: string) =>
    incident.alerts.filter((a) => a.entities.some((e) => e.key === key)).length;
  const sorted = [...incident.entities].sort(
    (a, b) => a.kind.localeCompare(b.kind) || a.label.localeCompare(b.label),
  );
  return (
    <Table.ScrollContainer minWidth={700}>
      <Table verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Kind</Table.Th>
            <Table.Th>Entity</Table.Th>
            <Table.Th>Evidence</Table.Th>
            <Table.Th ta="right">Alerts</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {sorted.map((e) => (
            <Table.Tr key={e.key} data-testid="entity-row">
              <Table.Td>
                <Badge variant="light" size="sm">
                  {e.kind}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Text size="sm" fw={500}>
                  {e.label}
                </Text>
                <Code fz="xs">{e.key}</Code>
              </Table.Td>
              <Table.Td>
                <Text size="xs" className="mono">
                  {evidenceText(e.evidence)}
                </Text>
              </Table.Td>
              <Table.Td ta="right">{inAlerts(e.key)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
