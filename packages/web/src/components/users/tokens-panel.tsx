import { useState } from 'react';
import {
  Alert,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  NumberInput,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import type { ApiToken, ApiTokenCreated } from '@quell/contracts';
import { ROLES, type Role } from '@quell/core';
import { errorMessage } from '../../api/client';
import { useCreateToken, useRevokeToken, useTokens } from '../../api/admin';
import { fmtTime, relTime } from '../../lib/format';
import { notify } from '../../lib/notify';
import { oneOf } from '../../lib/use-search-state';
import { QueryState } from '../query-state';
import { ROLE_OPTIONS, ScopeSelect } from './user-modals';

/** API tokens for automation: the secret is shown once, at creation. */
export function TokensPanel() {
  const tokens = useTokens(true);
  const revoke = useRevokeToken();
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={3}>API tokens</Title>
        <Button variant="light" onClick={() => setCreating(true)} data-testid="token-new">
          New token
        </Button>
      </Group>
      <QueryState query={tokens}>
        {(data) => (
          <Paper withBorder>
            {data.items.length === 0 ? (
              <Text c="dimmed" p="md">
                No API tokens.
              </Text>
            ) : (
              <Table.ScrollContainer minWidth={800}>
                <Table verticalSpacing="xs">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Name</Table.Th>
                      <Table.Th>Role</Table.Th>
                      <Table.Th>Scope</Table.Th>
                      <Table.Th>Created</Table.Th>
                      <Table.Th>Expires</Table.Th>
                      <Table.Th>Last used</Table.Th>
                      <Table.Th />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {data.items.map((t) => (
                      <Table.Tr key={t.id} data-testid="token-row">
                        <Table.Td>{t.name}</Table.Td>
                        <Table.Td>{t.role}</Table.Td>
                        <Table.Td>
                          {t.deviceGroupIds.length ? `${t.deviceGroupIds.length} group(s)` : 'All groups'}
                        </Table.Td>
                        <Table.Td>
                          {fmtTime(t.createdAt)} by {t.createdBy}
                        </Table.Td>
                        <Table.Td>{t.expiresAt ? fmtTime(t.expiresAt) : 'Never'}</Table.Td>
                        <Table.Td>{relTime(t.lastUsedAt)}</Table.Td>
                        <Table.Td ta="right">
                          <Button
                            size="compact-xs"
                            color="red"
                            variant="subtle"
                            onClick={() => setRevoking(t)}
                          >
                            Revoke
                          </Button>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
          </Paper>
        )}
      </QueryState>
      {creating && <CreateTokenModal onClose={() => setCreating(false)} />}
      <Modal
        opened={revoking !== null}
        onClose={() => setRevoking(null)}
        title={`Revoke ${revoking?.name ?? ''}?`}
      >
        <Stack>
          <Text size="sm">Anything using this token stops working at once.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRevoking(null)}>
              Keep
            </Button>
            <Button
              color="red"
              loading={revoke.isPending}
              onClick={() =>
                revoking &&
                revoke.mutate(revoking.id, {
                  onSuccess: () => {
                    notify.success(`Revoked ${revoking.name}.`);
                    setRevoking(null);
                  },
                })
              }
            >
              Revoke
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function CreateTokenModal({ onClose }: { onClose: () => void }) {
  const create = useCreateToken();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('analyst');
  const [days, setDays] = useState<number | ''>(90);
  const [scope, setScope] = useState<string[]>([]);
  const [created, setCreated] = useState<ApiTokenCreated | null>(null);
  const [error, setError] = useState<string | null>(null);

  if (created) {
    return (
      <Modal opened onClose={onClose} title={`Token ${created.name} created`} closeOnClickOutside={false}>
        <Stack>
          <Alert color="orange" title="Copy it now">
            This secret is shown once and cannot be retrieved later.
          </Alert>
          <Code block data-testid="token-secret">
            {created.secret}
          </Code>
          <Group justify="flex-end">
            <CopyButton value={created.secret}>
              {({ copied, copy }) => (
                <Button variant="light" onClick={copy}>
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      </Modal>
    );
  }
  return (
    <Modal opened onClose={onClose} title="New API token">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          create.mutate(
            {
              name: name.trim(),
              role,
              ...(typeof days === 'number' ? { expiresInDays: days } : {}),
              ...(scope.length ? { deviceGroupIds: scope } : {}),
            },
            {
              onSuccess: (t) => {
                setCreated(t);
                notify.success(`Token ${t.name} created.`);
              },
              onError: (err) => setError(errorMessage(err)),
            },
          );
        }}
      >
        <Stack>
          <TextInput
            label="Name"
            required
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            maxLength={100}
            placeholder="siem-forwarder"
            data-testid="token-name"
          />
          <Select
            label="Role"
            data={ROLE_OPTIONS}
            value={role}
            onChange={(v) => setRole(oneOf(ROLES, v ?? '') ?? role)}
            allowDeselect={false}
          />
          <NumberInput
            label="Expires in days"
            description="Empty: never"
            min={1}
            max={3650}
            value={days}
            onChange={(v) => setDays(typeof v === 'number' ? v : '')}
          />
          <ScopeSelect value={scope} onChange={setScope} />
          {error && <Alert color="red">{error}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button
              type="submit"
              loading={create.isPending}
              disabled={!name.trim()}
              data-testid="token-create"
            >
              Create token
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
