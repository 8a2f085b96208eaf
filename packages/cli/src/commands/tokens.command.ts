import { Option, type Command } from 'commander';
import type { ApiToken } from '@quell/contracts';
import { ROLES } from '@quell/core';
import { clientFor } from '../api.js';
import { choiceOption, collect, intArg } from '../options.js';
import { note, printJson, printTable, say, when, withJson, wantsJson } from '../output.js';

export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('API tokens for automation (admin)');

  withJson(tokens.command('list').description('every API token (never their secrets)')).action(
    async (_o: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      const res = await client.call('listTokens');
      if (wantsJson(cmd)) return printJson(res);
      printTable(
        ['ID', 'NAME', 'ROLE', 'SCOPE', 'CREATED BY', 'EXPIRES', 'LAST USED'],
        res.items.map((t) => [
          t.id,
          t.name,
          t.role,
          t.deviceGroupIds.length ? t.deviceGroupIds.join(', ') : 'all groups',
          t.createdBy,
          t.expiresAt ? when(t.expiresAt) : 'never',
          when(t.lastUsedAt),
        ]),
        'no tokens',
      );
    },
  );

  withJson(
    tokens
      .command('create')
      .description('create an API token; its secret is printed once')
      .requiredOption('--name <name>', 'what it is for')
      .addOption(choiceOption('--role <role>', 'role', ROLES).makeOptionMandatory())
      .option('--scope <groupId>', 'limit to this device group (repeatable)', collect)
      .addOption(
        new Option('--expires-days <n>', 'expire after N days (default never)').argParser(intArg(1, 3650)),
      ),
  ).action(
    async (
      o: { name: string; role: ApiToken['role']; scope?: string[]; expiresDays?: number },
      cmd: Command,
    ) => {
      const client = await clientFor(cmd);
      const t = await client.call('createToken', {
        body: {
          name: o.name,
          role: o.role,
          ...(o.scope && { deviceGroupIds: o.scope }),
          ...(o.expiresDays !== undefined && { expiresInDays: o.expiresDays }),
        },
      });
      if (wantsJson(cmd)) return printJson(t);
      say(
        `token ${t.id} (${t.name}, ${t.role}) created${t.expiresAt ? `, expires ${when(t.expiresAt)}` : ''}`,
      );
      say(t.secret);
      note(
        'This secret is shown only once: store it now (use it as QUELL_TOKEN or `Authorization: Bearer …`).',
      );
    },
  );

  tokens
    .command('revoke')
    .description('revoke an API token at once')
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      await client.call('revokeToken', { params: { id } });
      say(`token ${id} revoked`);
    });
}
