import { useState } from 'react';
import { Badge, Button, Group, Menu, Modal, Paper, Stack, Table, Text, Title } from '@mantine/core';
import type { DeviceGroup } from '@quell/contracts';
import { AUTOMATION_LEVEL_TITLES } from '@quell/core';
import { useDeleteDeviceGroup, useDeviceGroups, useDevices } from '../api/admin';
import { useMe } from '../api/session';
import { QueryState } from '../components/query-state';
import { DeviceGroupModal } from '../components/device-groups/device-group-modal';
import { GroupPreview } from '../components/device-groups/group-preview';
import { fmtTime, relTime } from '../lib/format';
import { notify } from '../lib/notify';
import { atLeast } from '../lib/roles';

function ruleText(g: DeviceGroup): string {
  if (g.builtIn) return 'Every device no other group matches';
  const parts = [
    g.rule.namePattern && `hostname ${g.rule.namePattern}`,
    g.rule.os && `OS ${g.rule.os}*`,
    g.rule.tags?.length && `tags ${g.rule.tags.join(', ')}`,
  ].filter(Boolean);
  return parts.length ? parts.join(' and ') : 'Matches every device';
}

/** Device groups by rank with their automation level, the preview box and the devices seen. */
export function DeviceGroupsPage() {
  const me = useMe();
  const admin = atLeast(me.role, 'admin');
  const groups = useDeviceGroups();
  const devices = useDevices();
  const del = useDeleteDeviceGroup();
  const [editing, setEditing] = useState<DeviceGroup | 'new' | null>(null);
  const [deleting, setDeleting] = useState<DeviceGroup | null>(null);
  const items = groups.data?.items ?? [];
  const nextRank = Math.max(0, ...items.filter((g) => !g.builtIn).map((g) => g.rank)) + 10;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Device groups</Title>
        {admin && (
          <Button onClick={() => setEditing('new')} data-testid="group-new">
            New group
          </Button>
        )}
      </Group>
      <Text size="sm" c="dimmed">
        A device belongs to the first group, by rank, whose rule it matches. The automation level decides
        which remediations run without approval.
      </Text>
      <QueryState query={groups}>
        {(data) => (
          <Paper withBorder>
            <Table.ScrollContainer minWidth={800}>
              <Table verticalSpacing="xs">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Rank</Table.Th>
                    <Table.Th>Group</Table.Th>
                    <Table.Th>Rule</Table.Th>
                    <Table.Th>Automation level</Table.Th>
                    <Table.Th ta="right">Devices</Table.Th>
                    {admin && <Table.Th />}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.items.map((g) => (
                    <Table.Tr key={g.id} data-testid="group-row">
                      <Table.Td>{g.builtIn ? 'last' : g.rank}</Table.Td>
                      <Table.Td>
                        <Text size="sm" fw={500}>
                          {g.name}{' '}
                          {g.builtIn && (
                            <Badge size="xs" variant="light" color="gray">
                              built-in
                            </Badge>
                          )}
                        </Text>
                        {g.description && (
                          <Text size="xs" c="dimmed">
                            {g.description}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{ruleText(g)}</Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{AUTOMATION_LEVEL_TITLES[g.automationLevel]}</Text>
                      </Table.Td>
                      <Table.Td ta="right">{g.deviceCount}</Table.Td>
                      {admin && (
                        <Table.Td ta="right">
                          <Menu position="bottom-end">
                            <Menu.Target>
                              <Button size="compact-xs" variant="subtle">
                                Manage
                              </Button>
                            </Menu.Target>
                            <Menu.Dropdown>
                              <Menu.Item onClick={() => setEditing(g)}>
                                {g.builtIn ? 'Change automation level' : 'Edit'}
                              </Menu.Item>
                              {!g.builtIn && (
                                <Menu.Item color="red" onClick={() => setDeleting(g)}>
                                  Delete
                                </Menu.Item>
                              )}
                            </Menu.Dropdown>
                          </Menu>
                        </Table.Td>
                      )}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Paper>
        )}
      </QueryState>
      <GroupPreview />
      <Title order={3}>Devices</Title>
      <QueryState query={devices}>
        {(data) => (
          <Paper withBorder>
            {data.items.length === 0 ? (
              <Text c="dimmed" p="md">
                No devices seen yet; they appear when alerts or agents name them.
              </Text>
            ) : (
              <Table.ScrollContainer minWidth={700}>
                <Table verticalSpacing="xs">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Hostname</Table.Th>
                      <Table.Th>OS</Table.Th>
                      <Table.Th>Tags</Table.Th>
                      <Table.Th>Group</Table.Th>
                      <Table.Th>Last seen</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {data.items.map((d) => (
                      <Table.Tr key={d.id} data-testid="device-row">
                        <Table.Td>{d.hostname}</Table.Td>
                        <Table.Td>{d.os ?? '—'}</Table.Td>
                        <Table.Td>
                          {d.tags.map((t) => (
                            <Badge key={t} size="xs" variant="outline" mr={4} tt="none">
                              {t}
                            </Badge>
                          ))}
                        </Table.Td>
                        <Table.Td>{d.deviceGroupName}</Table.Td>
                        <Table.Td title={fmtTime(d.lastSeenAt)}>{relTime(d.lastSeenAt)}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
          </Paper>
        )}
      </QueryState>
      {editing && (
        <DeviceGroupModal
          group={editing === 'new' ? null : editing}
          nextRank={nextRank}
          onClose={() => setEditing(null)}
        />
      )}
      <Modal
        opened={deleting !== null}
        onClose={() => setDeleting(null)}
        title={`Delete ${deleting?.name ?? ''}?`}
      >
        <Stack>
          <Text size="sm">
            Its {deleting?.deviceCount ?? 0} device(s) fall to the next group whose rule matches, or to the
            ungrouped default.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleting(null)}>
              Keep
            </Button>
            <Button
              color="red"
              loading={del.isPending}
              onClick={() =>
                deleting &&
                del.mutate(deleting.id, {
                  onSuccess: () => {
                    notify.success(`Deleted ${deleting.name}.`);
                    setDeleting(null);
                  },
                })
              }
            >
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
