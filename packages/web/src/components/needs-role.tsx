import type { ReactNode } from 'react';
import { Alert } from '@mantine/core';
import type { Role } from '@quell/core';
import { useMe } from '../api/session';
import { atLeast } from '../lib/roles';

/** Shows its children only to `min` and above; others see why not. */
export function NeedsRole({ min, what, children }: { min: Role; what: string; children: ReactNode }) {
  const me = useMe();
  if (atLeast(me.role, min)) return <>{children}</>;
  return (
    <Alert color="yellow" title={`Needs ${min}`} data-testid="needs-role">
      {what} needs the {min} role; you are signed in as {me.role}. Ask an administrator if you need access.
    </Alert>
  );
}
