import { useState } from 'react';
import { Alert, Button, Group, Modal, SegmentedControl, Stack, Switch, Text, Textarea } from '@mantine/core';
import type { ActionBatch, Device } from '@quell/contracts';
import { errorMessage } from '../../api/client';
import { useRequestActionBatch, useRequestDeviceAction } from '../../api/devices';
import { notify } from '../../lib/notify';
import { ACTION_CONSEQUENCE, ACTION_LABEL, ACTION_SLUG, type DeviceActionType } from './device-action-types';
import { ExclusionsEditor, rowErrors, toExclusion, type ExclusionRow } from './exclusions-editor';

/**
 * Confirms a device action with a comment, and for isolation the mode, exclusions and DNS/DHCP
 * allowances; for a scan, its scope. One device: one action. Several: one batch request, which the
 * server fans out (its progress is handed to `onBatch`). Errors from the API stay in the dialog.
 */
export function DeviceActionModal({
  devices,
  type,
  onClose,
  onBatch,
}: {
  devices: readonly Device[];
  type: DeviceActionType;
  onClose: () => void;
  onBatch?: (batch: ActionBatch) => void;
}) {
  const single = useRequestDeviceAction();
  const batch = useRequestActionBatch();
  const request = devices.length === 1 ? single : batch;
  const device = devices[0];
  const subject = devices.length === 1 ? (device?.hostname ?? '') : `${devices.length} devices`;
  const away = devices.filter((d) => d.health !== 'online');
  const [comment, setComment] = useState('');
  const [mode, setMode] = useState<'full' | 'selective'>('full');
  const [rows, setRows] = useState<ExclusionRow[]>([]);
  const [allowDns, setAllowDns] = useState(false);
  const [allowDhcp, setAllowDhcp] = useState(false);
  const [scope, setScope] = useState<'quick' | 'full'>('quick');
  const [error, setError] = useState<string | null>(null);
  const slug = ACTION_SLUG[type];
  const badRows = mode === 'selective' && rows.some((r) => Object.keys(rowErrors(r)).length > 0);

  const params = (): Record<string, unknown> => {
    if (type === 'run_av_scan') return { scope };
    if (type !== 'isolate_device') return {};
    return {
      mode,
      ...(mode === 'selective' && rows.length > 0 && { exclusions: rows.map(toExclusion) }),
      allowDns,
      allowDhcp,
    };
  };

  const submit = () => {
    setError(null);
    const shared = { params: params(), ...(comment.trim() && { comment: comment.trim() }) };
    const onError = (e: unknown) => setError(errorMessage(e));
    if (devices.length === 1 && device) {
      single.mutate(
        { type, target: { kind: 'device', id: device.id, label: device.hostname }, ...shared },
        {
          onSuccess: (a) => {
            notify.success(
              a.status === 'pending_approval'
                ? `${a.title} on ${device.hostname} waits for approval: ${a.approvalReason}`
                : `${a.title} on ${device.hostname} requested.`,
            );
            onClose();
          },
          onError,
        },
      );
      return;
    }
    batch.mutate(
      { type, select: { devices: devices.map((d) => d.id) }, ...shared },
      {
        onSuccess: (b) => {
          notify.success(
            `${b.title} requested on ${b.total} devices${b.skipped.length ? `; ${b.skipped.length} skipped` : ''}.`,
          );
          onBatch?.(b);
          onClose();
        },
        onError,
      },
    );
  };

  return (
    <Modal
      opened
      onClose={onClose}
      title={`${ACTION_LABEL[type].replace('…', '')}: ${subject}`}
      size={type === 'isolate_device' ? 'xl' : 'md'}
      data-testid={`${slug}-modal`}
    >
      <Stack>
        <Text size="sm">{ACTION_CONSEQUENCE[type]}</Text>
        {devices.length === 1 && device && device.health !== 'online' && (
          <Alert color="yellow" data-testid="device-offline-note">
            {device.enrolled
              ? 'The device is not online: the action waits for it to connect, until it expires.'
              : 'This device has no Quell agent: the action cannot run until one enrolls.'}
          </Alert>
        )}
        {devices.length > 1 && away.length > 0 && (
          <Alert color="yellow" data-testid="device-offline-note">
            {away.length} of {devices.length} devices are not online: their actions wait for them to connect
            (devices without an agent are skipped).
          </Alert>
        )}
        {type === 'isolate_device' && (
          <>
            <SegmentedControl
              value={mode}
              onChange={(v) => setMode(v === 'selective' ? 'selective' : 'full')}
              data={[
                { value: 'full', label: 'Full isolation' },
                { value: 'selective', label: 'Selective (keep exclusions)' },
              ]}
              data-testid="isolate-mode"
            />
            {mode === 'selective' && <ExclusionsEditor rows={rows} onChange={setRows} />}
            <Group>
              <Switch
                label="Allow DNS (port 53)"
                checked={allowDns}
                onChange={(e) => setAllowDns(e.currentTarget.checked)}
                data-testid="isolate-allow-dns"
              />
              <Switch
                label="Allow DHCP (ports 67/68)"
                checked={allowDhcp}
                onChange={(e) => setAllowDhcp(e.currentTarget.checked)}
                data-testid="isolate-allow-dhcp"
              />
            </Group>
            {badRows && (
              <Text size="sm" c="red" data-testid="exclusions-invalid">
                Fix or remove the exclusions marked above.
              </Text>
            )}
          </>
        )}
        {type === 'run_av_scan' && (
          <SegmentedControl
            value={scope}
            onChange={(v) => setScope(v === 'full' ? 'full' : 'quick')}
            data={[
              { value: 'quick', label: 'Quick (usual places)' },
              { value: 'full', label: 'Full (whole file system)' },
            ]}
            data-testid="scan-scope"
          />
        )}
        <Textarea
          label="Comment"
          description="Why; kept with the action and in the audit log"
          autosize
          minRows={2}
          maxLength={1000}
          value={comment}
          onChange={(e) => setComment(e.currentTarget.value)}
          data-testid="device-action-comment"
        />
        {error && (
          <Alert color="red" data-testid="device-action-error">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            color={type === 'isolate_device' || type === 'restrict_app_execution' ? 'red' : undefined}
            loading={request.isPending}
            disabled={badRows}
            onClick={submit}
            data-testid={`${slug}-confirm`}
          >
            {ACTION_LABEL[type].replace('…', '')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
