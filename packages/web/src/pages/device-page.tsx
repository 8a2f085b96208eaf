import { useEffect, useRef, useState } from 'react';
import { Alert, Anchor, Breadcrumbs, Grid, Group, List, Stack, Text, Title } from '@mantine/core';
import { Link, useParams } from 'react-router';
import type { DeviceDetail } from '@quell/contracts';
import { isTerminal } from '@quell/core';
import { useDevice, useDeviceActions } from '../api/devices';
import { QueryState } from '../components/query-state';
import { DeviceActionMenu, useMayRequest } from '../components/devices/device-action-menu';
import { DeviceActionModal } from '../components/devices/device-action-modal';
import type { DeviceActionType } from '../components/devices/device-action-types';
import { DeviceActionsList } from '../components/devices/device-actions-list';
import { HealthBadge } from '../components/devices/device-badges';
import { DeviceInventory } from '../components/devices/device-inventory';
import { EnforcementCard } from '../components/devices/enforcement-card';
import { DeviceQuarantineCard } from '../components/devices/device-quarantine-card';
import { RevokeDeviceButton } from '../components/devices/revoke-device';
import { catalogById, useCatalog } from '../api/actions';
import { useMe } from '../api/session';
import { roleIn } from '../lib/roles';

/** One device: inventory, verified isolation and restriction, its actions, and the action menu. */
export function DevicePage() {
  const { id = '' } = useParams();
  // The actions query decides how often the device itself is re-read: closely while one runs.
  const [live, setLive] = useState(false);
  const device = useDevice(id, live);
  // The state an action leaves on the device (isolated, released) can land just after the last
  // close read; without one more read as the last action ends, the page showed it up to 15 s late.
  const wasLive = useRef(false);
  const { refetch } = device;
  useEffect(() => {
    if (wasLive.current && !live) void refetch();
    wasLive.current = live;
  }, [live, refetch]);
  return (
    <Stack>
      <Breadcrumbs>
        <Anchor component={Link} to="/devices" size="sm">
          Devices
        </Anchor>
        <Text size="sm">{device.data?.hostname ?? id}</Text>
      </Breadcrumbs>
      <QueryState query={device} title="Could not load the device">
        {(d) => <DeviceView d={d} onLive={setLive} />}
      </QueryState>
    </Stack>
  );
}

function DeviceView({ d, onLive }: { d: DeviceDetail; onLive: (live: boolean) => void }) {
  const actions = useDeviceActions([d.id, d.hostname]);
  const mayRequest = useMayRequest();
  const me = useMe();
  const byId = catalogById(useCatalog().data?.items);
  const mayRestore = roleIn(me.role, byId.get('restore_quarantined_file')?.requestRoles ?? []);
  const [chosen, setChosen] = useState<DeviceActionType | null>(null);
  const items = actions.data ?? [];
  const running = items.some((a) => !isTerminal(a.status));
  // Reported up so the device query follows the state changes running actions cause.
  useEffect(() => onLive(running), [running, onLive]);
  const isolated = d.isolation.state === 'on' || d.isolation.state === 'applying';
  const restricted = d.restriction.state === 'on' || d.restriction.state === 'applying';
  const button = (type: DeviceActionType, label: string, testId: string, color?: string) =>
    mayRequest(type) ? { label, testId, color, onClick: () => setChosen(type) } : undefined;

  return (
    <>
      <Group justify="space-between" align="flex-start">
        <div>
          <Group gap="xs">
            <Title order={2} data-testid="device-title">
              {d.hostname}
            </Title>
            <HealthBadge device={d} size="lg" data-testid="device-health" />
          </Group>
          <Text size="sm" c="dimmed">
            {[d.os, d.osVersion].filter(Boolean).join(' ') || 'OS not reported'} · {d.deviceGroupName}
          </Text>
        </div>
        <Group gap="xs">
          <RevokeDeviceButton d={d} />
          <DeviceActionMenu onChoose={setChosen} />
        </Group>
      </Group>
      {d.revokedAt && (
        <Alert color="red" title="Agent revoked" data-testid="device-revoked">
          Revoked {new Date(d.revokedAt).toLocaleString()}: the agent is refused and receives no action.
          Enroll it again with a new token to bring it back.
        </Alert>
      )}
      {d.issues.length > 0 && (
        <Alert color="orange" title="Degraded" data-testid="device-issues">
          <List size="sm">
            {d.issues.map((i) => (
              <List.Item key={i}>{i}</List.Item>
            ))}
          </List>
        </Alert>
      )}
      <Grid>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <EnforcementCard
            title="Network isolation"
            view={d.isolation}
            testId="isolation-state"
            evidenceLabel="Ruleset hash read back from nftables"
            button={
              isolated
                ? button('release_device', 'Release', 'release-button')
                : button('isolate_device', 'Isolate…', 'isolate-button', 'red')
            }
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <EnforcementCard
            title="App execution restriction"
            view={d.restriction}
            testId="restriction-state"
            evidenceLabel="Exec-control helper"
            button={
              restricted
                ? button('remove_app_restriction', 'Remove restriction', 'unrestrict-button')
                : button('restrict_app_execution', 'Restrict…', 'restrict-button', 'red')
            }
          />
        </Grid.Col>
      </Grid>
      <DeviceQuarantineCard deviceId={d.id} hostname={d.hostname} mayRestore={mayRestore} />
      <DeviceInventory d={d} />
      <DeviceActionsList actions={items} />
      {chosen && <DeviceActionModal devices={[d]} type={chosen} onClose={() => setChosen(null)} />}
    </>
  );
}
