import { useState } from 'react';
import { Code, Group, Modal, MultiSelect, Stack, TextInput, Textarea, Text } from '@mantine/core';
import type { Indicator, IndicatorPatch } from '@quell/contracts';
import type { IndicatorAction, Severity } from '@quell/core';
import { useDeviceGroups } from '../../api/admin';
import { errorMessage } from '../../api/client';
import { usePatchIndicator } from '../../api/indicators';
import { isoToLocalInput, localInputToIso } from '../../lib/format';
import { notify } from '../../lib/notify';
import { FormFooter } from '../form-footer';
import {
  AlertSwitch,
  IndicatorActionSelect,
  SeveritySelect,
  TYPE_LABEL,
  generateAlertFor,
} from './indicator-fields';

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

/**
 * Edits an indicator with one PATCH (audited): action, title, description, severity, alerting,
 * expiry and scope. The scope is part of what identifies an indicator, so a new scope retires this
 * one and the server answers it under a new id, in the same transaction: devices that lost it
 * drop it and devices that gained it add it from the same feed revision.
 */
export function IndicatorEditModal({ indicator: i, onClose }: { indicator: Indicator; onClose: () => void }) {
  const patch = usePatchIndicator();
  const groups = useDeviceGroups();
  const [action, setAction] = useState<IndicatorAction>(i.action);
  const [severity, setSeverity] = useState<Severity>(i.severity);
  const [title, setTitle] = useState(i.title);
  const [description, setDescription] = useState(i.description ?? '');
  const [expires, setExpires] = useState(isoToLocalInput(i.expiresAt));
  const [alert, setAlert] = useState(i.generateAlert);
  // Empty: all devices.
  const [scope, setScope] = useState<string[]>(i.deviceGroupIds);
  const [error, setError] = useState<string | null>(null);
  const scopeChanged = !sameSet(scope, i.deviceGroupIds);

  const fields = (): IndicatorPatch => {
    const expiresAt = localInputToIso(expires) ?? null;
    return {
      action,
      severity,
      title: title.trim(),
      description: description.trim() ? description.trim() : null,
      generateAlert: generateAlertFor(action, alert),
      ...(isoToLocalInput(i.expiresAt) !== expires && { expiresAt }),
      ...(scopeChanged && { deviceGroupIds: scope }),
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
      await patch.mutateAsync({ id: i.id, patch: fields() });
      notify.success(
        scopeChanged
          ? `Indicator on ${i.value} now applies to ${scopeLabel(scope)}.`
          : `Indicator on ${i.value} updated.`,
      );
      onClose();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const groupName = (id: string) => groups.data?.items.find((g) => g.id === id)?.name ?? id;
  const scopeLabel = (s: readonly string[]) =>
    s.length ? `${s.length > 1 ? 'groups' : 'group'} ${s.map(groupName).join(', ')}` : 'all devices';

  return (
    <Modal opened onClose={onClose} title="Edit the indicator" size="lg">
      <Stack>
        <Text size="sm">
          {TYPE_LABEL[i.type]} <Code>{i.value}</Code>
        </Text>
        <Group grow>
          <IndicatorActionSelect value={action} onChange={setAction} testId="indicator-edit-action" />
          <SeveritySelect value={severity} onChange={setSeverity} testId="indicator-edit-severity" />
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
        <MultiSelect
          label="Scope"
          placeholder={scope.length ? undefined : 'All devices'}
          data={(groups.data?.items ?? []).map((g) => ({ value: g.id, label: g.name }))}
          value={scope}
          onChange={setScope}
          clearable
          searchable
          description="Device groups it applies to; none: all devices. A new scope gives the indicator a new id."
          data-testid="indicator-edit-scope"
        />
        <AlertSwitch action={action} value={alert} onChange={setAlert} testId="indicator-edit-alert" />
        <FormFooter
          error={error}
          errorTitle="Not saved"
          errorTestId="indicator-edit-error"
          onCancel={onClose}
          submitLabel="Save"
          submitTestId="indicator-edit-confirm"
          pending={patch.isPending}
          onSubmit={() => void save()}
        />
      </Stack>
    </Modal>
  );
}
