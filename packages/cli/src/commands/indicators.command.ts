import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import type { Indicator, IndicatorActionResult, IndicatorImportResult, TaxiiFeed } from '@quell/contracts';
import { INDICATOR_ACTIONS, INDICATOR_SOURCES, INDICATOR_TYPES, SEVERITIES } from '@quell/core';
import { clientFor } from '../api.js';
import { CliError } from '../errors.js';
import { choiceOption, collect, intArg, limitOption } from '../options.js';
import {
  note,
  pageHint,
  printJson,
  printRecord,
  printTable,
  say,
  when,
  withJson,
  wantsJson,
} from '../output.js';

const FORMATS = ['csv', 'stix'] as const;
type Format = (typeof FORMATS)[number];

function scope(i: Pick<Indicator, 'deviceGroupIds'>): string {
  return i.deviceGroupIds.length ? i.deviceGroupIds.join(', ') : 'all devices';
}

function printIndicator(i: Indicator): void {
  printRecord([
    ['id', i.id],
    ['type', i.type],
    ['value', i.value],
    ['action', i.action],
    ['title', i.title],
    ['description', i.description],
    ['severity', i.severity],
    ['alerts', i.generateAlert ? 'yes' : 'no'],
    ['expires', i.expiresAt ? `${when(i.expiresAt)}${i.expired ? ' (expired)' : ''}` : 'never'],
    ['applies to', scope(i)],
    ['source', i.externalId ? `${i.source} (${i.externalId})` : i.source],
    ['created', `${when(i.createdAt)} by ${i.createdBy}`],
    ['updated', when(i.updatedAt)],
  ]);
}

/** What a create or remove came to: applied, waiting for approval, or still queued. */
function printOutcome(r: IndicatorActionResult, verb: string): void {
  if (r.outcome === 'applied') {
    if (r.indicator)
      say(
        `indicator ${r.indicator.id} ${verb}: ${r.indicator.type} ${r.indicator.value} → ${r.indicator.action} (${scope(r.indicator)})`,
      );
    else say(`indicator ${verb} (action ${r.action.id})`);
    return;
  }
  if (r.outcome === 'pending_approval') {
    say(
      `action ${r.action.id} ${r.action.type} waits for approval (${r.action.approvalReason}); \`quell actions approve ${r.action.id}\``,
    );
    return;
  }
  say(
    `action ${r.action.id} ${r.action.type} is ${r.action.status}; follow it with \`quell actions show ${r.action.id}\``,
  );
}

function printImport(r: IndicatorImportResult): void {
  const what = r.dryRun ? 'would import' : 'imported';
  say(
    `${what} ${r.imported} new, ${r.updated} updated, ${r.removed} withdrawn, ${r.rejected.length} rejected${r.ignored ? `, ${r.ignored} other objects ignored` : ''}`,
  );
  for (const x of r.rejected.slice(0, 50)) {
    const where =
      x.row !== undefined ? `line ${x.row}` : `object ${x.index ?? '?'}${x.stixId ? ` (${x.stixId})` : ''}`;
    say(`  ${where}${x.value ? ` ${x.value}` : ''}: ${x.reason}`);
  }
  if (r.rejected.length > 50) say(`  … and ${r.rejected.length - 50} more (--json lists them all)`);
}

