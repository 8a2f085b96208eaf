import { ActionIcon, Button, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import type { IsolationExclusion } from '@quell/contracts';
import { EXCLUSION_PROTOCOLS, TRAFFIC_DIRECTIONS } from '@quell/core';
import { humanize } from '../../lib/format';

/** One editable row; the port stays text so a half-typed value can be shown as wrong. */
export interface ExclusionRow {
  key: number;
  remote: string;
  port: string;
  protocol: IsolationExclusion['protocol'];
  direction: IsolationExclusion['direction'];
}

/** The agent enforces at most this many (the catalog's `maxItems`). */
export const MAX_EXCLUSIONS = 64;

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIPv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(':')) return false;
  try {
    // The URL parser validates IPv6 literals exactly; the browser has no `net.isIP`.
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

/** Why a row cannot be enforced, per field; empty when it is fine. */
export function rowErrors(r: ExclusionRow): { remote?: string; port?: string } {
  const out: { remote?: string; port?: string } = {};
  const [addr = '', prefix, extra] = r.remote.trim().split('/');
  const v4 = isIPv4(addr);
  if (!r.remote.trim()) out.remote = 'Required';
  else if (extra !== undefined || (!v4 && !isIPv6(addr))) out.remote = 'An IPv4/IPv6 address or CIDR';
  else if (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (v4 ? 32 : 128)))
    out.remote = `Prefix must be 0-${v4 ? 32 : 128}`;
  const port = r.port.trim();
  if (port && (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535))
    out.port = '1-65535, or empty for any';
  return out;
}

export function toExclusion(r: ExclusionRow): IsolationExclusion {
  return {
    remote: r.remote.trim(),
    ...(r.port.trim() && { port: Number(r.port.trim()) }),
    protocol: r.protocol ?? 'any',
    direction: r.direction ?? 'both',
  };
}

let nextKey = 1;
export function newRow(): ExclusionRow {
  return { key: nextKey++, remote: '', port: '', protocol: 'any', direction: 'both' };
}

/** Rows of remote / port / protocol / direction that stay reachable under selective isolation. */
export function ExclusionsEditor({
  rows,
  onChange,
}: {
  rows: ExclusionRow[];
  onChange: (rows: ExclusionRow[]) => void;
}) {
  const patch = (key: number, p: Partial<ExclusionRow>) =>
    onChange(rows.map((r) => (r.key === key ? { ...r, ...p } : r)));
  return (
    <Stack gap="xs" data-testid="isolate-exclusions">
      {rows.length === 0 && (
        <Text size="sm" c="dimmed">
          No exclusions: only the channel to Quell (and DNS/DHCP if allowed) stays open.
        </Text>
      )}
      {rows.map((r, i) => {
        const err = rowErrors(r);
        return (
          <Group key={r.key} gap="xs" align="flex-start" wrap="nowrap" data-testid="exclusion-row">
            <TextInput
              aria-label={`Exclusion ${i + 1} remote`}
              placeholder="10.0.0.5/32"
              value={r.remote}
              onChange={(e) => patch(r.key, { remote: e.currentTarget.value })}
              error={r.remote ? err.remote : undefined}
              w={180}
              data-testid="exclusion-remote"
            />
            <TextInput
              aria-label={`Exclusion ${i + 1} port`}
              placeholder="any port"
              value={r.port}
              onChange={(e) => patch(r.key, { port: e.currentTarget.value })}
              error={err.port}
              w={100}
              data-testid="exclusion-port"
            />
            <Select
              aria-label={`Exclusion ${i + 1} protocol`}
              data={EXCLUSION_PROTOCOLS.map((p) => ({ value: p, label: p.toUpperCase() }))}
              value={r.protocol ?? 'any'}
              onChange={(v) => patch(r.key, { protocol: (v ?? 'any') as ExclusionRow['protocol'] })}
              allowDeselect={false}
              w={90}
              data-testid="exclusion-protocol"
            />
            <Select
              aria-label={`Exclusion ${i + 1} direction`}
              data={TRAFFIC_DIRECTIONS.map((d) => ({ value: d, label: humanize(d) }))}
              value={r.direction ?? 'both'}
              onChange={(v) => patch(r.key, { direction: (v ?? 'both') as ExclusionRow['direction'] })}
              allowDeselect={false}
              w={120}
              data-testid="exclusion-direction"
            />
            <ActionIcon
              variant="subtle"
              color="gray"
              mt={6}
              aria-label={`Remove exclusion ${i + 1}`}
              onClick={() => onChange(rows.filter((x) => x.key !== r.key))}
            >
              ✕
            </ActionIcon>
          </Group>
        );
      })}
      <Group>
        <Button
          size="xs"
          variant="light"
          disabled={rows.length >= MAX_EXCLUSIONS}
          onClick={() => onChange([...rows, newRow()])}
          data-testid="exclusion-add"
        >
          Add exclusion
        </Button>
      </Group>
    </Stack>
  );
}
