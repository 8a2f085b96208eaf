import { useState } from 'react';
import {
  Badge,
  Button,
  Group,
  Menu,
  Modal,
  Paper,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  Title,
} from '@mantine/core';
import type { Indicator, IndicatorExportQuery, IndicatorListQuery } from '@quell/contracts';
import { INDICATOR_ACTIONS, INDICATOR_TYPES, roleHas, type IndicatorAction } from '@quell/core';
import { downloadIndicators, useIndicatorList, useRemoveIndicator } from '../api/indicators';
import { useMe } from '../api/session';
import { SeverityBadge } from '../components/badges';
import { DebouncedInput } from '../components/debounced-input';
import { QueryState } from '../components/query-state';
import { IndicatorCreateModal } from '../components/indicators/indicator-create-modal';
import { TYPE_LABEL } from '../components/indicators/indicator-fields';
import { IndicatorImportModal } from '../components/indicators/indicator-import-modal';
import { IndicatorEditModal } from '../components/indicators/indicator-edit-modal';
import { TaxiiFeedsCard } from '../components/indicators/taxii-feeds-card';
import { useDeviceGroups } from '../api/admin';
import { fmtTime, humanize, relTime } from '../lib/format';
import { notify } from '../lib/notify';
import { oneOf, useSearchState } from '../lib/use-search-state';

const KEYS = ['type', 'action', 'q', 'expired'] as const;

const ACTION_COLOR: Record<IndicatorAction, string> = {
  allow: 'teal',
  audit: 'yellow',
  block: 'red',
  block_and_remediate: 'grape',
};

