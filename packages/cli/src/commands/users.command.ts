import { Option, type Command } from 'commander';
import type { User, UserPatch } from '@quell/contracts';
import { ROLES } from '@quell/core';
import { clientFor } from '../api.js';
import { CliError } from '../errors.js';
import { choiceOption, collect } from '../options.js';
import { printJson, printTable, say, when, withJson, wantsJson } from '../output.js';

function printUsers(users: readonly User[]): void {
  printTable(
    ['ID', 'EMAIL', 'NAME', 'ROLE', 'SCOPE', 'STATUS', 'LAST LOGIN'],
    users.map((u) => [
      u.id,
      u.email,
      u.name,
      u.role,
      u.deviceGroupIds.length ? u.deviceGroupIds.join(', ') : 'all groups',
      u.disabled ? 'disabled' : 'enabled',
      when(u.lastLoginAt),
    ]),
    'no users',
  );
}

export function registerUsers(program: Command): void {
  const users = program.command('users').description('local user accounts (admin)');

  withJson(users.command('list').description('every user')).action(async (_o: unknown, cmd: Command) => {
    const client = await clientFor(cmd);
    const res = await client.call('listUsers');
    if (wantsJson(cmd)) return printJson(res);
    printUsers(res.items);
  });

  withJson(
    users
      .command('create')
      .description('create a user')
      .requiredOption('--email <email>', 'login email')
      .addOption(choiceOption('--role <role>', 'role', ROLES).makeOptionMandatory())
      .addOption(
        new Option('--password <password>', 'initial password, at least 12 characters')
          .env('QUELL_NEW_PASSWORD')
          .makeOptionMandatory(),
      )
      .option('--name <name>', 'display name')
      .option('--scope <groupId>', 'limit to this device group (repeatable; default all groups)', collect),
  ).action(
    async (
      o: { email: string; role: User['role']; password: string; name?: string; scope?: string[] },
      cmd: Command,
    ) => {
      const client = await clientFor(cmd);
      const u = await client.call('createUser', {
        body: {
          email: o.email,
          role: o.role,
          password: o.password,
          ...(o.name !== undefined && { name: o.name }),
          ...(o.scope && { deviceGroupIds: o.scope }),
        },
      });
      if (wantsJson(cmd)) return printJson(u);
      say(`user ${u.email} created (${u.id})`);
    },
  );

  withJson(
    users
      .command('update')
      .description('change a user')
      .argument('<id>')
      .addOption(choiceOption('--role <role>', 'new role', ROLES))
      .option('--scope <groupId>', 'device groups (repeatable); --scope all for every group', collect)
      .option('--name <name>', 'display name')
      .addOption(new Option('--disable', 'block logins and end sessions').conflicts('enable'))
      .option('--enable', 'allow logins again')
      .addOption(
        new Option('--password <password>', 'new password, at least 12 characters').env('QUELL_NEW_PASSWORD'),
      ),
  ).action(
    async (
      id: string,
      o: {
        role?: User['role'];
        scope?: string[];
        name?: string;
        disable?: boolean;
        enable?: boolean;
        password?: string;
      },
      cmd: Command,
    ) => {
      const body: UserPatch = {
        ...(o.role !== undefined && { role: o.role }),
        ...(o.scope !== undefined && { deviceGroupIds: o.scope.includes('all') ? [] : o.scope }),
        ...(o.name !== undefined && { name: o.name }),
        ...(o.disable && { disabled: true }),
        ...(o.enable && { disabled: false }),
        ...(o.password !== undefined && { password: o.password }),
      };
      if (Object.keys(body).length === 0)
        throw new CliError('nothing to change: give at least one option (see --help)', 'QUELL_E_INPUT');
      const client = await clientFor(cmd);
      const u = await client.call('patchUser', { params: { id }, body });
      if (wantsJson(cmd)) return printJson(u);
      say(`user ${u.email} updated`);
      printUsers([u]);
    },
  );
}
