import { ActionIcon, Button, Group, Select, Stack, Switch, Text } from '@mantine/core';
import type { Settings } from '@quell/contracts';
import { ACTION_SOURCES, ACTION_TYPES } from '@quell/core';
import { useDeviceGroups } from '../../api/admin';
import { humanize } from '../../lib/format';
import { oneOf } from '../../lib/use-search-state';

type Rule = Settings['approvalRules'][number];

/** Rules that force (or waive) approval by source, action type and device group; first match wins. */
export function ApprovalRulesEditor({
  value,
  onChange,
  disabled,
}: {
  value: Rule[];
  onChange: (v: Rule[]) => void;
  disabled: boolean;
}) {
  const groups = useDeviceGroups();
  const set = (i: number, r: Rule) => onChange(value.map((x, j) => (j === i ? r : x)));
  const drop = <K extends keyof Rule>(r: Rule, k: K, v: Rule[K] | undefined): Rule => {
    const next = { ...r };
    if (v === undefined) delete next[k];
    else next[k] = v;
    return next;
  };
  return (
    <Stack gap="xs">
      {value.length === 0 && (
        <Text size="sm" c="dimmed">
          No rules: approval follows each device group&apos;s automation level and the catalog.
        </Text>
      )}
      {value.map((r, i) => (
        <Group key={i} gap="xs" align="flex-end" data-testid="approval-rule">
          <Select
            label="Source"
            placeholder="Any"
            clearable
            disabled={disabled}
            data={ACTION_SOURCES.map((s) => ({ value: s, label: humanize(s) }))}
            value={r.source ?? null}
            onChange={(v) => set(i, drop(r, 'source', oneOf(ACTION_SOURCES, v ?? '')))}
            w={200}
          />
          <Select
            label="Action type"
            placeholder="Any"
            clearable
            searchable
            disabled={disabled}
            data={ACTION_TYPES.map((t) => ({ value: t, label: humanize(t) }))}
            value={r.actionType ?? null}
            onChange={(v) => set(i, drop(r, 'actionType', oneOf(ACTION_TYPES, v ?? '')))}
            w={220}
          />
          <Select
            label="Device group"
            placeholder="Any"
            clearable
            disabled={disabled}
            data={(groups.data?.items ?? []).map((g) => ({ value: g.id, label: g.name }))}
            value={r.deviceGroupId ?? null}
            onChange={(v) => set(i, drop(r, 'deviceGroupId', v ?? undefined))}
            w={180}
          />
          <Switch
            label="Require approval"
            disabled={disabled}
            checked={r.requireApproval}
            onChange={(e) => set(i, { ...r, requireApproval: e.currentTarget.checked })}
            mb={8}
          />
          <ActionIcon
            variant="subtle"
            color="red"
            disabled={disabled}
            onClick={() => onChange(value.filter((_, j) => j !== i))}
            aria-label="Remove rule"
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
          onClick={() => onChange([...value, { requireApproval: true }])}
        >
          Add rule
        </Button>
      </Group>
    </Stack>
  );
}
