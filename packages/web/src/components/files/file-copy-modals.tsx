import { useState } from 'react';
import { Alert, Button, Group, Modal, PasswordInput, Select, Stack, Text, Textarea } from '@mantine/core';
import type { FilePage } from '@quell/contracts';
import { errorMessage } from '../../api/client';
import { useCollectFile, useDownloadFile } from '../../api/files';
import { notify } from '../../lib/notify';

/** The server refuses shorter zip passwords; the dialog says so before asking. */
export const MIN_ZIP_PASSWORD = 10;

/** Password (twice is not asked: the user types it again to open the zip) and reason, then the zip. */
export function FileDownloadModal({ sha256, onClose }: { sha256: string; onClose: () => void }) {
  const download = useDownloadFile(sha256);
  const [password, setPassword] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const short = password.length > 0 && password.length < MIN_ZIP_PASSWORD;
  const ready = password.length >= MIN_ZIP_PASSWORD && reason.trim().length > 0;
  const submit = () => {
    setError(null);
    download.mutate(
      { password, reason: reason.trim() },
      {
        onSuccess: () => {
          notify.success('The zip is downloading; open it with the password you chose.');
          onClose();
        },
        onError: (e) => setError(errorMessage(e)),
      },
    );
  };
  return (
    <Modal opened onClose={onClose} title="Download the file">
      <Stack>
        <Text size="sm">
          The copy comes as an AES-256 encrypted zip. The download and its reason are kept in the audit log.
        </Text>
        <PasswordInput
          label="Zip password"
          description={`${MIN_ZIP_PASSWORD} characters at least`}
          value={password}
          error={short ? `At least ${MIN_ZIP_PASSWORD} characters` : undefined}
          onChange={(e) => setPassword(e.currentTarget.value)}
          data-testid="file-download-password"
        />
        <Textarea
          label="Reason"
          required
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          data-testid="file-download-reason"
        />
        {error && <Alert color="red">{error}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            disabled={!ready}
            loading={download.isPending}
            onClick={submit}
            data-testid="file-download-confirm"
          >
            Download
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Collect a copy from one of the devices that saw the file (its path there is the agent's to pick). */
export function FileCollectModal({ page, onClose }: { page: FilePage; onClose: () => void }) {
  const collect = useCollectFile(page.file.sha256);
  const [device, setDevice] = useState<string | null>(page.devices[0]?.deviceId ?? null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = () => {
    if (!device) return;
    setError(null);
    collect.mutate(
      { device, ...(comment.trim() && { comment: comment.trim() }) },
      {
        onSuccess: (a) => {
          notify.success(`${a.title} requested (${a.status}).`);
          onClose();
        },
        onError: (e) => setError(errorMessage(e)),
      },
    );
  };
  return (
    <Modal opened onClose={onClose} title="Collect the file">
      <Stack>
        <Select
          label="From device"
          data={page.devices.map((d) => ({ value: d.deviceId, label: d.hostname }))}
          value={device}
          onChange={setDevice}
          allowDeselect={false}
          data-testid="file-collect-device"
        />
        <Textarea label="Comment" value={comment} onChange={(e) => setComment(e.currentTarget.value)} />
        {error && <Alert color="red">{error}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            disabled={!device}
            loading={collect.isPending}
            onClick={submit}
            data-testid="file-collect-confirm"
          >
            Collect
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
