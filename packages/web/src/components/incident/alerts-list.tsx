import { Accordion, Badge, Group, Stack, Text } from '@mantine/core';
import type { Incident } from '@quell/contracts';
import { fmtTime, humanize } from '../../lib/format';
import { SeverityBadge } from '../badges';

/** The alerts correlated into the incident, newest first, each with its evidence. */
export function AlertsList({ incident }: { incident: Incident }) {
  const alerts = [...incident.alerts].sort((a, b) => b.firstActivityAt.localeCompare(a.firstActivityAt));
  if (alerts.length === 0) return <Text c="dimmed">No alerts.</Text>;
  return (
    <Accordion variant="separated" multiple>
      {alerts.map((a) => (
        <Accordion.Item key={a.id} value={a.id} data-testid="alert-item">
          <Accordion.Control>
            <Group gap="sm" wrap="nowrap">
              <SeverityBadge severity={a.severity} size="sm" />
              <Text size="sm" fw={500} style={{ flex: 1 }}>
                {a.title}
              </Text>
              <Text size="xs" c="dimmed">
                {fmtTime(a.firstActivityAt)}
              </Text>
            </Group>
          </Accordion.Control>
          <Accordion.Panel>
            <Stack gap={6}>
              {a.description && <Text size="sm">{a.description}</Text>}
              <Group gap="xs">
                <Badge variant="light" color="gray" size="sm">
                  {humanize(a.status)}
                </Badge>
                <Badge variant="outline" size="sm">
                  {a.category}
                </Badge>
                <Text size="xs" c="dimmed">
                  source {a.detectionSource}
                </Text>
                {a.mitreTechniques.map((t) => (
                  <Badge key={t} variant="light" color="grape" size="sm">
                    {t}
                  </Badge>
                ))}
              </Group>
              <Text size="xs" c="dimmed">
                Alert {a.id}
                {a.externalId ? ` · external ${a.externalId}` : ''} · last activity{' '}
                {fmtTime(a.lastActivityAt)}
              </Text>
              <Group gap={6}>
                {a.entities.map((e) => (
                  <Badge key={e.key} variant="dot" size="sm" color="blue" tt="none">
                    {e.kind}: {e.label}
                  </Badge>
                ))}
              </Group>
            </Stack>
          </Accordion.Panel>
        </Accordion.Item>
      ))}
    </Accordion>
  );
}
