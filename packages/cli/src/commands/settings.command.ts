import { Option, type Command } from 'commander';
import type { Settings, SettingsPatch } from '@quell/contracts';
import { clientFor } from '../api.js';
import { CliError } from '../errors.js';
import { intArg, onOff } from '../options.js';
import { printJson, printRecord, printTable, say, withJson, wantsJson } from '../output.js';

function printSettings(s: Settings): void {
  printRecord([
    ['two-person rule', s.twoPersonRule ? 'on' : 'off'],
    ['approval timeout', `${s.approvalTimeoutHours} h`],
    ['action TTL', `${s.actionTtlHours} h`],
    ['correlation window', `${s.correlationWindowHours} h`],
  ]);
  say('\nApproval rules (first match wins)');
  printTable(
    ['SOURCE', 'ACTION TYPE', 'DEVICE GROUP', 'APPROVAL'],
    s.approvalRules.map((r) => [
      r.source ?? 'any',
      r.actionType ?? 'any',
      r.deviceGroupId ?? 'any',
      r.requireApproval ? 'required' : 'not required',
    ]),
    'no approval rules: device group automation levels decide',
  );
  say('\nWebhooks');
  printTable(
    ['NAME', 'URL', 'SECRET FROM'],
    s.webhooks.map((w) => [w.name, w.url, w.secretRef]),
    'no webhooks',
  );
}

export function registerSettings(program: Command): void {
  const settings = program.command('settings').description('approval, expiry and correlation settings');

  withJson(settings.command('show').description('current settings')).action(
    async (_o: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      const s = await client.call('getSettings');
      if (wantsJson(cmd)) return printJson(s);
      printSettings(s);
    },
  );

  withJson(
    settings
      .command('set')
      .description('change settings (admin)')
      .addOption(
        new Option(
          '--two-person-rule <on|off>',
          'destructive actions need a second person to approve',
        ).argParser(onOff),
      )
      .addOption(
        new Option('--approval-timeout-hours <n>', 'pending approvals time out after this').argParser(
          intArg(1, 24 * 90),
        ),
      )
      .addOption(
        new Option('--action-ttl-hours <n>', 'queued actions expire after this').argParser(
          intArg(1, 24 * 90),
        ),
      )
      .addOption(
        new Option(
          '--correlation-window-hours <n>',
          'alerts this close in time may join one incident',
        ).argParser(intArg(1, 24 * 30)),
      ),
  ).action(
    async (
      o: {
        twoPersonRule?: boolean;
        approvalTimeoutHours?: number;
        actionTtlHours?: number;
        correlationWindowHours?: number;
      },
      cmd: Command,
    ) => {
      const body: SettingsPatch = {
        ...(o.twoPersonRule !== undefined && { twoPersonRule: o.twoPersonRule }),
        ...(o.approvalTimeoutHours !== undefined && { approvalTimeoutHours: o.approvalTimeoutHours }),
        ...(o.actionTtlHours !== undefined && { actionTtlHours: o.actionTtlHours }),
        ...(o.correlationWindowHours !== undefined && { correlationWindowHours: o.correlationWindowHours }),
      };
      if (Object.keys(body).length === 0)
        throw new CliError('nothing to change: give at least one option (see --help)', 'QUELL_E_INPUT');
      const client = await clientFor(cmd);
      const s = await client.call('patchSettings', { body });
      if (wantsJson(cmd)) return printJson(s);
      say('settings updated');
      printSettings(s);
    },
  );
}
