import { useState } from 'react';
import { Group, Modal, Select, Stack, TextInput, Textarea } from '@mantine/core';
import type { IndicatorCreate } from '@quell/contracts';
import { INDICATOR_TYPES, type IndicatorAction, type IndicatorType, type Severity } from '@quell/core';
import { useDeviceGroups } from '../../api/admin';
import { errorMessage } from '../../api/client';
import { useCreateIndicator } from '../../api/indicators';
import { humanize, localInputToIso, selectOptions } from '../../lib/format';
import { notify } from '../../lib/notify';
import { FormFooter } from '../form-footer';
import {
  AlertSwitch,
  IndicatorActionSelect,
  SeveritySelect,
  TYPE_LABEL,
  generateAlertFor,
} from './indicator-fields';

/** A new indicator; the server validates and canonicalises the value and says what was wrong. */
export function IndicatorCreateModal({ onClose }: { onClose: () => void }) {
  const create = useCreateIndicator();
  const groups = useDeviceGroups();
  const [type, setType] = useState<IndicatorType>('sha256');
  const [value, setValue] = useState('');
  const [action, setAction] = useState<IndicatorAction>('block');
  const [severity, setSeverity] = useState<Severity>('medium');
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [expires, setExpires] = useState('');
  const [alert, setAlert] = useState(true);
  const [groupIds, setGroupIds] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = () => {
    setError(null);
    const expiresAt = localInputToIso(expires);
    const body: IndicatorCreate = {
      type,
      value: value.trim(),
      action,
      severity,
      generateAlert: generateAlertFor(action, alert),
      ...(title.trim() && { title: title.trim() }),
      ...(description.trim() && { description: description.trim() }),
      ...(expiresAt && { expiresAt }),
      ...(groupIds && { deviceGroupIds: [groupIds] }),
    };
    create.mutate(body, {
      onSuccess: (r) => {
        notify.success(
          r.outcome === 'applied'
            ? `Indicator on ${r.indicator?.value ?? body.value} is in force.`
            : `Indicator requested as ${r.action.id} (${humanize(r.outcome)}).`,
        );
        onClose();
      },
      onError: (e) => setError(errorMessage(e)),
    });
  };

  return (
    <Modal opened onClose={onClose} title="New indicator" size="lg">
      <Stack>
        <Group grow>
          <Select
            label="Type"
            data={selectOptions(INDICATOR_TYPES, (t) => TYPE_LABEL[t])}
            value={type}
            onChange={(v) => v && setType(v as IndicatorType)}
            allowDeselect={false}
            data-testid="indicator-type"
          />
          <IndicatorActionSelect value={action} onChange={setAction} testId="indicator-action" />
        </Group>
        <TextInput
          label="Value"
          required
          value={value}
          onChange={(e) => setValue(e.currentTarget.value)}
          data-testid="indicator-value"
        />
        <TextInput
          label="Title"
          placeholder="Defaults to the value"
          value={title}
          onChange={(e) => setTitle(e.currentTarget.value)}
          data-testid="indicator-title"
        />
        <Textarea
          label="Description"
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
        />
        <Group grow>
          <SeveritySelect value={severity} onChange={setSeverity} />
          <TextInput
            label="Expires"
            type="datetime-local"
            value={expires}
            onChange={(e) => setExpires(e.currentTarget.value)}
          />
        </Group>
        <Select
          label="Scope"
          placeholder="All devices"
          clearable
          data={(groups.data?.items ?? []).map((g) => ({ value: g.id, label: g.name }))}
          value={groupIds}
          onChange={setGroupIds}
        />
        <AlertSwitch action={action} value={alert} onChange={setAlert} />
        <FormFooter
          error={error}
          errorTestId="indicator-error"
          onCancel={onClose}
          submitLabel="Create"
          submitTestId="indicator-create-confirm"
          pending={create.isPending}
          disabled={!value.trim()}
          onSubmit={submit}
        />
      </Stack>
    </Modal>
  );
}
