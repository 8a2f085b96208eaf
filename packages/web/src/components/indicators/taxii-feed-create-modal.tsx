import { useState } from 'react';
import { Alert, Button, Group, Modal, NumberInput, Select, Stack, Text, TextInput } from '@mantine/core';
import { TAXII_AUTH_KINDS, type TaxiiFeedInput } from '@quell/contracts';
import { INDICATOR_ACTIONS, SEVERITIES, type IndicatorAction, type Severity } from '@quell/core';
import { errorMessage } from '../../api/client';
import { useCreateTaxiiFeed } from '../../api/indicators';
import { humanize } from '../../lib/format';
import { notify } from '../../lib/notify';

type AuthKind = (typeof TAXII_AUTH_KINDS)[number];
const AUTH_LABEL: Record<AuthKind, string> = {
  none: 'None',
  basic: 'Basic (user name + password)',
  bearer: 'Bearer token',
};
const opts = <T extends string>(v: readonly T[], label: (x: T) => string = humanize) =>
  v.map((x) => ({ value: x, label: label(x) }));

/**
 * A new TAXII 2.1 feed. The password or token is never typed here: the feed names an environment
 * variable of the server that holds it, so it stays out of the database and the audit log.
 */
export function TaxiiFeedModal({ onClose }: { onClose: () => void }) {
  const create = useCreateTaxiiFeed();
  const [name, setName] = useState('');
  const [urlKind, setUrlKind] = useState<'apiRoot' | 'discovery'>('apiRoot');
  const [url, setUrl] = useState('');
  const [collectionId, setCollectionId] = useState('');
  const [authKind, setAuthKind] = useState<AuthKind>('none');
  const [username, setUsername] = useState('');
  const [secretEnv, setSecretEnv] = useState('');
  const [defaultAction, setDefaultAction] = useState<IndicatorAction>('block');
  const [defaultSeverity, setDefaultSeverity] = useState<Severity>('medium');
  const [interval, setInterval] = useState<number | ''>(60);
  const [error, setError] = useState<string | null>(null);

  const submit = () => {
    setError(null);
    const body: TaxiiFeedInput = {
      name: name.trim(),
      collectionId: collectionId.trim(),
      ...(urlKind === 'apiRoot' ? { apiRootUrl: url.trim() } : { discoveryUrl: url.trim() }),
      authKind,
      ...(authKind === 'basic' && username.trim() && { username: username.trim() }),
      ...(authKind !== 'none' && secretEnv.trim() && { secretEnv: secretEnv.trim() }),
      defaultAction,
      defaultSeverity,
      ...(typeof interval === 'number' && { intervalMinutes: interval }),
    };
    create.mutate(body, {
      onSuccess: (f) => {
        notify.success(`Feed ${f.name} added; use Pull now to fetch it at once.`);
        onClose();
      },
      onError: (e) => setError(errorMessage(e)),
    });
  };

  return (
    <Modal opened onClose={onClose} title="Add a TAXII 2.1 feed" size="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <Stack>
          <TextInput
            label="Name"
            required
            description="Letters, digits, space, dot, dash, underscore"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            data-testid="taxii-feed-name"
          />
          <Group grow align="flex-start">
            <Select
              label="URL kind"
              data={[
                { value: 'apiRoot', label: 'API root' },
                { value: 'discovery', label: 'Discovery' },
              ]}
              value={urlKind}
              onChange={(v) => v && setUrlKind(v as 'apiRoot' | 'discovery')}
              allowDeselect={false}
            />
            <TextInput
              label="URL"
              required
              placeholder="https://taxii.example/api1/"
              value={url}
              onChange={(e) => setUrl(e.currentTarget.value)}
              data-testid="taxii-feed-url"
            />
          </Group>
          <TextInput
            label="Collection id"
            required
            value={collectionId}
            onChange={(e) => setCollectionId(e.currentTarget.value)}
            data-testid="taxii-feed-collection"
          />
          <Select
            label="Authentication"
            data={opts(TAXII_AUTH_KINDS, (k) => AUTH_LABEL[k])}
            value={authKind}
            onChange={(v) => v && setAuthKind(v as AuthKind)}
            allowDeselect={false}
            data-testid="taxii-feed-auth"
          />
          {authKind !== 'none' && (
            <Group grow align="flex-start">
              {authKind === 'basic' && (
                <TextInput
                  label="User name"
                  value={username}
                  onChange={(e) => setUsername(e.currentTarget.value)}
                  data-testid="taxii-feed-username"
                />
              )}
              <TextInput
                label="Secret environment variable"
                description="The NAME of a server environment variable holding the password or token"
                placeholder="TAXII_PASSWORD"
                value={secretEnv}
                onChange={(e) => setSecretEnv(e.currentTarget.value)}
                data-testid="taxii-feed-secret-env"
              />
            </Group>
          )}
          <Group grow>
            <Select
              label="Action for indicators without one"
              data={opts(INDICATOR_ACTIONS)}
              value={defaultAction}
              onChange={(v) => v && setDefaultAction(v as IndicatorAction)}
              allowDeselect={false}
            />
            <Select
              label="Severity for indicators without one"
              data={opts(SEVERITIES)}
              value={defaultSeverity}
              onChange={(v) => v && setDefaultSeverity(v as Severity)}
              allowDeselect={false}
            />
            <NumberInput
              label="Pull every (minutes)"
              min={5}
              max={10_080}
              value={interval}
              onChange={(v) => setInterval(typeof v === 'number' ? v : '')}
            />
          </Group>
          <Text size="xs" c="dimmed">
            The server checks the settings when you add the feed; the first pull shows whether it can reach
            and read the collection.
          </Text>
          {error && (
            <Alert color="red" title="Not added" data-testid="taxii-feed-error">
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
              disabled={!name.trim() || !url.trim() || !collectionId.trim()}
              data-testid="taxii-feed-create"
            >
              Add feed
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
