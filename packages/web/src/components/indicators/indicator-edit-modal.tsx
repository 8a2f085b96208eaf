import { useState } from 'react';
import {
  Alert,
  Button,
  Code,
  Group,
  Modal,
  Select,
  Stack,
  Switch,
  TextInput,
  Textarea,
  Text,
} from '@mantine/core';
import type { Indicator, IndicatorPatch } from '@quell/contracts';
import { INDICATOR_ACTIONS, SEVERITIES, type IndicatorAction, type Severity } from '@quell/core';
import { useDeviceGroups } from '../../api/admin';
import { errorMessage } from '../../api/client';
import { useCreateIndicator, usePatchIndicator, useRemoveIndicator } from '../../api/indicators';
import { humanize, isoToLocalInput, localInputToIso } from '../../lib/format';
import { notify } from '../../lib/notify';
import { TYPE_LABEL } from './indicator-create-modal';

const options = <T extends string>(values: readonly T[]) =>
  values.map((v) => ({ value: v, label: humanize(v) }));
const ALL = '';

/**
 * Edits an indicator. Action, title, description, severity, alerting and expiry change in place
 * (PATCH, audited). The scope is part of what identifies an indicator, so a new scope replaces it:
 * an indicator with the new scope is added (add_indicator) and then this one removed
 * (remove_indicator); both show in the Action Center.
 */
export function IndicatorEditModal({ indicator: i, onClose }: { indicator: Indicator; onClose: () => void }) {
  const patch = usePatchIndicator();
  const create = useCreateIndicator();
  const remove = useRemoveIndicator();
  const groups = useDeviceGroups();
  const [action, setAction] = useState<IndicatorAction>(i.action);
  const [severity, setSeverity] = useState<Severity>(i.severity);
  const [title, setTitle] = useState(i.title);
  const [description, setDescription] = useState(i.description ?? '');
  const [expires, setExpires] = useState(isoToLocalInput(i.expiresAt));
  const [alert, setAlert] = useState(i.generateAlert);
  // More than one group can come from an import; the console edits one group or all devices.
  const [scope, setScope] = useState<string>(i.deviceGroupIds[0] ?? ALL);
  const [error, setError] = useState<string | null>(null);
  const multiGroup = i.deviceGroupIds.length > 1;
  const scopeChanged = !multiGroup && scope !== (i.deviceGroupIds[0] ?? ALL);
  const busy = patch.isPending || create.isPending || remove.isPending;

  const fields = (): IndicatorPatch => {
    const expiresAt = localInputToIso(expires) ?? null;
    return {
      action,
      severity,
      title: title.trim(),
      description: description.trim() ? description.trim() : null,
      generateAlert: action === 'allow' ? false : alert,
      ...(isoToLocalInput(i.expiresAt) !== expires && { expiresAt }),
    };
  };

  const save = async () => {
    setError(null);
    if (!title.trim()) {
      setError('A title is needed: type one, or the value itself.');
      return;
    }
    if (expires && !localInputToIso(expires)) {
      setError('The expiry is not a valid date and time.');
      return;
    }
    try {
      if (!scopeChanged) {
        await patch.mutateAsync({ id: i.id, patch: fields() });
        notify.success(`Indicator on ${i.value} updated.`);
        onClose();
        return;
      }
      const f = fields();
      const expiresAt = localInputToIso(expires);
      const added = await create.mutateAsync({
        type: i.type,
        value: i.value,
        action,
        severity,
        title: f.title ?? i.title,
        ...(f.description && { description: f.description }),
        generateAlert: f.generateAlert ?? false,
        ...(expiresAt && { expiresAt }),
        ...(scope !== ALL && { deviceGroupIds: [scope] }),
        comment: `Scope of indicator ${i.id} changed in the console`,
      });
      if (added.outcome !== 'applied') {
        notify.info(
          `The indicator with the new scope waits (${humanize(added.outcome)}, action ${added.action.id}); the old one stays until you remove it.`,
          'Scope change requested',
        );
        onClose();
        return;
      }
      await remove.mutateAsync(i.id);
      notify.success(`Indicator on ${i.value} now applies to ${scopeLabel(scope)}.`);
      onClose();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const groupName = (id: string) => groups.data?.items.find((g) => g.id === id)?.name ?? id;
  const scopeLabel = (s: string) => (s === ALL ? 'all devices' : `group ${groupName(s)}`);

  return (
    <Modal opened onClose={onClose} title="Edit the indicator" size="lg">
      <Stack>
        <Text size="sm">
          {TYPE_LABEL[i.type]} <Code>{i.value}</Code>
        </Text>
        <Group grow>
          <Select
            label="Action"
            data={options(INDICATOR_ACTIONS)}
            value={action}
            onChange={(v) => v && setAction(v as IndicatorAction)}
            allowDeselect={false}
            data-testid="indicator-edit-action"
          />
          <Select
            label="Severity"
            data={options(SEVERITIES)}
            value={severity}
            onChange={(v) => v && setSeverity(v as Severity)}
            allowDeselect={false}
            data-testid="indicator-edit-severity"
          />
        </Group>
        <TextInput
          label="Title"
          required
          value={title}
          onChange={(e) => setTitle(e.currentTarget.value)}
          data-testid="indicator-edit-title"
        />
        <Textarea
          label="Description"
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
          data-testid="indicator-edit-description"
        />
        <TextInput
          label="Expires"
          description="Empty: never"
          type="datetime-local"
          value={expires}
          onChange={(e) => setExpires(e.currentTarget.value)}
          data-testid="indicator-edit-expires"
        />
        <Select
          label="Scope"
          data={[
            { value: ALL, label: 'All devices' },
            ...(groups.data?.items ?? []).map((g) => ({ value: g.id, label: g.name })),
          ]}
          value={scope}
          onChange={(v) => setScope(v ?? ALL)}
          allowDeselect={false}
          disabled={multiGroup}
          description={
            multiGroup
              ? `Applies to ${i.deviceGroupIds.length} groups; change it with the API or an import.`
              : 'A new scope replaces the indicator: one with the new scope is added, then this one removed.'
          }
          data-testid="indicator-edit-scope"
        />
        <Switch
          label="Raise an alert when it matches"
          checked={action !== 'allow' && alert}
          disabled={action === 'allow'}
          onChange={(e) => setAlert(e.currentTarget.checked)}
          data-testid="indicator-edit-alert"
        />
        {error && (
          <Alert color="red" title="Not saved" data-testid="indicator-edit-error">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button loading={busy} onClick={() => void save()} data-testid="indicator-edit-confirm">
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
