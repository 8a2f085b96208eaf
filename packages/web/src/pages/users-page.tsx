import { useState } from 'react';
import { Badge, Button, Group, Menu, Paper, Stack, Table, Text, Title } from '@mantine/core';
import type { User } from '@quell/contracts';
import { useDeviceGroups, usePatchUser, useUsers } from '../api/admin';
import { useMe } from '../api/session';
import { NeedsRole } from '../components/needs-role';
import { QueryState } from '../components/query-state';
import { CreateUserModal, EditUserModal, ResetPasswordModal } from '../components/users/user-modals';
import { TokensPanel } from '../components/users/tokens-panel';
import { fmtTime, relTime } from '../lib/format';
import { notify } from '../lib/notify';

/** Users and API tokens; admins only. */
export function UsersPage() {
  return (
    <Stack>
      <Title order={2}>Users & tokens</Title>
      <NeedsRole min="admin" what="Managing users and API tokens">
        <UsersPanel />
        <TokensPanel />
      </NeedsRole>
    </Stack>
  );
}

type Dialog = { kind: 'create' } | { kind: 'edit' | 'password'; user: User } | null;

function UsersPanel() {
  const me = useMe();
  const users = useUsers(true);
  const groups = useDeviceGroups();
  const patch = usePatchUser();
  const [dialog, setDialog] = useState<Dialog>(null);
  const groupName = (id: string) => groups.data?.items.find((g) => g.id === id)?.name ?? id;

  const toggleDisabled = (u: User) =>
    patch.mutate(
      { id: u.id, patch: { disabled: !u.disabled } },
      {
        onSuccess: () => notify.success(`${u.email} ${u.disabled ? 'enabled' : 'disabled'}.`),
        onError: (e) => notify.error(e, `Could not change ${u.email}`),
      },
    );

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={3}>Users</Title>
        <Button onClick={() => setDialog({ kind: 'create' })} data-testid="user-new">
          New user
        </Button>
      </Group>
      <QueryState query={users}>
        {(data) => (
          <Paper withBorder>
            <Table.ScrollContainer minWidth={850}>
              <Table verticalSpacing="xs">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>User</Table.Th>
                    <Table.Th>Role</Table.Th>
                    <Table.Th>Scope</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>Last login</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.items.map((u) => (
                    <Table.Tr
                      key={u.id}
                      data-testid="user-row"
                      style={u.disabled ? { opacity: 0.6 } : undefined}
                    >
                      <Table.Td>
                        <Text size="sm" fw={500}>
                          {u.email}
                        </Text>
                        <Text size="xs" c="dimmed">
                          {u.name}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Badge variant="light">{u.role}</Badge>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">
                          {u.deviceGroupIds.length
                            ? u.deviceGroupIds.map(groupName).join(', ')
                            : 'All groups'}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        {u.disabled ? (
                          <Badge color="gray">disabled</Badge>
                        ) : (
                          <Badge color="teal" variant="light">
                            active
                          </Badge>
                        )}
                      </Table.Td>
                      <Table.Td>{fmtTime(u.createdAt)}</Table.Td>
                      <Table.Td>{u.lastLoginAt ? relTime(u.lastLoginAt) : 'never'}</Table.Td>
                      <Table.Td ta="right">
                        <Menu position="bottom-end">
                          <Menu.Target>
                            <Button size="compact-xs" variant="subtle">
                              Manage
                            </Button>
                          </Menu.Target>
                          <Menu.Dropdown>
                            <Menu.Item onClick={() => setDialog({ kind: 'edit', user: u })}>
                              Edit role, scope, name
                            </Menu.Item>
                            <Menu.Item onClick={() => setDialog({ kind: 'password', user: u })}>
                              Reset password
                            </Menu.Item>
                            <Menu.Item
                              color={u.disabled ? undefined : 'red'}
                              disabled={u.id === me.id}
                              onClick={() => toggleDisabled(u)}
                            >
                              {u.disabled ? 'Enable' : 'Disable'}
                            </Menu.Item>
                          </Menu.Dropdown>
                        </Menu>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Paper>
        )}
      </QueryState>
      {dialog?.kind === 'create' && <CreateUserModal onClose={() => setDialog(null)} />}
      {dialog?.kind === 'edit' && <EditUserModal user={dialog.user} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'password' && (
        <ResetPasswordModal user={dialog.user} onClose={() => setDialog(null)} />
      )}
    </Stack>
  );
}
