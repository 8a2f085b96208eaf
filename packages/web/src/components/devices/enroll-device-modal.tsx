import { useState } from 'react';
import {
  Alert,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  NumberInput,
  Select,
  Stack,
  TagsInput,
  Text,
  TextInput,
} from '@mantine/core';
import type { EnrollmentTokenCreated } from '@quell/contracts';
import { useDeviceGroups } from '../../api/admin';
import { errorMessage } from '../../api/client';
import { useCreateEnrollmentToken } from '../../api/devices';

/** The command an operator runs on the device, exactly as `quell tokens enroll create` prints it. */
export function enrollCommand(t: EnrollmentTokenCreated): string {
  return `quell agent enroll --server ${t.agentUrl} --token ${t.token}`;
}

function Copyable({ value, testId }: { value: string; testId: string }) {
  return (
    <Group gap="xs" wrap="nowrap" align="flex-start">
      <Code block style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }} data-testid={testId}>
        {value}
      </Code>
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Button size="xs" variant="light" onClick={copy} data-testid={`${testId}-copy`}>
            {copied ? 'Copied' : 'Copy'}
          </Button>
        )}
      </CopyButton>
    </Group>
  );
}

function Created({ t, onClose }: { t: EnrollmentTokenCreated; onClose: () => void }) {
  return (
    <Stack>
      <Alert color="orange" title="Copy it now">
        The token is shown once, enrolls one device and expires {new Date(t.expiresAt).toLocaleString()}.
      </Alert>
      <Text size="sm" fw={500}>
        On the device, as root (see docs/devices.md for installing the agent):
      </Text>
      <Copyable value={enrollCommand(t)} testId="enroll-command" />
      <Text size="sm" fw={500}>
        Token
      </Text>
      <Copyable value={t.token} testId="enroll-token" />
      <Text size="xs" c="dimmed">
        The token pins the agent listener&apos;s certificate, SHA-256{' '}
        <span className="mono">{t.certSha256}</span>.
      </Text>
      <Group justify="flex-end">
        <Button onClick={onClose} data-testid="enroll-done">
          Done
        </Button>
      </Group>
    </Stack>
  );
}

/** "Add device": creates a single-use enrollment token and shows it with the enroll command, once. */
export function EnrollDeviceModal({ onClose }: { onClose: () => void }) {
  const create = useCreateEnrollmentToken();
  const groups = useDeviceGroups();
  const [label, setLabel] = useState('');
  const [hours, setHours] = useState<number | ''>(24);
  const [group, setGroup] = useState<string | null>(null);
  const [tags, setTags] = useState<string[]>([]);
  const [created, setCreated] = useState<EnrollmentTokenCreated | null>(null);
  const [error, setError] = useState<string | null>(null);
  const groupOptions = (groups.data?.items ?? [])
    .filter((g) => !g.builtIn)
    .map((g) => ({ value: g.id, label: g.name }));

  return (
    <Modal opened onClose={onClose} title="Add a device" size="lg" closeOnClickOutside={!created}>
      {created ? (
        <Created t={created} onClose={onClose} />
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setError(null);
            create.mutate(
              {
                label: label.trim(),
                ...(typeof hours === 'number' && { expiresInHours: hours }),
                ...(group && { deviceGroupId: group }),
                ...(tags.length > 0 && { tags }),
              },
              { onSuccess: setCreated, onError: (err) => setError(errorMessage(err)) },
            );
          }}
        >
          <Stack>
            <Text size="sm" c="dimmed">
              Devices join with the Quell agent and a single-use enrollment token. Install the agent on the
              device, then run the command shown next.
            </Text>
            <TextInput
              label="Label"
              description="What or where the token is for"
              required
              maxLength={100}
              value={label}
              onChange={(e) => setLabel(e.currentTarget.value)}
              data-testid="enroll-label"
            />
            <NumberInput
              label="Expires in hours"
              min={1}
              max={720}
              value={hours}
              onChange={(v) => setHours(typeof v === 'number' ? v : '')}
              data-testid="enroll-hours"
            />
            <Select
              label="Device group"
              description="Empty: the group rules decide"
              clearable
              data={groupOptions}
              value={group}
              onChange={setGroup}
              data-testid="enroll-group"
            />
            <TagsInput
              label="Tags"
              description="Given to the device; press Enter after each"
              value={tags}
              onChange={setTags}
              data-testid="enroll-tags"
            />
            {error && (
              <Alert color="red" title="No token created" data-testid="enroll-error">
                {error}
              </Alert>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button
                type="submit"
                loading={create.isPending}
                disabled={!label.trim()}
                data-testid="enroll-create"
              >
                Create token
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
