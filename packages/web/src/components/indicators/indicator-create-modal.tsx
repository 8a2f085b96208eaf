import { useState } from 'react';
import { Alert, Button, Group, Modal, Select, Stack, Switch, TextInput, Textarea } from '@mantine/core';
import type { IndicatorCreate } from '@quell/contracts';
import {
  INDICATOR_ACTIONS,
  INDICATOR_TYPES,
  SEVERITIES,
  type IndicatorAction,
  type IndicatorType,
  type Severity,
} from '@quell/core';
import { useDeviceGroups } from '../../api/admin';
import { errorMessage } from '../../api/client';
import { useCreateIndicator } from '../../api/indicators';
import { humanize, localInputToIso } from '../../lib/format';
import { notify } from '../../lib/notify';

export const TYPE_LABEL: Record<IndicatorType, string> = {
  sha256: 'SHA-256',
  sha1: 'SHA-1',
  md5: 'MD5',
  ipv4: 'IPv4 / CIDR',
  ipv6: 'IPv6 / CIDR',
  domain: 'Domain (and subdomains)',
  url: 'URL',
};

const options = <T extends string>(values: readonly T[], label: (v: T) => string = humanize) =>
  values.map((v) => ({ value: v, label: label(v) }));

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
      generateAlert: action === 'allow' ? false : alert,
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
            data={options(INDICATOR_TYPES, (t) => TYPE_LABEL[t])}
            value={type}
            onChange={(v) => v && setType(v as IndicatorType)}
            allowDeselect={false}
            data-testid="indicator-type"
          />
          <Select
            label="Action"
            data={options(INDICATOR_ACTIONS)}
            value={action}
            onChange={(v) => v && setAction(v as IndicatorAction)}
            allowDeselect={false}
            data-testid="indicator-action"
          />
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
          <Select
            label="Severity"
            data={options(SEVERITIES)}
            value={severity}
            onChange={(v) => v && setSeverity(v as Severity)}
            allowDeselect={false}
          />
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
        <Switch
          label="Raise an alert when it matches"
          checked={action !== 'allow' && alert}
          disabled={action === 'allow'}
          onChange={(e) => setAlert(e.currentTarget.checked)}
        />
        {error && (
          <Alert color="red" data-testid="indicator-error">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            disabled={!value.trim()}
            loading={create.isPending}
            onClick={submit}
            data-testid="indicator-create-confirm"
          >
            Create
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
