import { Fragment, useState } from 'react';
import { Button, Menu, Text, Tooltip } from '@mantine/core';
import type { CatalogEntry, Incident } from '@quell/contracts';
import { useCatalog } from '../../api/actions';
import { useMe } from '../../api/session';
import { deviceHostsOf, targetsOf, type TargetOption } from '../../lib/action-targets';
import { roleIn } from '../../lib/roles';
import { ActionRequestModal } from '../action-request-modal';

/** Catalog actions that fit the incident's entities, grouped by entity. */
export function TakeActionMenu({ incident }: { incident: Incident }) {
  const me = useMe();
  const catalog = useCatalog();
  const [chosen, setChosen] = useState<{ entry: CatalogEntry; option: TargetOption } | null>(null);
  const options = targetsOf(incident);
  const entries = catalog.data?.items ?? [];

  return (
    <>
      <Menu position="bottom-end" width={340} withinPortal shadow="md">
        <Menu.Target>
          <Button color="red" variant="filled" loading={catalog.isPending} data-testid="take-action">
            Take action
          </Button>
        </Menu.Target>
        <Menu.Dropdown mah={480} style={{ overflowY: 'auto' }}>
          {catalog.isError && <Menu.Label c="red">Could not load the action catalog</Menu.Label>}
          {options.length === 0 && <Menu.Label>No entity here can be acted on.</Menu.Label>}
          {options.map((o) => {
            const fits = entries.filter((c) => c.targetKind === o.targetKind);
            if (fits.length === 0) return null;
            return (
              <Fragment key={`${o.key}:${o.targetKind}`}>
                <Menu.Label>{o.title}</Menu.Label>
                {fits.map((c) => {
                  const allowed = roleIn(me.role, c.requestRoles);
                  return (
                    <Tooltip
                      key={c.id}
                      label={allowed ? c.description : `Needs ${c.requestRoles.join(' or ')}`}
                      position="left"
                      multiline
                      w={260}
                      openDelay={400}
                    >
                      <Menu.Item
                        disabled={!allowed}
                        color={c.destructive ? 'red' : undefined}
                        onClick={() => setChosen({ entry: c, option: o })}
                        data-testid={`take-action-${c.id}`}
                      >
                        {c.title}
                        {!c.executorAvailable && (
                          <Text span size="xs" c="dimmed">
                            {' '}
                            (no executor)
                          </Text>
                        )}
                      </Menu.Item>
                    </Tooltip>
                  );
                })}
              </Fragment>
            );
          })}
        </Menu.Dropdown>
      </Menu>
      {chosen && (
        <ActionRequestModal
          entry={chosen.entry}
          option={chosen.option}
          incidentId={incident.id}
          deviceHosts={deviceHostsOf(incident)}
          onClose={() => setChosen(null)}
        />
      )}
    </>
  );
}
