import { Option, type Command } from 'commander';
import type { DeviceGroup, DeviceGroupInput } from '@quell/contracts';
import { AUTOMATION_LEVELS } from '@quell/core';
import { clientFor } from '../api.js';
import { CliError } from '../errors.js';
import { choiceOption, collect, intArg } from '../options.js';
import { printJson, printRecord, printTable, say, withJson, wantsJson } from '../output.js';

interface GroupOptions {
  name?: string;
  description?: string;
  rank?: number;
  namePattern?: string;
  tag?: string[];
  os?: string;
  automation?: DeviceGroupInput['automationLevel'];
}

function rule(g: DeviceGroup): string {
  const parts = [
    g.rule.namePattern && `name ${g.rule.namePattern}`,
    g.rule.tags?.length && `tags ${g.rule.tags.join('+')}`,
    g.rule.os && `os ${g.rule.os}*`,
  ].filter(Boolean);
  return g.builtIn ? 'every device not in another group' : parts.join(', ') || 'every device';
}

function printGroups(groups: readonly DeviceGroup[]): void {
  printTable(
    ['ID', 'RANK', 'NAME', 'MATCHES', 'AUTOMATION', 'DEVICES'],
    groups.map((g) => [g.id, g.builtIn ? 'last' : g.rank, g.name, rule(g), g.automationLevel, g.deviceCount]),
    'no device groups',
  );
}

function withGroupFields(cmd: Command, creating: boolean): Command {
  const name = new Option('--name <name>', 'group name');
  const rank = new Option('--rank <n>', 'evaluation order, lowest first (1-10000)').argParser(
    intArg(1, 10_000),
  );
  const automation = choiceOption(
    '--automation <level>',
    'automation level for devices in the group',
    AUTOMATION_LEVELS,
  );
  return cmd
    .addOption(creating ? name.makeOptionMandatory() : name)
    .option('--description <text>', 'what the group is for')
    .addOption(creating ? rank.makeOptionMandatory() : rank)
    .option('--name-pattern <glob>', 'hostname glob (* and ?)')
    .option('--tag <tag>', 'devices carrying this tag (repeatable; all must match)', collect)
    .option('--os <prefix>', 'OS name prefix, e.g. Debian')
    .addOption(creating ? automation.makeOptionMandatory() : automation);
}

/** The rule fields given on the command line, or undefined when none was. */
function ruleOf(o: GroupOptions): DeviceGroupInput['rule'] | undefined {
  if (o.namePattern === undefined && o.tag === undefined && o.os === undefined) return undefined;
  return {
    ...(o.namePattern !== undefined && { namePattern: o.namePattern }),
    ...(o.tag !== undefined && { tags: o.tag }),
    ...(o.os !== undefined && { os: o.os }),
  };
}

export function registerDeviceGroups(program: Command): void {
  const groups = program
    .command('device-groups')
    .description('device groups: who may act where, and how much runs automatically');

  withJson(groups.command('list').description('device groups in the order devices are matched')).action(
    async (_o: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      const res = await client.call('listDeviceGroups');
      if (wantsJson(cmd)) return printJson(res);
      printGroups(res.items);
    },
  );

  withJson(withGroupFields(groups.command('create').description('create a device group'), true)).action(
    async (o: GroupOptions, cmd: Command) => {
      const client = await clientFor(cmd);
      const g = await client.call('createDeviceGroup', {
        body: {
          name: o.name ?? '',
          rank: o.rank ?? 0,
          automationLevel: o.automation ?? 'none',
          rule: ruleOf(o) ?? {},
          ...(o.description !== undefined && { description: o.description }),
        },
      });
      if (wantsJson(cmd)) return printJson(g);
      say(`device group ${g.id} created`);
      printGroups([g]);
    },
  );

  withJson(
    withGroupFields(
      groups
        .command('update')
        .description('change a device group (the ungrouped default: automation only)')
        .argument('<id>'),
      false,
    ),
  ).action(async (id: string, o: GroupOptions, cmd: Command) => {
    const r = ruleOf(o);
    const body = {
      ...(o.name !== undefined && { name: o.name }),
      ...(o.description !== undefined && { description: o.description }),
      ...(o.rank !== undefined && { rank: o.rank }),
      ...(o.automation !== undefined && { automationLevel: o.automation }),
      ...(r && { rule: r }),
    };
    if (Object.keys(body).length === 0)
      throw new CliError('nothing to change: give at least one option (see --help)', 'QUELL_E_INPUT');
    const client = await clientFor(cmd);
    const g = await client.call('patchDeviceGroup', { params: { id }, body });
    if (wantsJson(cmd)) return printJson(g);
    say(`device group ${g.id} updated`);
    printGroups([g]);
  });

  groups
    .command('delete')
    .description('delete a device group; its devices fall to the next matching group')
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      await client.call('deleteDeviceGroup', { params: { id } });
      say(`device group ${id} deleted`);
    });

  withJson(
    groups
      .command('preview')
      .description('which group a device would fall into')
      .requiredOption('--hostname <name>', 'device hostname')
      .option('--os <os>', 'device OS name')
      .option('--tag <tag>', 'device tag (repeatable)', collect),
  ).action(async (o: { hostname: string; os?: string; tag?: string[] }, cmd: Command) => {
    const client = await clientFor(cmd);
    const g = await client.call('previewDeviceGroup', {
      body: { hostname: o.hostname, ...(o.os !== undefined && { os: o.os }), ...(o.tag && { tags: o.tag }) },
    });
    if (wantsJson(cmd)) return printJson(g);
    printRecord([
      ['device', o.hostname],
      ['group', `${g.name} (${g.id})`],
      ['automation', g.automationLevel],
    ]);
  });
}
