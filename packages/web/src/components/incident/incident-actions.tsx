import { Anchor, Button, Center, Group, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useActionList } from '../../api/actions';
import { QueryState } from '../query-state';
import { ActionTable } from '../actions/action-table';

/** Every action requested for this incident, whatever its state. */
export function IncidentActions({ incidentId }: { incidentId: string }) {
  const list = useActionList(
    { incidentId, view: 'all', sort: 'createdAt', order: 'desc', limit: 100 },
    { refetchInterval: 10_000 },
  );
  return (
    <QueryState query={list}>
      {(data) => {
        const rows = data.pages.flatMap((p) => p.items);
        return (
          <>
            <Group justify="space-between" mb="xs">
              <Text size="sm" c="dimmed">
                {rows.length === 0 ? 'No actions yet; use Take action above.' : `${rows.length} action(s)`}
              </Text>
              <Anchor
                component={Link}
                to={`/actions?incidentId=${encodeURIComponent(incidentId)}&tab=history`}
                size="sm"
              >
                Open in Action Center
              </Anchor>
            </Group>
            {rows.length > 0 && <ActionTable rows={rows} showIncident={false} />}
            {list.hasNextPage && (
              <Center p="sm">
                <Button
                  variant="light"
                  size="xs"
                  onClick={() => void list.fetchNextPage()}
                  loading={list.isFetchingNextPage}
                >
                  Load more
                </Button>
              </Center>
            )}
          </>
        );
      }}
    </QueryState>
  );
}
