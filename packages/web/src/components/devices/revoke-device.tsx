import { useState } from 'react';
import { Alert, Button, Group, Modal, Stack, Text, TextInput, Textarea } from '@mantine/core';
import type { DeviceDetail } from '@quell/contracts';
import { roleHas } from '@quell/core';
import { errorMessage } from '../../api/client';
import { useRevokeDevice } from '../../api/enrollment';
import { useMe } from '../../api/session';
import { notify } from '../../lib/notify';

/**
 * "Revoke agent…" on the device page (admins): the agent's connection closes and is refused from
 * then on. The hostname must be typed to confirm, as the device stops taking any action.
 */
export function RevokeDeviceButton({ d }: { d: DeviceDetail }) {
  const me = useMe();
  const revoke = useRevokeDevice(d.id);
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  // Devices seen only in alerts have no agent to revoke.
  if (!roleHas(me.role, 'devices:manage') || d.revokedAt || !d.enrolled) return null;

  const close = () => {
    setOpen(false);
    setTyped('');
    setError(null);
  };
  return (
    <>
      <Button variant="light" color="red" onClick={() => setOpen(true)} data-testid="device-revoke">
        Revoke agent…
      </Button>
      <Modal opened={open} onClose={close} title={`Revoke the agent of ${d.hostname}`}>
        <Stack>
          <Alert color="red" variant="light">
            Its connection closes now and is refused from then on: no action reaches this device any more, and
            isolation or restriction already applied stays as it is on the device. Bringing it back takes a
            new enrollment token.
          </Alert>
          <TextInput
            label={`Type ${d.hostname} to confirm`}
            value={typed}
            onChange={(e) => setTyped(e.currentTarget.value)}
            data-testid="device-revoke-hostname"
          />
          <Textarea
            label="Comment"
            description="Kept in the audit log"
            value={comment}
            onChange={(e) => setComment(e.currentTarget.value)}
            data-testid="device-revoke-comment"
          />
          {error && (
            <Alert color="red" title="Not revoked" data-testid="device-revoke-error">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button
              color="red"
              disabled={typed.trim().toLowerCase() !== d.hostname.toLowerCase()}
              loading={revoke.isPending}
              onClick={() =>
                revoke.mutate(comment.trim() ? { comment: comment.trim() } : {}, {
                  onSuccess: () => {
                    notify.success(`${d.hostname}'s agent is revoked.`);
                    close();
                  },
                  onError: (e) => setError(errorMessage(e)),
                })
              }
              data-testid="device-revoke-confirm"
            >
              Revoke
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
