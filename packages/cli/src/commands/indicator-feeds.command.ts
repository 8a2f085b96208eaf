import { Option, type Command } from 'commander';
import type { Indicator, TaxiiFeed, TaxiiFeedPatch } from '@quell/contracts';
import { INDICATOR_ACTIONS, SEVERITIES } from '@quell/core';
import { clientFor } from '../api.js';
import { CliError } from '../errors.js';
import { choiceOption, intArg } from '../options.js';
import { note, printJson, printTable, say, when, withJson, wantsJson } from '../output.js';
import { printImport } from './indicator-print.js';

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

interface FeedEditOptions {
  name?: string;
  discoveryUrl?: string;
  apiRoot?: string;
  collection?: string;
  auth?: 'none' | 'basic' | 'bearer';
  username?: string;
  secretEnv?: string;
  defaultAction?: string;
  defaultSeverity?: string;
  every?: number;
  enable?: boolean;
  disable?: boolean;
  resetCursor?: boolean;
}

const orNull = (v: string) => (v === '' ? null : v);

/** The PATCH body of `feeds edit`; refuses an empty or contradictory edit before any request. */
export function feedPatch(o: FeedEditOptions): TaxiiFeedPatch {
  if (o.enable && o.disable) throw new CliError('give --enable or --disable, not both', 'QUELL_E_INPUT');
  const patch: TaxiiFeedPatch = {
    ...(o.name !== undefined && { name: o.name }),
    ...(o.discoveryUrl !== undefined && { discoveryUrl: orNull(o.discoveryUrl) }),
    ...(o.apiRoot !== undefined && { apiRootUrl: orNull(o.apiRoot) }),
    ...(o.collection !== undefined && { collectionId: o.collection }),
    ...(o.auth && { authKind: o.auth }),
    ...(o.username !== undefined && { username: orNull(o.username) }),
    ...(o.secretEnv !== undefined && { secretEnv: orNull(o.secretEnv) }),
    ...(o.defaultAction && { defaultAction: o.defaultAction as Indicator['action'] }),
    ...(o.defaultSeverity && { defaultSeverity: o.defaultSeverity as Indicator['severity'] }),
    ...(o.every !== undefined && { intervalMinutes: o.every }),
    ...(o.enable && { enabled: true }),
    ...(o.disable && { enabled: false }),
    ...(o.resetCursor && { resetCursor: true }),
  };
  if (!Object.keys(patch).length)
    throw new CliError(
      'nothing to change; `quell indicators feeds edit --help` lists the options',
      'QUELL_E_INPUT',
    );
  return patch;
}

/** `quell indicators feeds …`: TAXII 2.1 feeds the server pulls indicators from. */
export function registerIndicatorFeeds(ind: Command): void {
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

  withJson(
    feeds
      .command('edit')
      .description('change a feed; only the options given change')
      .argument('<id>')
      .option('--name <name>')
      .option('--discovery-url <url>', 'the TAXII discovery endpoint ("" clears it)')
      .option('--api-root <url>', 'the API root ("" clears it)')
      .option('--collection <id>', 'the collection to read')
      .addOption(choiceOption('--auth <kind>', 'none, basic or bearer', ['none', 'basic', 'bearer']))
      .option('--username <name>', 'for basic authentication ("" clears it)')
      .option('--secret-env <NAME>', 'server environment variable with the password or token ("" clears it)')
      .addOption(
        choiceOption('--default-action <action>', 'for indicators without x_quell_action', INDICATOR_ACTIONS),
      )
      .addOption(choiceOption('--default-severity <severity>', 'for indicators without one', SEVERITIES))
      .addOption(new Option('--every <minutes>', 'pull interval').argParser(intArg(5, 10_080)))
      .option('--enable', 'pull on schedule')
      .option('--disable', 'stop pulling on schedule (pull now still works)')
      .option('--reset-cursor', 'pull everything again on the next pull'),
  ).action(async (id: string, o: FeedEditOptions, cmd: Command) => {
    const api = await clientFor(cmd);
    const f = await api.call('patchTaxiiFeed', { params: { id }, body: feedPatch(o) });
    if (wantsJson(cmd)) return printJson(f);
    say(`TAXII feed ${f.id} (${f.name}) changed`);
    printFeeds([f]);
  });

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
