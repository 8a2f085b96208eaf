import { useState } from 'react';
import { Alert, Badge, Button, Group, Modal, Paper, Stack, Table, Text, Title } from '@mantine/core';
import type { TaxiiFeed } from '@quell/contracts';
import { roleHas } from '@quell/core';
import { errorMessage } from '../../api/client';
import { useDeleteTaxiiFeed, usePullTaxiiFeed, useTaxiiFeeds } from '../../api/indicators';
import { useMe } from '../../api/session';
import { fmtTime, relTime } from '../../lib/format';
import { notify } from '../../lib/notify';
import { QueryState } from '../query-state';
import { TaxiiFeedCreateModal } from './taxii-feed-create-modal';
import { TaxiiFeedEditModal } from './taxii-feed-edit-modal';

function LastPull({ f }: { f: TaxiiFeed }) {
  if (!f.lastPulledAt && !f.lastError)
    return (
      <Text size="sm" c="dimmed" data-testid="taxii-feed-status" data-state="never">
        Never pulled
      </Text>
    );
  if (f.lastError)
    return (
      <Stack gap={2} data-testid="taxii-feed-status" data-state="error">
        <Badge color="red" variant="light">
          Failed {f.lastPulledAt ? relTime(f.lastPulledAt) : ''}
        </Badge>
        <Text size="xs" c="red" data-testid="taxii-feed-error">
          {f.lastError}
        </Text>
      </Stack>
    );
  const c = f.lastCounts;
  return (
    <Stack gap={2} data-testid="taxii-feed-status" data-state="ok">
      <Text size="sm" title={fmtTime(f.lastPulledAt)}>
        {relTime(f.lastPulledAt)}
      </Text>
      <Text size="xs" c="dimmed" data-testid="taxii-feed-counts">
        {c.imported} new, {c.updated} updated, {c.removed} removed, {c.rejected} rejected
      </Text>
    </Stack>
  );
}

/**
 * TAXII 2.1 feeds: what each pulls, when it last did and with what outcome; pull now, add, edit,
 * remove. Adding, editing and removing need `settings:manage` (admin), pulling `indicators:manage`.
 */
export function TaxiiFeedsCard() {
  const me = useMe();
  const mayPull = roleHas(me.role, 'indicators:manage');
  const mayConfigure = roleHas(me.role, 'settings:manage');
  const feeds = useTaxiiFeeds();
  const pull = usePullTaxiiFeed();
  const del = useDeleteTaxiiFeed();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<TaxiiFeed | null>(null);
  const [removing, setRemoving] = useState<TaxiiFeed | null>(null);
  const [removeError, setRemoveError] = useState<string | null>(null);

  const pullNow = (f: TaxiiFeed) =>
    pull.mutate(f.id, {
      onSuccess: (r) =>
        notify.success(
          `${f.name}: ${r.import.imported} new, ${r.import.updated} updated, ${r.import.removed} removed, ${r.import.rejected.length} rejected${r.complete ? '' : '; more on the next pull'}.`,
          'Feed pulled',
        ),
      onError: (e) => notify.error(e, `Pulling ${f.name} failed; check its URL and credentials`),
    });

  return (
    <Paper withBorder p="md" data-testid="taxii-feeds">
      <Group justify="space-between" mb="sm">
        <div>
          <Title order={4}>TAXII feeds</Title>
          <Text size="xs" c="dimmed">
            Pulled on their interval; the indicators they bring are listed above with source TAXII.
          </Text>
        </div>
        {mayConfigure && (
          <Button size="xs" variant="light" onClick={() => setAdding(true)} data-testid="taxii-feed-add">
            Add feed…
          </Button>
        )}
      </Group>
      <QueryState query={feeds} title="Could not load the TAXII feeds">
        {({ items }) =>
          items.length === 0 ? (
            <Text size="sm" c="dimmed" data-testid="taxii-feeds-empty">
              No feed yet.{mayConfigure ? ' Add one to pull indicators from a TAXII 2.1 server.' : ''}
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={800}>
              <Table verticalSpacing="xs">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Collection</Table.Th>
                    <Table.Th>Every</Table.Th>
                    <Table.Th>Last pull</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((f) => (
                    <Table.Tr key={f.id} data-testid="taxii-feed-row" data-name={f.name}>
                      <Table.Td>
                        <Text size="sm" fw={500}>
                          {f.name}
                        </Text>
                        {!f.enabled && (
                          <Badge size="xs" color="gray" data-testid="taxii-feed-paused">
                            paused
                          </Badge>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Text size="xs" ff="monospace" style={{ wordBreak: 'break-all' }}>
                          {f.apiRootUrl ?? f.discoveryUrl}
                        </Text>
                        <Text size="xs" c="dimmed">
                          {f.collectionId}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" data-testid="taxii-feed-every">
                          {f.intervalMinutes} min
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <LastPull f={f} />
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4} justify="flex-end" wrap="nowrap">
                          {mayPull && (
                            <Button
                              size="compact-xs"
                              variant="light"
                              loading={pull.isPending && pull.variables === f.id}
                              onClick={() => pullNow(f)}
                              data-testid="taxii-feed-pull"
                            >
                              Pull now
                            </Button>
                          )}
                          {mayConfigure && (
                            <Button
                              size="compact-xs"
                              variant="subtle"
                              onClick={() => setEditing(f)}
                              data-testid="taxii-feed-edit"
                            >
                              Edit
                            </Button>
                          )}
                          {mayConfigure && (
                            <Button
                              size="compact-xs"
                              variant="subtle"
                              color="red"
                              onClick={() => {
                                setRemoveError(null);
                                setRemoving(f);
                              }}
                              data-testid="taxii-feed-remove"
                            >
                              Remove
                            </Button>
                          )}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </QueryState>
      {adding && <TaxiiFeedCreateModal onClose={() => setAdding(false)} />}
      {editing && <TaxiiFeedEditModal feed={editing} onClose={() => setEditing(null)} />}
      <Modal opened={removing !== null} onClose={() => setRemoving(null)} title="Remove the feed">
        <Stack>
          <Text size="sm">
            {removing?.name} is no longer pulled. The indicators it already brought stay in force (source
            TAXII in the list); remove them there if you no longer want them.
          </Text>
          {removeError && (
            <Alert color="red" data-testid="taxii-feed-remove-error">
              {removeError}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRemoving(null)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={del.isPending}
              onClick={() =>
                removing &&
                del.mutate(removing.id, {
                  onSuccess: () => {
                    notify.success(`Feed ${removing.name} removed.`);
                    setRemoving(null);
                  },
                  onError: (e) => setRemoveError(errorMessage(e)),
                })
              }
              data-testid="taxii-feed-remove-confirm"
            >
              Remove
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Paper>
  );
}
