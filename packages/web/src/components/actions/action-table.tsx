import { Anchor, Checkbox, Group, Table, Text, Tooltip } from '@mantine/core';
import { Link, useNavigate } from 'react-router';
import type { Action } from '@quell/contracts';
import { fmtTime, humanize, relTime } from '../../lib/format';
import { ActionStatusBadge, PolicyBadge } from '../badges';

interface Props {
  rows: Action[];
  /** With selection: checkboxes for bulk decisions. */
  selected?: ReadonlySet<string>;
  onSelect?: (ids: string[], on: boolean) => void;
  showIncident?: boolean;
}

/** Actions as the Action Center lists them; a row opens the action. */
export function ActionTable({ rows, selected, onSelect, showIncident = true }: Props) {
  const navigate = useNavigate();
  const selectable = selected !== undefined && onSelect !== undefined;
  const allOn = selectable && rows.length > 0 && rows.every((r) => selected.has(r.id));
  const someOn = selectable && rows.some((r) => selected.has(r.id));
  return (
    <Table.ScrollContainer minWidth={1000}>
      <Table highlightOnHover verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            {selectable && (
              <Table.Th w={36}>
                <Checkbox
                  aria-label="Select all"
                  checked={allOn}
                  indeterminate={someOn && !allOn}
                  onChange={() =>
                    onSelect(
                      rows.map((r) => r.id),
                      !allOn,
                    )
                  }
                  data-testid="actions-select-all"
                />
              </Table.Th>
            )}
            <Table.Th>Requested</Table.Th>
            <Table.Th>Action</Table.Th>
            <Table.Th>Target</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Source</Table.Th>
            <Table.Th>Requested by</Table.Th>
            <Table.Th>Decided by</Table.Th>
            {showIncident && <Table.Th>Incident</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((a) => (
            <Table.Tr
              key={a.id}
              className="clickable-row"
              data-testid="action-row"
              data-action-id={a.id}
              data-status={a.status}
              onClick={() => void navigate(`/actions/${encodeURIComponent(a.id)}`)}
            >
              {selectable && (
                <Table.Td onClick={(e) => e.stopPropagation()}>
                  <Checkbox
                    aria-label={`Select ${a.id}`}
                    checked={selected.has(a.id)}
                    onChange={(e) => onSelect([a.id], e.currentTarget.checked)}
                    data-testid="action-select"
                  />
                </Table.Td>
              )}
              <Table.Td>
                <Tooltip label={fmtTime(a.createdAt)}>
                  <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                    {relTime(a.createdAt)}
                  </Text>
                </Tooltip>
              </Table.Td>
              <Table.Td>
                <Text size="sm" fw={500} style={{ whiteSpace: 'nowrap' }}>
                  {a.title}
                </Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm" maw={240} truncate="end" title={a.target.id}>
                  {a.target.label ?? a.target.id}
                </Text>
                <Text size="xs" c="dimmed">
                  {a.target.kind}
                  {a.target.deviceHostname ? ` on ${a.target.deviceHostname}` : ''}
                </Text>
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  <ActionStatusBadge status={a.status} />
                  <PolicyBadge status={a.policyStatus} size="xs" />
                </Group>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{humanize(a.source)}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{a.requestedBy}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm" c={a.decidedBy ? undefined : 'dimmed'}>
                  {a.decidedBy ?? '—'}
                </Text>
              </Table.Td>
              {showIncident && (
                <Table.Td onClick={(e) => e.stopPropagation()}>
                  {a.incidentId ? (
                    <Anchor component={Link} to={`/incidents/${encodeURIComponent(a.incidentId)}`} size="sm">
                      {a.incidentId}
                    </Anchor>
                  ) : (
                    <Text size="sm" c="dimmed">
                      —
                    </Text>
                  )}
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
