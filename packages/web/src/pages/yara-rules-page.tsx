import { useState } from 'react';
import {
  Alert,
  Button,
  Code,
  Group,
  Modal,
  Paper,
  Stack,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import type { YaraRule } from '@quell/contracts';
import { roleHas } from '@quell/core';
import { errorMessage } from '../api/client';
import { useMe } from '../api/session';
import { useCreateYaraRule, useDeleteYaraRule, useYaraRules } from '../api/yara';
import { QueryState } from '../components/query-state';
import { fmtTime, relTime } from '../lib/format';
import { notify } from '../lib/notify';

const EXAMPLE = `rule e2e_miner {
  strings:
    $a = "stratum+tcp://"
  condition:
    $a
}`;

/** YARA rules agents use for scans: list, add (compiled by the server first), delete. */
export function YaraRulesPage() {
  const me = useMe();
  const mayManage = roleHas(me.role, 'devices:manage');
  const rules = useYaraRules();
  const del = useDeleteYaraRule();
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<YaraRule | null>(null);
  const [error, setError] = useState<string | null>(null);

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>YARA rules</Title>
        {mayManage && (
          <Button onClick={() => setAdding(true)} data-testid="yara-add">
            Add rule…
          </Button>
        )}
      </Group>
      <Text size="sm" c="dimmed">
        Agents receive these rules and use them in antivirus scans (device page → Actions → Scan).
      </Text>
      <QueryState query={rules} title="Could not load YARA rules">
        {({ items }) =>
          items.length === 0 ? (
            <Text c="dimmed" data-testid="yara-empty">
              No YARA rule yet.
            </Text>
          ) : (
            <Stack gap="sm">
              {items.map((r) => (
                <Paper key={r.id} withBorder p="sm" data-testid="yara-row" data-name={r.name}>
                  <Group justify="space-between" mb={4}>
                    <div>
                      <Text fw={500}>{r.name}</Text>
                      <Text size="xs" c="dimmed" title={fmtTime(r.createdAt)}>
                        Added {relTime(r.createdAt)} by {r.createdBy}
                      </Text>
                    </div>
                    {mayManage && (
                      <Button
                        size="compact-xs"
                        variant="subtle"
                        color="red"
                        aria-label={`Delete rule ${r.name}`}
                        onClick={() => {
                          setError(null);
                          setDeleting(r);
                        }}
                        data-testid="yara-delete"
                      >
                        Delete
                      </Button>
                    )}
                  </Group>
                  <Code block style={{ maxHeight: 200, overflow: 'auto' }}>
                    {r.source}
                  </Code>
                </Paper>
              ))}
            </Stack>
          )
        }
      </QueryState>
      {adding && <YaraRuleModal onClose={() => setAdding(false)} />}
      <Modal opened={deleting !== null} onClose={() => setDeleting(null)} title="Delete the YARA rule">
        <Stack>
          <Text size="sm">
            Scans requested from now on no longer use “{deleting?.name}”. Scans already running keep it.
          </Text>
          {error && (
            <Alert color="red" data-testid="yara-delete-error">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleting(null)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={del.isPending}
              onClick={() =>
                deleting &&
                del.mutate(deleting.id, {
                  onSuccess: () => {
                    notify.success(`Rule ${deleting.name} deleted.`);
                    setDeleting(null);
                  },
                  onError: (e) => setError(errorMessage(e)),
                })
              }
              data-testid="yara-delete-confirm"
            >
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function YaraRuleModal({ onClose }: { onClose: () => void }) {
  const create = useCreateYaraRule();
  const [name, setName] = useState('');
  const [source, setSource] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal opened onClose={onClose} title="Add a YARA rule" size="xl">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          create.mutate(
            { name: name.trim(), source },
            {
              onSuccess: (r) => {
                notify.success(`Rule ${r.name} added; the next scans use it.`);
                onClose();
              },
              onError: (err) => setError(errorMessage(err)),
            },
          );
        }}
      >
        <Stack>
          <TextInput
            label="Name"
            required
            description="Letters, digits, dot, dash, underscore"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            data-testid="yara-name"
          />
          <Textarea
            label="Rule source"
            required
            autosize
            minRows={8}
            maxRows={24}
            placeholder={EXAMPLE}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            value={source}
            onChange={(e) => setSource(e.currentTarget.value)}
            data-testid="yara-source"
          />
          {error && (
            <Alert color="red" title="The rule was not saved" data-testid="yara-error">
              <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                {error}
              </Text>
              <Text size="xs" mt={4}>
                Fix the rule and add it again.
              </Text>
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button
              type="submit"
              loading={create.isPending}
              disabled={!name.trim() || !source.trim()}
              data-testid="yara-create"
            >
              Add rule
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
