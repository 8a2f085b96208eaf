import { Button, Group, Paper, Select, TextInput } from '@mantine/core';
import { ACTION_PERIODS, ACTION_SORTS } from '@quell/contracts';
import { ACTION_SOURCES, ACTION_STATUSES, ACTION_TYPES } from '@quell/core';
import { humanize } from '../../lib/format';
import { DebouncedInput } from '../debounced-input';

export const ACTION_FILTER_KEYS = [
  'period',
  'from',
  'to',
  'type',
  'source',
  'status',
  'entity',
  'incidentId',
  'batchId',
  'requestedBy',
  'decidedBy',
  'sort',
  'order',
] as const;
export type ActionFilterValues = Record<(typeof ACTION_FILTER_KEYS)[number], string>;

const PERIOD_LABEL: Record<(typeof ACTION_PERIODS)[number], string> = {
  day: 'Last 24 hours',
  week: 'Last 7 days',
  '30d': 'Last 30 days',
  '6m': 'Last 6 months',
  custom: 'Custom range',
};
const opts = (vs: readonly string[]) => vs.map((v) => ({ value: v, label: humanize(v) }));

/** `datetime-local` wants local time without zone; the URL keeps ISO. */
function toLocalInput(iso: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
function fromLocalInput(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** Period, type, source, status, entity, incident, people, and sort. */
export function ActionFilters({
  f,
  setF,
}: {
  f: ActionFilterValues;
  setF: (p: Partial<Record<keyof ActionFilterValues, string | null>>) => void;
}) {
  return (
    <Paper withBorder p="sm">
      <Group gap="sm" align="flex-end">
        <Select
          label="Period"
          data={ACTION_PERIODS.map((p) => ({ value: p, label: PERIOD_LABEL[p] }))}
          value={f.period || null}
          onChange={(v) => setF({ period: v, ...(v !== 'custom' ? { from: null, to: null } : {}) })}
          placeholder="Any time"
          clearable
          w={160}
          data-testid="filter-period"
        />
        {f.period === 'custom' && (
          <>
            <TextInput
              label="From"
              type="datetime-local"
              value={toLocalInput(f.from)}
              onChange={(e) => setF({ from: fromLocalInput(e.currentTarget.value) })}
              w={200}
              data-testid="filter-from"
            />
            <TextInput
              label="To"
              type="datetime-local"
              value={toLocalInput(f.to)}
              onChange={(e) => setF({ to: fromLocalInput(e.currentTarget.value) })}
              w={200}
              data-testid="filter-to"
            />
          </>
        )}
        <Select
          label="Action type"
          data={opts(ACTION_TYPES)}
          value={f.type || null}
          onChange={(v) => setF({ type: v })}
          placeholder="Any"
          clearable
          searchable
          w={220}
          data-testid="filter-type"
        />
        <Select
          label="Source"
          data={opts(ACTION_SOURCES)}
          value={f.source || null}
          onChange={(v) => setF({ source: v })}
          placeholder="Any"
          clearable
          w={190}
        />
        <Select
          label="Status"
          data={opts(ACTION_STATUSES)}
          value={f.status || null}
          onChange={(v) => setF({ status: v })}
          placeholder="Any"
          clearable
          w={160}
          data-testid="filter-status"
        />
        <DebouncedInput
          label="Entity (exact id)"
          placeholder="hostname, sha256, user…"
          value={f.entity}
          onValue={(entity) => setF({ entity })}
          w={200}
        />
        <DebouncedInput
          label="Incident"
          placeholder="inc_…"
          value={f.incidentId}
          onValue={(incidentId) => setF({ incidentId })}
          w={180}
        />
        <DebouncedInput
          label="Batch"
          placeholder="batch_…"
          value={f.batchId}
          onValue={(batchId) => setF({ batchId })}
          w={180}
          data-testid="filter-batch"
        />
        <DebouncedInput
          label="Requested by"
          value={f.requestedBy}
          onValue={(requestedBy) => setF({ requestedBy })}
          w={180}
        />
        <DebouncedInput
          label="Decided by"
          value={f.decidedBy}
          onValue={(decidedBy) => setF({ decidedBy })}
          w={180}
        />
        <Select
          label="Sort by"
          data={ACTION_SORTS.map((s) => ({ value: s, label: humanize(s.replace('At', '_at')) }))}
          value={f.sort || 'createdAt'}
          onChange={(v) => setF({ sort: v })}
          allowDeselect={false}
          w={140}
        />
        <Select
          label="Order"
          data={[
            { value: 'desc', label: 'Newest first' },
            { value: 'asc', label: 'Oldest first' },
          ]}
          value={f.order || 'desc'}
          onChange={(v) => setF({ order: v })}
          allowDeselect={false}
          w={140}
        />
        <Button
          variant="subtle"
          color="gray"
          size="xs"
          onClick={() => setF(Object.fromEntries(ACTION_FILTER_KEYS.map((k) => [k, null])))}
        >
          Clear
        </Button>
      </Group>
    </Paper>
  );
}
