import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import type { Indicator, IndicatorPatch } from '@quell/contracts';
import { INDICATOR_ACTIONS, INDICATOR_SOURCES, INDICATOR_TYPES, SEVERITIES } from '@quell/core';
import { clientFor } from '../api.js';
import { CliError } from '../errors.js';
import { choiceOption, collect, limitOption } from '../options.js';
import { printImport, printIndicator, printOutcome, scope } from './indicator-print.js';
import { registerIndicatorFeeds } from './indicator-feeds.command.js';
import { note, pageHint, printJson, printTable, say, when, withJson, wantsJson } from '../output.js';

const FORMATS = ['csv', 'stix'] as const;
type Format = (typeof FORMATS)[number];

/** `--format`, or the file's extension (.csv, .json) when it is not given. */
function formatOf(file: string, given: Format | undefined): Format {
  if (given) return given;
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.json') return 'stix';
  throw new CliError(`cannot tell the format of ${file}; add --format csv or --format stix`, 'QUELL_E_INPUT');
}

interface FilterOptions {
  type?: string;
  action?: string;
  source?: string;
  search?: string;
  group?: string;
  includeExpired?: boolean;
}

function withFilters(cmd: Command): Command {
  return cmd
    .addOption(choiceOption('--type <type>', 'only this type', INDICATOR_TYPES))
    .addOption(choiceOption('--action <action>', 'only this action', INDICATOR_ACTIONS))
    .addOption(choiceOption('--source <source>', 'only from this source', INDICATOR_SOURCES))
    .option('--search <text>', 'part of the value or title')
    .option('--group <id>', 'only indicators that list this device group')
    .option('--include-expired', 'also those whose expiry has passed');
}

function toQuery(o: FilterOptions) {
  return {
    ...(o.type && { type: o.type as Indicator['type'] }),
    ...(o.action && { action: o.action as Indicator['action'] }),
    ...(o.source && { source: o.source as Indicator['source'] }),
    ...(o.search && { q: o.search }),
    ...(o.group && { deviceGroupId: o.group }),
    ...(o.includeExpired && { includeExpired: true }),
  };
}

interface EditOptions {
  title?: string;
  description?: string;
  severity?: string;
  action?: string;
  expires?: string;
  /** false with --no-expiry (commander's negation of `--expiry`). */
  expiry?: boolean;
  scope?: 'all';
  groups?: string;
  /** true with --alert, false with --no-alert, undefined when neither is given. */
  alert?: boolean;
}

/** The PATCH body of `indicators edit`, refusing contradictory or empty edits before any request. */
export function editPatch(o: EditOptions): IndicatorPatch {
  if (o.expires !== undefined && o.expiry === false)
    throw new CliError('give --expires <iso> or --no-expiry, not both', 'QUELL_E_INPUT');
  if (o.scope && o.groups !== undefined)
    throw new CliError('give --scope all or --groups <ids>, not both', 'QUELL_E_INPUT');
  let groups: string[] | undefined;
  if (o.groups !== undefined) {
    groups = [
      ...new Set(
        o.groups
          .split(',')
          .map((g) => g.trim())
          .filter(Boolean),
      ),
    ];
    if (!groups.length)
      throw new CliError(
        '--groups needs at least one device group id (`quell groups list` lists them); use --scope all for every device',
        'QUELL_E_INPUT',
      );
  }
  const patch: IndicatorPatch = {
    ...(o.title !== undefined && { title: o.title }),
    ...(o.description !== undefined && { description: o.description === '' ? null : o.description }),
    ...(o.severity && { severity: o.severity as Indicator['severity'] }),
    ...(o.action && { action: o.action as Indicator['action'] }),
    ...(o.expires !== undefined && { expiresAt: o.expires }),
    ...(o.expiry === false && { expiresAt: null }),
    ...(o.scope === 'all' && { deviceGroupIds: [] }),
    ...(groups && { deviceGroupIds: groups }),
    ...(o.alert !== undefined && { generateAlert: o.alert }),
  };
  if (!Object.keys(patch).length)
    throw new CliError(
      'nothing to change; give at least one of --title, --description, --severity, --action, --expires, --no-expiry, --scope all, --groups, --alert, --no-alert',
      'QUELL_E_INPUT',
    );
  return patch;
}

