import { Select, Switch } from '@mantine/core';
import {
  INDICATOR_ACTIONS,
  SEVERITIES,
  type IndicatorAction,
  type IndicatorType,
  type Severity,
} from '@quell/core';
import { selectOptions } from '../../lib/format';

/** Fields the indicator dialogs (new, edit) and the TAXII feed dialogs have in common. */

export const TYPE_LABEL: Record<IndicatorType, string> = {
  sha256: 'SHA-256',
  sha1: 'SHA-1',
  md5: 'MD5',
  ipv4: 'IPv4 / CIDR',
  ipv6: 'IPv6 / CIDR',
  domain: 'Domain (and subdomains)',
  url: 'URL',
};

interface FieldProps<T> {
  value: T;
  onChange: (v: T) => void;
  label?: string;
  testId?: string;
}

export function IndicatorActionSelect({
  value,
  onChange,
  label = 'Action',
  testId,
}: FieldProps<IndicatorAction>) {
  return (
    <Select
      label={label}
      data={selectOptions(INDICATOR_ACTIONS)}
      value={value}
      onChange={(v) => v && onChange(v as IndicatorAction)}
      allowDeselect={false}
      data-testid={testId}
    />
  );
}

export function SeveritySelect({ value, onChange, label = 'Severity', testId }: FieldProps<Severity>) {
  return (
    <Select
      label={label}
      data={selectOptions(SEVERITIES)}
      value={value}
      onChange={(v) => v && onChange(v as Severity)}
      allowDeselect={false}
      data-testid={testId}
    />
  );
}

/** An allow indicator never raises an alert, whatever the switch said before the action changed. */
export const generateAlertFor = (action: IndicatorAction, alert: boolean): boolean =>
  action === 'allow' ? false : alert;

export function AlertSwitch({
  action,
  value,
  onChange,
  testId,
}: {
  action: IndicatorAction;
  value: boolean;
  onChange: (v: boolean) => void;
  testId?: string;
}) {
  return (
    <Switch
      label="Raise an alert when it matches"
      checked={generateAlertFor(action, value)}
      disabled={action === 'allow'}
      onChange={(e) => onChange(e.currentTarget.checked)}
      data-testid={testId}
    />
  );
}
