import { useEffect, useState } from 'react';
import { Alert, Button, Group, NumberInput, Paper, SimpleGrid, Stack, Switch, Title } from '@mantine/core';
import type { Settings } from '@quell/contracts';
import { errorMessage } from '../api/client';
import { usePatchSettings, useSettings } from '../api/admin';
import { useMe } from '../api/session';
import { QueryState } from '../components/query-state';
import { ApprovalRulesEditor } from '../components/settings/approval-rules-editor';
import { WebhooksEditor } from '../components/settings/webhooks-editor';
import { notify } from '../lib/notify';
import { atLeast } from '../lib/roles';

/** Approval, TTL, correlation and webhook settings; everyone may read, admins change. */
export function SettingsPage() {
  const settings = useSettings();
  return (
    <Stack>
      <Title order={2}>Settings</Title>
      <QueryState query={settings}>{(s) => <SettingsForm initial={s} />}</QueryState>
    </Stack>
  );
}

const num = (v: string | number, fallback: number) => (typeof v === 'number' ? v : fallback);

function SettingsForm({ initial }: { initial: Settings }) {
  const me = useMe();
  const admin = atLeast(me.role, 'admin');
  const save = usePatchSettings();
  const [s, setS] = useState<Settings>(initial);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setS(initial), [initial]);
  const dirty = JSON.stringify(s) !== JSON.stringify(initial);
  const set = <K extends keyof Settings>(k: K, v: Settings[K]) => setS((prev) => ({ ...prev, [k]: v }));

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        save.mutate(s, {
          onSuccess: () => notify.success('Settings saved.'),
          onError: (err) => setError(errorMessage(err)),
        });
      }}
    >
      <Stack>
        {!admin && (
          <Alert color="yellow" title="Read only" data-testid="needs-role">
            Changing settings needs the admin role; you are signed in as {me.role}.
          </Alert>
        )}
        <Paper withBorder p="md">
          <Title order={4} mb="sm">
            Actions and approvals
          </Title>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <NumberInput
              label="Approval timeout (hours)"
              description="A pending approval times out after this"
              min={1}
              max={24 * 90}
              disabled={!admin}
              value={s.approvalTimeoutHours}
              onChange={(v) => set('approvalTimeoutHours', num(v, s.approvalTimeoutHours))}
              data-testid="settings-approval-timeout"
            />
            <NumberInput
              label="Action TTL (hours)"
              description="How long an action waits for an offline device before it expires"
              min={1}
              max={24 * 90}
              disabled={!admin}
              value={s.actionTtlHours}
              onChange={(v) => set('actionTtlHours', num(v, s.actionTtlHours))}
            />
            <NumberInput
              label="Correlation window (hours)"
              description="Alerts sharing entities within this window join one incident"
              min={1}
              max={24 * 30}
              disabled={!admin}
              value={s.correlationWindowHours}
              onChange={(v) => set('correlationWindowHours', num(v, s.correlationWindowHours))}
            />
            <Switch
              mt="lg"
              label="Two-person rule"
              description="A destructive action must be approved by someone other than who asked"
              disabled={!admin}
              checked={s.twoPersonRule}
              onChange={(e) => set('twoPersonRule', e.currentTarget.checked)}
              data-testid="settings-two-person"
            />
          </SimpleGrid>
        </Paper>
        <Paper withBorder p="md">
          <Title order={4} mb="sm">
            Approval rules
          </Title>
          <ApprovalRulesEditor
            value={s.approvalRules}
            onChange={(v) => set('approvalRules', v)}
            disabled={!admin}
          />
        </Paper>
        <Paper withBorder p="md">
          <Title order={4} mb="sm">
            Webhooks
          </Title>
          <WebhooksEditor value={s.webhooks} onChange={(v) => set('webhooks', v)} disabled={!admin} />
        </Paper>
        {error && (
          <Alert color="red" title="Not saved">
            {error}
          </Alert>
        )}
        {admin && (
          <Group justify="flex-end">
            <Button variant="default" disabled={!dirty} onClick={() => setS(initial)}>
              Discard changes
            </Button>
            <Button type="submit" loading={save.isPending} disabled={!dirty} data-testid="settings-save">
              Save settings
            </Button>
          </Group>
        )}
      </Stack>
    </form>
  );
}
