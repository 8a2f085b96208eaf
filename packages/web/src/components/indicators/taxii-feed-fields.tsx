import { useState } from 'react';
import { Checkbox, Group, NumberInput, Select, Stack, Switch, TextInput } from '@mantine/core';
import { TAXII_AUTH_KINDS } from '@quell/contracts';
import { errorMessage } from '../../api/client';
import { selectOptions } from '../../lib/format';
import { IndicatorActionSelect, SeveritySelect } from './indicator-fields';
import {
  FEED_URL_KINDS,
  feedFieldErrors,
  type FeedUrlKind,
  type TaxiiAuthKind,
  type TaxiiFeedFieldErrors,
  type TaxiiFeedValues,
} from './taxii-feed-values';

const AUTH_LABEL: Record<TaxiiAuthKind, string> = {
  none: 'None',
  basic: 'Basic (user name + password)',
  bearer: 'Bearer token',
};
const URL_KIND_LABEL: Record<FeedUrlKind, string> = { apiRoot: 'API root', discovery: 'Discovery' };

/**
 * The state of a feed dialog: the values, the API's last refusal and the fields it named. A
 * field's mark goes when the user changes that field; the refusal stays until the next submit.
 */
export function useTaxiiFeedForm(initial: TaxiiFeedValues) {
  const [values, setValues] = useState<TaxiiFeedValues>(initial);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<TaxiiFeedFieldErrors>({});
  return {
    values,
    error,
    fieldErrors,
    change: (c: Partial<TaxiiFeedValues>) => {
      setValues((v) => ({ ...v, ...c }));
      setFieldErrors((errs) => {
        const left = { ...errs };
        for (const k of Object.keys(c) as (keyof TaxiiFeedValues)[]) delete left[k];
        return left;
      });
    },
    submitting: () => {
      setError(null);
      setFieldErrors({});
    },
    refused: (e: unknown) => {
      setError(errorMessage(e));
      setFieldErrors(feedFieldErrors(e));
    },
  };
}

export interface TaxiiFeedFieldsProps {
  values: TaxiiFeedValues;
  onChange: (change: Partial<TaxiiFeedValues>) => void;
  /** What the API said about each field at the last submit. */
  errors: TaxiiFeedFieldErrors;
  /** An existing feed: also whether it pulls on schedule, and a reset of its cursor. */
  edit?: boolean;
}

/**
 * The settings of a TAXII 2.1 feed, shared by the add and edit dialogs. The password or token is
 * never typed here: the feed names an environment variable of the server that holds it, so it
 * stays out of the database and the audit log.
 */
export function TaxiiFeedFields({ values: v, onChange, errors, edit = false }: TaxiiFeedFieldsProps) {
  return (
    <Stack>
      <TextInput
        label="Name"
        required
        description="Letters, digits, space, dot, dash, underscore"
        value={v.name}
        onChange={(e) => onChange({ name: e.currentTarget.value })}
        error={errors.name}
        data-testid="taxii-feed-name"
      />
      <Group grow align="flex-start">
        <Select
          label="URL kind"
          data={selectOptions(FEED_URL_KINDS, (k) => URL_KIND_LABEL[k])}
          value={v.urlKind}
          onChange={(k) => k && onChange({ urlKind: k as FeedUrlKind })}
          allowDeselect={false}
          data-testid="taxii-feed-url-kind"
        />
        <TextInput
          label="URL"
          required
          placeholder="https://taxii.example/api1/"
          value={v.url}
          onChange={(e) => onChange({ url: e.currentTarget.value })}
          error={errors.url}
          data-testid="taxii-feed-url"
        />
      </Group>
      <TextInput
        label="Collection id"
        required
        value={v.collectionId}
        onChange={(e) => onChange({ collectionId: e.currentTarget.value })}
        error={errors.collectionId}
        data-testid="taxii-feed-collection"
      />
      <Select
        label="Authentication"
        data={selectOptions(TAXII_AUTH_KINDS, (k) => AUTH_LABEL[k])}
        value={v.authKind}
        onChange={(k) => k && onChange({ authKind: k as TaxiiAuthKind })}
        allowDeselect={false}
        error={errors.authKind}
        data-testid="taxii-feed-auth"
      />
      {v.authKind !== 'none' && (
        <Group grow align="flex-start">
          {v.authKind === 'basic' && (
            <TextInput
              label="User name"
              value={v.username}
              onChange={(e) => onChange({ username: e.currentTarget.value })}
              error={errors.username}
              data-testid="taxii-feed-username"
            />
          )}
          <TextInput
            label="Secret environment variable"
            description="The NAME of a server environment variable holding the password or token"
            placeholder="TAXII_PASSWORD"
            value={v.secretEnv}
            onChange={(e) => onChange({ secretEnv: e.currentTarget.value })}
            error={errors.secretEnv}
            data-testid="taxii-feed-secret-env"
          />
        </Group>
      )}
      <Group grow align="flex-start">
        <IndicatorActionSelect
          label="Action for indicators without one"
          value={v.defaultAction}
          onChange={(defaultAction) => onChange({ defaultAction })}
          testId="taxii-feed-default-action"
        />
        <SeveritySelect
          label="Severity for indicators without one"
          value={v.defaultSeverity}
          onChange={(defaultSeverity) => onChange({ defaultSeverity })}
          testId="taxii-feed-default-severity"
        />
        <NumberInput
          label="Pull every (minutes)"
          min={5}
          max={10_080}
          // Not clamped as the user types or leaves the field: the server says what is allowed.
          clampBehavior="none"
          value={v.interval}
          onChange={(n) => onChange({ interval: typeof n === 'number' ? n : '' })}
          error={errors.interval}
          data-testid="taxii-feed-interval"
        />
      </Group>
      {edit && (
        <Group grow align="flex-start">
          <Switch
            label="Pull on schedule"
            description="Off: paused; Pull now still works"
            checked={v.enabled}
            onChange={(e) => onChange({ enabled: e.currentTarget.checked })}
            error={errors.enabled}
            data-testid="taxii-feed-enabled"
          />
          <Checkbox
            label="Pull everything again"
            description="The next pull reads the whole collection, not only what was added since the last"
            checked={v.resetCursor}
            onChange={(e) => onChange({ resetCursor: e.currentTarget.checked })}
            data-testid="taxii-feed-reset-cursor"
          />
        </Group>
      )}
    </Stack>
  );
}
