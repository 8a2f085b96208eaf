import { ActionIcon, Button, Group, Stack, Text, TextInput } from '@mantine/core';
import type { Settings } from '@quell/contracts';

type Hook = Settings['webhooks'][number];

/** Webhooks notified of incidents and actions; the HMAC key is named, never stored here. */
export function WebhooksEditor({
  value,
  onChange,
  disabled,
}: {
  value: Hook[];
  onChange: (v: Hook[]) => void;
  disabled: boolean;
}) {
  const set = (i: number, h: Hook) => onChange(value.map((x, j) => (j === i ? h : x)));
  return (
    <Stack gap="xs">
      {value.length === 0 && (
        <Text size="sm" c="dimmed">
          No webhooks.
        </Text>
      )}
      {value.map((h, i) => (
        <Group key={i} gap="xs" align="flex-end" data-testid="webhook-row">
          <TextInput
            label="Name"
            description="a-z, 0-9, - and _"
            disabled={disabled}
            value={h.name}
            onChange={(e) => set(i, { ...h, name: e.currentTarget.value })}
            w={160}
          />
          <TextInput
            label="URL"
            disabled={disabled}
            value={h.url}
            onChange={(e) => set(i, { ...h, url: e.currentTarget.value })}
            placeholder="https://chat.example/hooks/…"
            style={{ flex: 1 }}
            miw={260}
          />
          <TextInput
            label="Secret env var"
            description="Holds the HMAC key"
            disabled={disabled}
            value={h.secretRef ?? ''}
            onChange={(e) => {
              const { secretRef: _old, ...rest } = h;
              const v = e.currentTarget.value;
              set(i, v ? { ...rest, secretRef: v } : rest);
            }}
            w={180}
          />
          <ActionIcon
            variant="subtle"
            color="red"
            disabled={disabled}
            onClick={() => onChange(value.filter((_, j) => j !== i))}
            aria-label="Remove webhook"
            mb={4}
          >
            ✕
          </ActionIcon>
        </Group>
      ))}
      <Group>
        <Button
          size="xs"
          variant="light"
          disabled={disabled}
          onClick={() => onChange([...value, { name: '', url: 'https://' }])}
        >
          Add webhook
        </Button>
      </Group>
    </Stack>
  );
}