function printFeeds(items: readonly TaxiiFeed[]): void {
  printTable(
    ['ID', 'NAME', 'COLLECTION', 'AUTH', 'EVERY', 'ENABLED', 'LAST PULL', 'LAST COUNTS', 'LAST ERROR'],
    items.map((f) => [
      f.id,
      f.name,
      f.collectionId,
      f.authKind === 'none' ? 'none' : `${f.authKind} ($${f.secretEnv ?? '?'})`,
      `${f.intervalMinutes} min`,
      f.enabled ? 'yes' : 'no',
      when(f.lastPulledAt),
      `+${f.lastCounts.imported} ~${f.lastCounts.updated} -${f.lastCounts.removed} ✗${f.lastCounts.rejected}`,
      f.lastError,
    ]),
    'no TAXII feeds; add one with `quell indicators feeds add`',
  );
}

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

  const feeds = ind.command('feeds').description('TAXII 2.1 feeds the server pulls indicators from');

  withJson(feeds.command('list').description('feeds, with their last pull')).action(
    async (_o: unknown, cmd: Command) => {
      const api = await clientFor(cmd);
      const r = await api.call('listTaxiiFeeds');
      if (wantsJson(cmd)) return printJson(r);
      printFeeds(r.items);
    },
  );

  withJson(
    feeds
      .command('add')
      .description('add a feed; its password or token is read from an environment variable of the server')
      .argument('<name>')
      .option('--discovery-url <url>', 'the TAXII discovery endpoint (or give --api-root)')
      .option('--api-root <url>', 'the API root, when not found through discovery')
      .requiredOption('--collection <id>', 'the collection to read')
      .addOption(
        choiceOption('--auth <kind>', 'none (default), basic or bearer', ['none', 'basic', 'bearer']),
      )
      .option('--username <name>', 'for basic authentication')
      .option('--secret-env <NAME>', 'name of the server environment variable holding the password or token')
      .addOption(
        choiceOption(
          '--default-action <action>',
          'for indicators without x_quell_action (default block)',
          INDICATOR_ACTIONS,
        ),
      )
      .addOption(choiceOption('--default-severity <severity>', 'default medium', SEVERITIES))
      .addOption(new Option('--every <minutes>', 'pull interval (default 60)').argParser(intArg(5, 10_080)))
      .option('--disabled', 'add it without pulling on schedule'),
  ).action(
    async (
      name: string,
      o: {
        discoveryUrl?: string;
        apiRoot?: string;
        collection: string;
        auth?: 'none' | 'basic' | 'bearer';
        username?: string;
        secretEnv?: string;
        defaultAction?: string;
        defaultSeverity?: string;
        every?: number;
        disabled?: boolean;
      },
      cmd: Command,
    ) => {
      if (!o.discoveryUrl && !o.apiRoot)
        throw new CliError('give --discovery-url or --api-root', 'QUELL_E_INPUT');
      const api = await clientFor(cmd);
      const f = await api.call('createTaxiiFeed', {
        body: {
          name,
          collectionId: o.collection,
          ...(o.discoveryUrl && { discoveryUrl: o.discoveryUrl }),
          ...(o.apiRoot && { apiRootUrl: o.apiRoot }),
          ...(o.auth && { authKind: o.auth }),
          ...(o.username && { username: o.username }),
          ...(o.secretEnv && { secretEnv: o.secretEnv }),
          ...(o.defaultAction && { defaultAction: o.defaultAction as Indicator['action'] }),
          ...(o.defaultSeverity && { defaultSeverity: o.defaultSeverity as Indicator['severity'] }),
          ...(o.every && { intervalMinutes: o.every }),
          ...(o.disabled && { enabled: false }),
        },
      });
      if (wantsJson(cmd)) return printJson(f);
      say(`TAXII feed ${f.id} (${f.name}) added; pull it now with \`quell indicators feeds pull ${f.id}\``);
    },
  );

  withJson(feeds.command('pull').description('pull a feed now').argument('<id>')).action(
    async (id: string, _o: unknown, cmd: Command) => {
      const api = await clientFor(cmd);
      const r = await api.call('pullTaxiiFeed', { params: { id } });
      if (wantsJson(cmd)) return printJson(r);
      note(
        `pulled ${r.pages} page(s) of ${r.feed.name}${r.complete ? '' : '; more remain for the next pull'}`,
      );
      printImport(r.import);
    },
  );

  feeds
    .command('remove')
    .description('delete a feed (the indicators it imported stay)')
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const api = await clientFor(cmd);
      await api.call('deleteTaxiiFeed', { params: { id } });
      say(`TAXII feed ${id} deleted`);
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
