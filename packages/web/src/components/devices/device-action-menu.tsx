import { Button, Menu, Tooltip } from '@mantine/core';
import { catalogById, useCatalog } from '../../api/actions';
import { useMe } from '../../api/session';
import { roleIn } from '../../lib/roles';
import { ACTION_LABEL, ACTION_SLUG, DEVICE_ACTIONS, type DeviceActionType } from './device-action-types';

/** Whether the signed-in user's role may request `type`, per the action catalog. */
export function useMayRequest(): (type: DeviceActionType) => boolean {
  const me = useMe();
  const byId = catalogById(useCatalog().data?.items);
  return (type) => {
    const entry = byId.get(type);
    return entry !== undefined && roleIn(me.role, entry.requestRoles);
  };
}

/** The device page's "Actions" menu; each item opens its confirmation dialog. */
export function DeviceActionMenu({
  onChoose,
  label = 'Actions',
}: {
  onChoose: (type: DeviceActionType) => void;
  label?: string;
}) {
  const catalog = useCatalog();
  const mayRequest = useMayRequest();
  const byId = catalogById(catalog.data?.items);
  return (
    <Menu position="bottom-end" width={280} withinPortal shadow="md">
      <Menu.Target>
        <Button color="red" loading={catalog.isPending} data-testid="action-menu">
          {label}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        {catalog.isError && <Menu.Label c="red">Could not load the action catalog</Menu.Label>}
        {DEVICE_ACTIONS.map((type) => {
          const entry = byId.get(type);
          const allowed = mayRequest(type);
          return (
            <Tooltip
              key={type}
              label={
                allowed ? (entry?.description ?? '') : `Needs ${entry?.requestRoles.join(' or ') ?? 'a role'}`
              }
              position="left"
              multiline
              w={260}
              openDelay={400}
            >
              <Menu.Item
                disabled={!allowed}
                color={entry?.destructive ? 'red' : undefined}
                onClick={() => onChoose(type)}
                data-testid={`action-${ACTION_SLUG[type]}`}
              >
                {ACTION_LABEL[type]}
              </Menu.Item>
            </Tooltip>
          );
        })}
      </Menu.Dropdown>
    </Menu>
  );
}
