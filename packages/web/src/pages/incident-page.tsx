import { useState } from 'react';
import { Anchor, Badge, Breadcrumbs, Paper, Stack, Tabs, Text } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { useIncident, useIncidentGraph } from '../api/incidents';
import { QueryState } from '../components/query-state';
import { IncidentHeader } from '../components/incident/incident-header';
import { AlertsList } from '../components/incident/alerts-list';
import { EntitiesList } from '../components/incident/entities-list';
import { ActivityLog } from '../components/incident/activity-log';
import { IncidentActions } from '../components/incident/incident-actions';
import { AttackStoryGraph } from '../components/attack-story-graph';

const TABS = ['story', 'alerts', 'entities', 'activity', 'actions'] as const;
type Tab = (typeof TABS)[number];

/** One incident: its facts, the attack story, evidence, activity, and the actions taken. */
export function IncidentPage() {
  const { id = '' } = useParams();
  const incident = useIncident(id);
  const [tab, setTab] = useState<Tab>('story');
  return (
    <Stack>
      <Breadcrumbs>
        <Anchor component={Link} to="/incidents" size="sm">
          Incidents
        </Anchor>
        <Text size="sm">{id}</Text>
      </Breadcrumbs>
      <QueryState query={incident} title="Could not load the incident">
        {(inc) => (
          <>
            <IncidentHeader incident={inc} />
            <Paper withBorder p="md">
              <Tabs
                value={tab}
                onChange={(v) => setTab((TABS as readonly string[]).includes(v ?? '') ? (v as Tab) : 'story')}
                keepMounted={false}
              >
                <Tabs.List mb="md">
                  <Tabs.Tab value="story" data-testid="tab-story">
                    Attack story
                  </Tabs.Tab>
                  <Tabs.Tab
                    value="alerts"
                    rightSection={
                      <Badge size="xs" variant="light">
                        {inc.alerts.length}
                      </Badge>
                    }
                    data-testid="tab-alerts"
                  >
                    Alerts
                  </Tabs.Tab>
                  <Tabs.Tab
                    value="entities"
                    rightSection={
                      <Badge size="xs" variant="light">
                        {inc.entities.length}
                      </Badge>
                    }
                    data-testid="tab-entities"
                  >
                    Entities
                  </Tabs.Tab>
                  <Tabs.Tab value="activity" data-testid="tab-activity">
                    Activity & comments
                  </Tabs.Tab>
                  <Tabs.Tab value="actions" data-testid="tab-actions">
                    Actions
                  </Tabs.Tab>
                </Tabs.List>
                <Tabs.Panel value="story">
                  <StoryPanel id={inc.id} />
                </Tabs.Panel>
                <Tabs.Panel value="alerts">
                  <AlertsList incident={inc} />
                </Tabs.Panel>
                <Tabs.Panel value="entities">
                  <EntitiesList incident={inc} />
                </Tabs.Panel>
                <Tabs.Panel value="activity">
                  <ActivityLog incidentId={inc.id} />
                </Tabs.Panel>
                <Tabs.Panel value="actions">
                  <IncidentActions incidentId={inc.id} />
                </Tabs.Panel>
              </Tabs>
            </Paper>
          </>
        )}
      </QueryState>
    </Stack>
  );
}

function StoryPanel({ id }: { id: string }) {
  const graph = useIncidentGraph(id);
  return <QueryState query={graph}>{(story) => <AttackStoryGraph story={story} />}</QueryState>;
}
