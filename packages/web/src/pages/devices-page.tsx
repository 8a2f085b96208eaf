import { useState } from 'react';
import { Button, Group, Paper, Select, Stack, Switch, Text, Title } from '@mantine/core';
import type { DeviceListQuery } from '@quell/contracts';
import { DEVICE_HEALTH } from '@quell/core';
import { useDeviceGroups } from '../api/admin';
import { useDeviceList } from '../api/devices';
import { useMe } from '../api/session';
import { DebouncedInput } from '../components/debounced-input';
import { QueryState } from '../components/query-state';
import { BatchProgress } from '../components/devices/batch-progress';
import { DeviceActionMenu } from '../components/devices/device-action-menu';
import { DeviceActionModal } from '../components/devices/device-action-modal';
import type { DeviceActionType } from '../components/devices/device-action-types';
import { DeviceTable } from '../components/devices/device-table';
import { EnrollDeviceModal } from '../components/devices/enroll-device-modal';
import { humanize } from '../lib/format';
import { atLeast } from '../lib/roles';
import { oneOf, useSearchState } from '../lib/use-search-state';

const KEYS = ['health', 'group', 'q', 'enrolled'] as const;

/** Devices with their agent's health and verified isolation / restriction; filters live in the URL. */
export function DevicesPage() {
  const me = useMe();
  const admin = atLeast(me.role, 'admin');
  const [f, setF] = useSearchState(KEYS);
  const [adding, setAdding] = useState(false);
  const groups = useDeviceGroups();
  const query: DeviceListQuery = {
    health: oneOf(DEVICE_HEALTH, f.health),
    deviceGroupId: f.group || undefined,
    q: f.q || undefined,
    enrolled: f.enrolled === '1' ? true : undefined,
  };
  const list = useDeviceList(query);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [chosen, setChosen] = useState<DeviceActionType | null>(null);
  const [batchId, setBatchId] = useState<string | null>(null);
  const picked = (list.data?.items ?? []).filter((d) => selected.has(d.id));

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Devices</Title>
        <Group gap="xs">
          <Button variant="default" size="xs" onClick={() => void list.refetch()} loading={list.isRefetching}>
            Refresh
          </Button>
          {admin && (
            <Button onClick={() => setAdding(true)} data-testid="device-add">
              Add device
            </Button>
          )}
        </Group>
      </Group>
      <Paper withBorder p="sm">
        <Group gap="sm" align="flex-end" wrap="wrap">
          <DebouncedInput
            label="Search hostname"
            placeholder="web01…"
            value={f.q}
            onValue={(q) => setF({ q })}
            w={220}
            data-testid="devices-q"
          />
          <Select
            label="Health"
            placeholder="Any"
            clearable
            data={DEVICE_HEALTH.map((h) => ({ value: h, label: humanize(h) }))}
            value={f.health || null}
            onChange={(v) => setF({ health: v })}
            w={150}
            data-testid="devices-health"
          />
          <Select
            label="Device group"
            placeholder="Any"
            clearable
            data={(groups.data?.items ?? []).map((g) => ({ value: g.id, label: g.name }))}
            value={f.group || null}
            onChange={(v) => setF({ group: v })}
            w={200}
          />
          <Switch
            label="With agent only"
            checked={f.enrolled === '1'}
            onChange={(e) => setF({ enrolled: e.currentTarget.checked ? '1' : null })}
            mb={6}
          />
        </Group>
      </Paper>
      {picked.length > 0 && (
        <Group gap="sm" data-testid="devices-selection">
          <Text size="sm">{picked.length} selected</Text>
          <DeviceActionMenu label={`Act on ${picked.length} devices`} onChoose={setChosen} />
          <Button variant="subtle" size="xs" onClick={() => setSelected(new Set())}>
            Clear selection
          </Button>
        </Group>
      )}
      {batchId && <BatchProgress id={batchId} onClose={() => setBatchId(null)} />}
      <QueryState query={list} title="Could not load devices">
        {(data) => <DeviceTable devices={data.items} selected={selected} onSelect={setSelected} />}
      </QueryState>
      <Text size="xs" c="dimmed">
        Isolation and restriction show what the agent read back from the device, not what was asked.
      </Text>
      {adding && <EnrollDeviceModal onClose={() => setAdding(false)} />}
      {chosen && picked.length > 0 && (
        <DeviceActionModal
          devices={picked}
          type={chosen}
          onClose={() => setChosen(null)}
          onBatch={(b) => {
            setBatchId(b.id);
            setSelected(new Set());
          }}
        />
      )}
    </Stack>
  );
}
