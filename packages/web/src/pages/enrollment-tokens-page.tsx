import { useState } from 'react';
import { Alert, Anchor, Badge, Button, Group, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import type { EnrollmentToken } from '@quell/contracts';
import { roleHas } from '@quell/core';
import { useDeviceGroups } from '../api/admin';
import { errorMessage } from '../api/client';
import { useEnrollmentTokens, useRevokeEnrollmentToken } from '../api/enrollment';
import { useMe } from '../api/session';
import { EnrollDeviceModal } from '../components/devices/enroll-device-modal';
import { QueryState } from '../components/query-state';
import { fmtTime, relTime } from '../lib/format';
import { notify } from '../lib/notify';

const STATUS_COLOR: Record<EnrollmentToken['status'], string> = {
  active: 'teal',
  used: 'blue',
  expired: 'gray',
  revoked: 'red',
};

/** Agent enrollment tokens: create one (shown once), see which were used by which device, revoke. */
export function EnrollmentTokensPage() {
  const me = useMe();
  const mayManage = roleHas(me.role, 'devices:manage');
  return (
    <Stack>
      <Title order={2}>Enrollment tokens</Title>
      {mayManage ? (
        <TokensView />
      ) : (
        <Alert color="yellow" title="Needs admin" data-testid="needs-role">
          Enrollment tokens need the devices:manage permission (admin); you are signed in as {me.role}. Ask an
          administrator to create a token for your device.
        </Alert>
      )}
    </Stack>
  );
}

function TokensView() {
  const tokens = useEnrollmentTokens();
  const revoke = useRevokeEnrollmentToken();
  const groups = useDeviceGroups();
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<EnrollmentToken | null>(null);
  const [error, setError] = useState<string | null>(null);
  const groupName = (id: string | null) =>
    id ? (groups.data?.items.find((g) => g.id === id)?.name ?? id) : 'By group rules';

  return (
    <>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Each token enrolls one device, once, before it expires. The secret is shown only when created.
        </Text>
        <Button onClick={() => setCreating(true)} data-testid="enroll-token-new">
          New token…
        </Button>
      </Group>
      <QueryState query={tokens} title="Could not load enrollment tokens">
        {({ items }) =>
          items.length === 0 ? (
            <Text c="dimmed" data-testid="enroll-tokens-empty">
              No enrollment token yet. Create one to add a device.
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={900}>
              <Table verticalSpacing="xs">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Label</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Group</Table.Th>
                    <Table.Th>Tags</Table.Th>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>Expires</Table.Th>
                    <Table.Th>Device</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((t) => (
                    <Table.Tr
                      key={t.id}
                      data-testid="enroll-token-row"
                      data-label={t.label}
                      data-status={t.status}
                    >
                      <Table.Td>
                        <Text size="sm" fw={500}>
                          {t.label}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Badge
                          color={STATUS_COLOR[t.status]}
                          variant="light"
                          data-testid="enroll-token-status"
                        >
                          {t.status}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" data-testid="enroll-token-group">
                          {groupName(t.deviceGroupId)}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4} data-testid="enroll-token-tags">
                          {t.tags.map((tag) => (
                            <Badge key={tag} size="xs" variant="outline">
                              {tag}
                            </Badge>
                          ))}
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" title={fmtTime(t.createdAt)}>
                          {relTime(t.createdAt)} · {t.createdBy}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" title={fmtTime(t.expiresAt)}>
                          {relTime(t.expiresAt)}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        {t.usedByDeviceId ? (
                          <Anchor
                            component={Link}
                            to={`/devices/${encodeURIComponent(t.usedByDeviceId)}`}
                            size="sm"
                          >
                            {relTime(t.usedAt)}
                          </Anchor>
                        ) : (
                          '—'
                        )}
                      </Table.Td>
                      <Table.Td>
                        {t.status === 'active' && (
                          <Button
                            size="compact-xs"
                            variant="subtle"
                            color="red"
                            aria-label={`Revoke token ${t.label}`}
                            onClick={() => {
                              setError(null);
                              setRevoking(t);
                            }}
                            data-testid="enroll-token-revoke"
                          >
                            Revoke
                          </Button>
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
      {creating && <EnrollDeviceModal onClose={() => setCreating(false)} />}
      <Modal opened={revoking !== null} onClose={() => setRevoking(null)} title="Revoke the enrollment token">
        <Stack>
          <Text size="sm">
            Nobody can enroll a device with “{revoking?.label}” any more. Devices already enrolled are not
            affected; revoke those on their device page.
          </Text>
          {error && (
            <Alert color="red" data-testid="enroll-token-revoke-error">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRevoking(null)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={revoke.isPending}
              onClick={() =>
                revoking &&
                revoke.mutate(revoking.id, {
                  onSuccess: () => {
                    notify.success(`Token ${revoking.label} revoked.`);
                    setRevoking(null);
                  },
                  onError: (e) => setError(errorMessage(e)),
                })
              }
              data-testid="enroll-token-revoke-confirm"
            >
              Revoke
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
