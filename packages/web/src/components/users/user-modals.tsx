import { useState } from 'react';
import {
  Alert,
  Button,
  Group,
  Modal,
  MultiSelect,
  PasswordInput,
  Select,
  Stack,
  TextInput,
} from '@mantine/core';
import type { User } from '@quell/contracts';
import { ROLES, type Role } from '@quell/core';
import { errorMessage } from '../../api/client';
import { useCreateUser, useDeviceGroups, usePatchUser } from '../../api/admin';
import { notify } from '../../lib/notify';
import { oneOf } from '../../lib/use-search-state';

export const ROLE_OPTIONS = ROLES.map((r) => ({ value: r, label: r }));

/** Device groups a principal is limited to; none selected means every group. */
export function ScopeSelect({ value, onChange }: { value: string[]; onChange: (v: string[]) => void }) {
  const groups = useDeviceGroups();
  return (
    <MultiSelect
      label="Device group scope"
      description="Empty: every device group"
      data={(groups.data?.items ?? []).map((g) => ({ value: g.id, label: g.name }))}
      value={value}
      onChange={onChange}
      clearable
      searchable
    />
  );
}

export function CreateUserModal({ onClose }: { onClose: () => void }) {
  const create = useCreateUser();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('analyst');
  const [password, setPassword] = useState('');
  const [scope, setScope] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal opened onClose={onClose} title="New user">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          create.mutate(
            {
              email: email.trim(),
              role,
              password,
              ...(name.trim() ? { name: name.trim() } : {}),
              ...(scope.length ? { deviceGroupIds: scope } : {}),
            },
            {
              onSuccess: (u) => {
                notify.success(`Created ${u.email} (${u.role}).`);
                onClose();
              },
              onError: (err) => setError(errorMessage(err)),
            },
          );
        }}
      >
        <Stack>
          <TextInput
            label="Email"
            type="email"
            required
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            data-testid="user-email"
          />
          <TextInput
            label="Name"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            maxLength={100}
          />
          <Select
            label="Role"
            data={ROLE_OPTIONS}
            value={role}
            onChange={(v) => setRole(oneOf(ROLES, v ?? '') ?? role)}
            allowDeselect={false}
            data-testid="user-role"
          />
          <PasswordInput
            label="Initial password"
            description="At least 12 characters"
            required
            minLength={12}
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            data-testid="user-password"
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
              disabled={!email.trim() || password.length < 12}
              data-testid="user-create"
            >
              Create user
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Role, scope and name in one place; the password has its own modal. */
export function EditUserModal({ user, onClose }: { user: User; onClose: () => void }) {
  const patch = usePatchUser();
  const [name, setName] = useState(user.name);
  const [role, setRole] = useState<Role>(user.role);
  const [scope, setScope] = useState<string[]>(user.deviceGroupIds);
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal opened onClose={onClose} title={`Edit ${user.email}`}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          patch.mutate(
            { id: user.id, patch: { name: name.trim() || user.name, role, deviceGroupIds: scope } },
            {
              onSuccess: () => {
                notify.success(`Saved ${user.email}.`);
                onClose();
              },
              onError: (err) => setError(errorMessage(err)),
            },
          );
        }}
      >
        <Stack>
          <TextInput
            label="Name"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            maxLength={100}
          />
          <Select
            label="Role"
            data={ROLE_OPTIONS}
            value={role}
            onChange={(v) => setRole(oneOf(ROLES, v ?? '') ?? role)}
            allowDeselect={false}
          />
          <ScopeSelect value={scope} onChange={setScope} />
          {error && <Alert color="red">{error}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={patch.isPending}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function ResetPasswordModal({ user, onClose }: { user: User; onClose: () => void }) {
  const patch = usePatchUser();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal opened onClose={onClose} title={`Reset password of ${user.email}`}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          patch.mutate(
            { id: user.id, patch: { password } },
            {
              onSuccess: () => {
                notify.success(`New password set for ${user.email}; tell them through a safe channel.`);
                onClose();
              },
              onError: (err) => setError(errorMessage(err)),
            },
          );
        }}
      >
        <Stack>
          <PasswordInput
            label="New password"
            description="At least 12 characters"
            required
            minLength={12}
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
          />
          {error && <Alert color="red">{error}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={patch.isPending} disabled={password.length < 12}>
              Set password
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
