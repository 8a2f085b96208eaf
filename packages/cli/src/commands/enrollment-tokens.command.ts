import { Option, type Command } from 'commander';
import type { EnrollmentToken } from '@quell/contracts';
import { clientFor } from '../api.js';
import { collect, intArg } from '../options.js';
import { note, printJson, printTable, say, when, withJson, wantsJson } from '../output.js';

function printTokens(items: readonly EnrollmentToken[]): void {
  printTable(
    ['ID', 'LABEL', 'STATUS', 'GROUP', 'TAGS', 'CREATED BY', 'EXPIRES', 'USED BY'],
    items.map((t) => [
      t.id,
      t.label,
      t.status,
      t.deviceGroupId ?? 'by rules',
      t.tags.join(', '),
      t.createdBy,
      when(t.expiresAt),
      t.usedByDeviceId ? `${t.usedByDeviceId} (${when(t.usedAt)})` : null,
    ]),
    'no enrollment tokens',
  );
}

/**
 * `quell tokens enroll …`: single-use agent enrollment tokens, as a group under the existing
 * `quell tokens` (API tokens), whose own subcommands stay as they are.
 */
export function registerEnrollmentTokens(program: Command): void {
  const tokens = program.commands.find((c) => c.name() === 'tokens');
  if (!tokens) throw new Error('register `quell tokens` before its `enroll` group');
  const enroll = tokens
    .command('enroll')
    .description('agent enrollment tokens: single use, expiring (admin)');

  withJson(
    enroll
      .command('create')
      .description('create an enrollment token; it and the enroll command are printed once')
      .requiredOption('--label <label>', 'what or where it is for, e.g. "web servers rollout"')
      .addOption(
        new Option('--expires-hours <n>', 'expire after N hours (default 24)').argParser(intArg(1, 720)),
      )
      .option('--group <id>', 'put the device in this device group, whatever the group rules say')
      .option('--tag <tag>', 'tag the device (repeatable)', collect),
  ).action(
    async (o: { label: string; expiresHours?: number; group?: string; tag?: string[] }, cmd: Command) => {
      const client = await clientFor(cmd);
      const t = await client.call('createEnrollmentToken', {
        body: {
          label: o.label,
          ...(o.expiresHours !== undefined && { expiresInHours: o.expiresHours }),
          ...(o.group && { deviceGroupId: o.group }),
          ...(o.tag?.length && { tags: o.tag }),
        },
      });
      if (wantsJson(cmd)) return printJson(t);
      say(`enrollment token ${t.id} (${t.label}) created, expires ${when(t.expiresAt)}`);
      say(t.token);
      say('');
      say('On the device, as root:');
      say(`  quell agent enroll --server ${t.agentUrl} --token ${t.token}`);
      note(
        `The token is shown only once and enrolls one device. It pins the agent listener's certificate (sha256 ${t.certSha256}).`,
      );
    },
  );

  withJson(enroll.command('list').description('enrollment tokens, newest first (never the tokens)')).action(
    async (_o: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      const res = await client.call('listEnrollmentTokens');
      if (wantsJson(cmd)) return printJson(res);
      printTokens(res.items);
    },
  );

  withJson(enroll.command('revoke').description('revoke an unused enrollment token').argument('<id>')).action(
    async (id: string, _o: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      const t = await client.call('revokeEnrollmentToken', { params: { id } });
      if (wantsJson(cmd)) return printJson(t);
      say(`enrollment token ${id} revoked`);
    },
  );
}