export function registerIndicators(program: Command): void {
  const ind = program
    .command('indicators')
    .description('indicators of compromise: block, allow or audit hashes, addresses, domains and URLs');

  withJson(
    ind
      .command('add')
      .description('add an indicator (through the add_indicator action: approvals and undo apply)')
      .argument('<type>', INDICATOR_TYPES.join(' | '))
      .argument('<value>', 'hash, address or CIDR block, domain, or URL')
      .addOption(
        choiceOption('--action <action>', 'what it does (default block)', INDICATOR_ACTIONS).default('block'),
      )
      .option('--title <text>', 'shown in alerts (default: the value)')
      .option('--description <text>', 'why')
      .addOption(choiceOption('--severity <severity>', 'of its alerts (default medium)', SEVERITIES))
      .option('--no-alert', 'do not raise alerts when it matches')
      .option('--expires <iso>', 'when it stops applying, e.g. 2030-01-31T00:00:00Z')
      .option('--group <id>', 'limit it to a device group (repeatable); default all devices', collect)
      .option('--comment <text>', 'why (kept with the action)')
      .option('--upsert', 'replace an indicator of the same type, value and scope'),
  ).action(
    async (
      type: string,
      value: string,
      o: {
        action: string;
        title?: string;
        description?: string;
        severity?: string;
        alert: boolean;
        expires?: string;
        group?: string[];
        comment?: string;
        upsert?: boolean;
      },
      cmd: Command,
    ) => {
      if (!(INDICATOR_TYPES as readonly string[]).includes(type)) {
        throw new CliError(
          `unknown indicator type "${type}"; use one of ${INDICATOR_TYPES.join(', ')}`,
          'QUELL_E_INPUT',
        );
      }
      const api = await clientFor(cmd);
      const r = await api.call('createIndicator', {
        body: {
          type: type as Indicator['type'],
          value,
          action: o.action as Indicator['action'],
          ...(o.title && { title: o.title }),
          ...(o.description && { description: o.description }),
          ...(o.severity && { severity: o.severity as Indicator['severity'] }),
          ...(!o.alert && { generateAlert: false }),
          ...(o.expires && { expiresAt: o.expires }),
          ...(o.group?.length && { deviceGroupIds: o.group }),
          ...(o.comment && { comment: o.comment }),
          ...(o.upsert && { upsert: true }),
        },
      });
      if (wantsJson(cmd)) return printJson(r);
      printOutcome(r, 'added');
    },
  );

  withJson(
    withFilters(ind.command('list').description('indicators in force, newest first'))
      .addOption(limitOption())
      .option('--cursor <cursor>', 'next page, from the previous list'),
  ).action(async (o: FilterOptions & { limit?: number; cursor?: string }, cmd: Command) => {
    const api = await clientFor(cmd);
    const page = await api.call('listIndicators', {
      query: { ...toQuery(o), ...(o.limit && { limit: o.limit }), ...(o.cursor && { cursor: o.cursor }) },
    });
    if (wantsJson(cmd)) return printJson(page);
    printTable(
      ['ID', 'TYPE', 'VALUE', 'ACTION', 'SEVERITY', 'APPLIES TO', 'EXPIRES', 'SOURCE'],
      page.items.map((i) => [
        i.id,
        i.type,
        i.value,
        i.action,
        i.severity,
        scope(i),
        when(i.expiresAt),
        i.source,
      ]),
      'no indicators',
    );
    pageHint(page.nextCursor);
  });

  withJson(ind.command('show').description('one indicator').argument('<id>')).action(
    async (id: string, _o: unknown, cmd: Command) => {
      const api = await clientFor(cmd);
      const i = await api.call('getIndicator', { params: { id } });
      if (wantsJson(cmd)) return printJson(i);
      printIndicator(i);
    },
  );

  withJson(
    ind
      .command('edit')
      .description('change what an indicator does, or its scope (a new scope gives it a new id, in one step)')
      .argument('<id>')
      .option('--title <text>', 'shown in alerts')
      .option('--description <text>', 'why (an empty string clears it)')
      .addOption(choiceOption('--severity <severity>', 'of its alerts', SEVERITIES))
      .addOption(choiceOption('--action <action>', 'what it does', INDICATOR_ACTIONS))
      .option('--expires <iso>', 'when it stops applying, e.g. 2030-01-31T00:00:00Z')
      .option('--no-expiry', 'never expires')
      .addOption(choiceOption('--scope <scope>', 'all: every device (clears the device groups)', ['all']))
      .option('--groups <ids>', 'the device groups it applies to, comma-separated (replaces the scope)')
      .option('--alert', 'raise alerts when it matches')
      .option('--no-alert', 'do not raise alerts'),
  ).action(async (id: string, o: EditOptions, cmd: Command) => {
    const patch = editPatch(o);
    const api = await clientFor(cmd);
    const i = await api.call('patchIndicator', { params: { id }, body: patch });
    if (wantsJson(cmd)) return printJson(i);
    if (i.id !== id) say(`indicator ${id} now applies to ${scope(i)} as ${i.id} (the old id is retired)`);
    else say(`indicator ${i.id} updated`);
    printIndicator(i);
  });

  withJson(
    ind
      .command('remove')
      .description('remove an indicator (through the remove_indicator action)')
      .argument('<id>')
      .option('--comment <text>', 'why'),
  ).action(async (id: string, o: { comment?: string }, cmd: Command) => {
    const api = await clientFor(cmd);
    const r = await api.call('deleteIndicator', {
      params: { id },
      query: o.comment ? { comment: o.comment } : {},
    });
    if (wantsJson(cmd)) return printJson(r);
    printOutcome(r, 'removed');
  });

  withJson(
    ind
      .command('import')
      .description('import a CSV file or a STIX 2.1 bundle: all valid rows in one go, each bad one reported')
      .argument('<file>', 'the file, or - for stdin (then give --format)')
      .addOption(choiceOption('--format <format>', 'csv or stix (default: from the extension)', FORMATS))
      .option('--dry-run', 'check and count; change nothing')
      .addOption(
        choiceOption('--default-action <action>', 'for rows without one (default block)', INDICATOR_ACTIONS),
      )
      .addOption(
        choiceOption('--default-severity <severity>', 'for rows without one (default medium)', SEVERITIES),
      ),
  ).action(
    async (
      file: string,
      o: { format?: Format; dryRun?: boolean; defaultAction?: string; defaultSeverity?: string },
      cmd: Command,
    ) => {
      const format = formatOf(file, o.format);
      let text: string;
      try {
        text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      } catch (e) {
        throw new CliError(`cannot read ${file}: ${(e as Error).message}`, 'QUELL_E_INPUT');
      }
      let bundle: Record<string, unknown> | undefined;
      if (format === 'stix') {
        try {
          bundle = JSON.parse(text) as Record<string, unknown>;
        } catch (e) {
          throw new CliError(
            `${file} is not JSON, so not a STIX bundle: ${(e as Error).message}`,
            'QUELL_E_INPUT',
          );
        }
      }
      const api = await clientFor(cmd);
      const r = await api.call('importIndicators', {
        body: {
          format,
          ...(format === 'csv' ? { csv: text } : { bundle: bundle ?? {} }),
          ...(o.dryRun && { dryRun: true }),
          ...(o.defaultAction && { defaultAction: o.defaultAction as Indicator['action'] }),
          ...(o.defaultSeverity && { defaultSeverity: o.defaultSeverity as Indicator['severity'] }),
        },
      });
      if (wantsJson(cmd)) return printJson(r);
      printImport(r);
    },
  );

  withFilters(
    ind
      .command('export')
      .description('indicators as CSV or a STIX 2.1 bundle, with the same filters as list'),
  )
    .addOption(choiceOption('--format <format>', 'csv (default) or stix', FORMATS).default('csv'))
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action(async (o: FilterOptions & { format: Format; out?: string }, cmd: Command) => {
      const api = await clientFor(cmd);
      const text =
        o.format === 'csv'
          ? await api.call('exportIndicatorsCsv', { query: toQuery(o) })
          : `${JSON.stringify(await api.call('exportIndicatorsStix', { query: toQuery(o) }), null, 2)}\n`;
      if (o.out) {
        await writeFile(o.out, text);
        note(`wrote ${o.out}`);
      } else {
        process.stdout.write(text);
      }
    });

  registerIndicatorFeeds(ind);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