/** Indicators with filters in the URL; create, remove, import CSV / STIX, export with the filters. */
export function IndicatorsPage() {
  const me = useMe();
  const mayManage = roleHas(me.role, 'indicators:manage');
  const [f, setF] = useSearchState(KEYS);
  const filters: IndicatorExportQuery = {
    type: oneOf(INDICATOR_TYPES, f.type),
    action: oneOf(INDICATOR_ACTIONS, f.action),
    q: f.q || undefined,
    includeExpired: f.expired === '1' ? true : undefined,
  };
  const query: IndicatorListQuery = { ...filters, limit: 100 };
  const list = useIndicatorList(query);
  const remove = useRemoveIndicator();
  const [dialog, setDialog] = useState<'create' | 'import' | null>(null);
  const [removing, setRemoving] = useState<Indicator | null>(null);
  const [editing, setEditing] = useState<Indicator | null>(null);
  const groups = useDeviceGroups();
  const groupName = (id: string) => groups.data?.items.find((g) => g.id === id)?.name ?? id;

  const exportAs = (format: 'csv' | 'stix') =>
    downloadIndicators(format, filters).catch((e: unknown) => notify.error(e, 'Export failed'));

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Indicators</Title>
        <Group gap="xs">
          <Menu withinPortal position="bottom-end">
            <Menu.Target>
              <Button variant="default" data-testid="indicators-export">
                Export
              </Button>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Item onClick={() => void exportAs('csv')} data-testid="indicators-export-csv">
                CSV
              </Menu.Item>
              <Menu.Item onClick={() => void exportAs('stix')} data-testid="indicators-export-stix">
                STIX 2.1 bundle
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
          {mayManage && (
            <>
              <Button variant="default" onClick={() => setDialog('import')} data-testid="indicators-import">
                Import…
              </Button>
              <Button onClick={() => setDialog('create')} data-testid="indicator-add">
                New indicator
              </Button>
            </>
          )}
        </Group>
      </Group>
      <Paper withBorder p="sm">
        <Group gap="sm" align="flex-end" wrap="wrap">
          <DebouncedInput
            label="Search"
            placeholder="Part of the value or title"
            value={f.q}
            onValue={(q) => setF({ q })}
            data-testid="indicators-q"
          />
          <Select
            label="Type"
            placeholder="Any"
            clearable
            data={INDICATOR_TYPES.map((t) => ({ value: t, label: TYPE_LABEL[t] }))}
            value={f.type || null}
            onChange={(type) => setF({ type })}
            data-testid="indicators-type"
          />
          <Select
            label="Action"
            placeholder="Any"
            clearable
            data={INDICATOR_ACTIONS.map((a) => ({ value: a, label: humanize(a) }))}
            value={f.action || null}
            onChange={(action) => setF({ action })}
            data-testid="indicators-action"
          />
          <Switch
            label="Include expired"
            checked={f.expired === '1'}
            onChange={(e) => setF({ expired: e.currentTarget.checked ? '1' : null })}
          />
        </Group>
      </Paper>
      <QueryState query={list} title="Could not load indicators">
        {(page) =>
          page.items.length === 0 ? (
            <Text c="dimmed" data-testid="indicators-empty">
              No indicator matches.
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={900}>
              <Table verticalSpacing="xs">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Type</Table.Th>
                    <Table.Th>Value</Table.Th>
                    <Table.Th>Action</Table.Th>
                    <Table.Th>Title</Table.Th>
                    <Table.Th>Severity</Table.Th>
                    <Table.Th>Scope</Table.Th>
                    <Table.Th>Expires</Table.Th>
                    <Table.Th>Source</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {page.items.map((i) => (
                    <Table.Tr
                      key={i.id}
                      data-testid="indicator-row"
                      data-value={i.value}
                      data-action={i.action}
                    >
                      <Table.Td>{TYPE_LABEL[i.type]}</Table.Td>
                      <Table.Td>
                        <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                          {i.value}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Badge color={ACTION_COLOR[i.action]} variant="light">
                          {humanize(i.action)}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" title={i.description ?? undefined} data-testid="indicator-title-cell">
                          {i.title}
                        </Text>
                      </Table.Td>
                      <Table.Td data-testid="indicator-severity" data-severity={i.severity}>
                        <SeverityBadge severity={i.severity} />
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" data-testid="indicator-scope">
                          {i.deviceGroupIds.length
                            ? i.deviceGroupIds.map(groupName).join(', ')
                            : 'All devices'}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" c={i.expired ? 'red' : undefined} title={fmtTime(i.expiresAt)}>
                          {i.expiresAt ? relTime(i.expiresAt) : 'Never'}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{humanize(i.source)}</Text>
                      </Table.Td>
                      <Table.Td>
                        {mayManage && (
                          <Group gap={4} wrap="nowrap" justify="flex-end">
                            <Button
                              size="compact-xs"
                              variant="subtle"
                              onClick={() => setEditing(i)}
                              aria-label={`Edit ${i.value}`}
                              data-testid="indicator-edit"
                            >
                              Edit
                            </Button>
                            <Button
                              size="compact-xs"
                              variant="subtle"
                              color="red"
                              onClick={() => setRemoving(i)}
                              aria-label={`Remove ${i.value}`}
                              data-testid="indicator-remove"
                            >
                              Remove
                            </Button>
                          </Group>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </QueryState>
      <Modal opened={removing !== null} onClose={() => setRemoving(null)} title="Remove the indicator">
        <Stack>
          <Text size="sm">
            {removing && `${TYPE_LABEL[removing.type]} ${removing.value} (${humanize(removing.action)})`}{' '}
            stops applying on every device it covers at their next sync. Adding it again restores it.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRemoving(null)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={remove.isPending}
              onClick={() =>
                removing &&
                remove.mutate(removing.id, {
                  onSuccess: () => setRemoving(null),
                  onError: (e) => notify.error(e, 'Could not remove the indicator'),
                })
              }
              data-testid="indicator-remove-confirm"
            >
              Remove
            </Button>
          </Group>
        </Stack>
      </Modal>
      <TaxiiFeedsCard />
      {editing && <IndicatorEditModal indicator={editing} onClose={() => setEditing(null)} />}
      {dialog === 'create' && <IndicatorCreateModal onClose={() => setDialog(null)} />}
      {dialog === 'import' && <IndicatorImportModal onClose={() => setDialog(null)} />}
    </Stack>
  );
}
