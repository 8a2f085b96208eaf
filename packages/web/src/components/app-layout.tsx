import { AppShell, Badge, Burger, Button, Group, NavLink, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { useMe, useSession } from '../api/session';
import { notify } from '../lib/notify';

const NAV = [
  { to: '/incidents', label: 'Incidents' },
  { to: '/actions', label: 'Action Center' },
  { to: '/devices', label: 'Devices' },
  { to: '/device-groups', label: 'Device groups' },
  { to: '/files', label: 'Files' },
  { to: '/indicators', label: 'Indicators' },
  { to: '/analyses', label: 'Deep analyses' },
  { to: '/enrollment-tokens', label: 'Enrollment tokens' },
  { to: '/yara-rules', label: 'YARA rules' },
  { to: '/users', label: 'Users & tokens' },
  { to: '/settings', label: 'Settings' },
] as const;

/** The console frame: left navigation, the logged-in user, and the page. */
export function AppLayout() {
  const [opened, { toggle, close }] = useDisclosure();
  const loc = useLocation();
  const navigate = useNavigate();
  const me = useMe();
  const { logout } = useSession();

  const onLogout = async () => {
    try {
      await logout();
    } catch (e) {
      notify.error(e, 'Log out failed');
    }
    void navigate('/login');
  };

  return (
    <AppShell
      header={{ height: 52 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" gap="sm">
          <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
          <Title order={4} c="indigo.7">
            Quell
          </Title>
          <Text size="sm" c="dimmed" visibleFrom="xs">
            XDR response
          </Text>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <AppShell.Section grow>
          {NAV.map((n) => (
            <NavLink
              key={n.to}
              component={Link}
              to={n.to}
              label={n.label}
              active={loc.pathname === n.to || loc.pathname.startsWith(`${n.to}/`)}
              onClick={close}
              data-testid={`nav-${n.to.slice(1)}`}
            />
          ))}
        </AppShell.Section>
        <AppShell.Section>
          <Stack gap={4} p="xs" style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}>
            <Text size="sm" fw={500} truncate data-testid="me-name">
              {me.name}
            </Text>
            <Group gap={6}>
              <Badge size="xs" variant="light">
                {me.role}
              </Badge>
              {me.deviceGroupIds.length > 0 && (
                <Badge size="xs" variant="outline" color="gray">
                  scoped
                </Badge>
              )}
            </Group>
            <Button variant="subtle" size="xs" onClick={() => void onLogout()} data-testid="logout">
              Log out
            </Button>
          </Stack>
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
