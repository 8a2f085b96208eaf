import { useState } from 'react';
import { Badge, Button, Center, Group, Paper, Stack, Tabs, Text, Title } from '@mantine/core';
import { useActionList } from '../api/actions';
import { ActionFilters, ACTION_FILTER_KEYS } from '../components/actions/action-filters';
import { ActionTable } from '../components/actions/action-table';
import { BulkBar } from '../components/actions/bulk-bar';
import { QueryState } from '../components/query-state';
import { actionQuery, exportUrl, type ActionTab } from '../lib/action-query';
import { useSearchState } from '../lib/use-search-state';

const KEYS = ['tab', ...ACTION_FILTER_KEYS] as const;

/** The Action Center: what waits for a decision, and everything that happened. */
export function ActionsPage() {
  const [s, setS] = useSearchState(KEYS);
  const tab: ActionTab = s.tab === 'history' ? 'history' : 'pending';
  const query = { ...actionQuery(tab, s), limit: 50 };
  const list = useActionList(query, { refetchInterval: tab === 'pending' ? 10_000 : 30_000 });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const pendingCount = useActionList({ view: 'pending', limit: 1 }).data?.pages[0];

  const select = (ids: string[], on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      for (const id of ids) {
        if (on) next.add(id);
        else next.delete(id);
      }
      return next;
    });
  const switchTab = (t: string | null) => {
    setSelected(new Set());
    setS({ tab: t === 'history' ? 'history' : null });
  };
  const setFilters = (p: Parameters<typeof setS>[0]) => {
    setSelected(new Set());
    setS(p);
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Action Center</Title>
        <Group gap="xs">
          <Button variant="default" size="xs" onClick={() => void list.refetch()} loading={list.isRefetching}>
            Refresh
          </Button>
          <Button
            component="a"
            href={exportUrl(query)}
            download="quell-actions.csv"
            size="xs"
            variant="light"
            data-testid="actions-export"
          >
            Export CSV
          </Button>
        </Group>
      </Group>
      <Tabs value={tab} onChange={switchTab}>
        <Tabs.List>
          <Tabs.Tab
            value="pending"
            data-testid="tab-pending"
            rightSection={
              pendingCount && pendingCount.items.length > 0 ? (
                <Badge size="xs" color="orange" variant="filled" circle />
              ) : undefined
            }
          >
            Pending
          </Tabs.Tab>
          <Tabs.Tab value="history" data-testid="tab-history">
            History
          </Tabs.Tab>
        </Tabs.List>
      </Tabs>
      <ActionFilters f={s} setF={setFilters} />
      {selected.size > 0 && <BulkBar ids={[...selected]} onDone={() => setSelected(new Set())} />}
      <QueryState query={list}>
        {(data) => {
          const rows = data.pages.flatMap((p) => p.items);
          return (
            <Paper withBorder>
              <ActionTable rows={rows} selected={selected} onSelect={select} />
              {rows.length === 0 && (
                <Center p="lg">
                  <Text c="dimmed">
                    {tab === 'pending'
                      ? 'Nothing is waiting: no pending actions match.'
                      : 'No actions match these filters.'}
                  </Text>
                </Center>
              )}
              {list.hasNextPage && (
                <Center p="sm">
                  <Button
                    variant="light"
                    onClick={() => void list.fetchNextPage()}
                    loading={list.isFetchingNextPage}
                    data-testid="actions-more"
                  >
                    Load more
                  </Button>
                </Center>
              )}
            </Paper>
          );
        }}
      </QueryState>
    </Stack>
  );
}
