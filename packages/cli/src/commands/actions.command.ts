import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import {
  ACTION_PERIODS,
  ACTION_SORTS,
  ACTION_VIEWS,
  type Action,
  type ActionListQuery,
  type ActionRequest,
} from '@quell/contracts';
import {
  ACTION_SOURCES,
  ACTION_STATUSES,
  ACTION_TYPES,
  TARGET_KINDS,
  actionDefinition,
  isActionType,
} from '@quell/core';
import { buildParams } from '../action-params.js';
import { clientFor, type Api } from '../api.js';
import { CliError } from '../errors.js';
import { choiceOption, intArg, limitOption, repeat } from '../options.js';
import {
  list,
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

interface FilterOptions {
  view?: ActionListQuery['view'];
  period?: ActionListQuery['period'];
  from?: string;
  to?: string;
  type?: ActionListQuery['type'];
  source?: ActionListQuery['source'];
  status?: ActionListQuery['status'];
  entity?: string;
  incident?: string;
  batch?: string;
  requestedBy?: string;
  decidedBy?: string;
  sort?: ActionListQuery['sort'];
  order?: ActionListQuery['order'];
  limit?: number;
  cursor?: string;
}

/** The Action Center filters, shared by `list` and `export` (the API takes the same query for both). */
function withFilters(cmd: Command): Command {
  return cmd
    .addOption(choiceOption('--view <view>', 'pending approval, finished history, or all', ACTION_VIEWS))
    .addOption(
      choiceOption(
        '--period <period>',
        'how far back',
        ACTION_PERIODS.filter((p) => p !== 'custom'),
      ),
    )
    .option('--from <iso>', 'created at or after (ISO 8601; implies a custom period)')
    .option('--to <iso>', 'created before (ISO 8601)')
    .addOption(choiceOption('--type <type>', 'action type', ACTION_TYPES))
    .addOption(choiceOption('--source <source>', 'who asked', ACTION_SOURCES))
    .addOption(choiceOption('--status <status>', 'action status', ACTION_STATUSES))
    .option('--entity <id>', 'target id, exact')
    .option('--incident <id>', 'actions linked to this incident')
    .option('--batch <id>', 'actions of this batch (`quell batch list`)')
    .option('--requested-by <who>', 'requested by (email or token:name)')
    .option('--decided-by <who>', 'approved or rejected by')
    .addOption(choiceOption('--sort <field>', 'sort field', ACTION_SORTS))
    .addOption(choiceOption('--order <order>', 'sort order', ['asc', 'desc']))
    .addOption(limitOption())
    .option('--cursor <cursor>', 'next page, from the previous list');
}

function toQuery(o: FilterOptions): ActionListQuery {
  const period = o.period ?? (o.from || o.to ? 'custom' : undefined);
  return {
    view: o.view,
    period,
    from: o.from,
    to: o.to,
    type: o.type,
    source: o.source,
    status: o.status,
    entity: o.entity,
    incidentId: o.incident,
    batchId: o.batch,
    requestedBy: o.requestedBy,
    decidedBy: o.decidedBy,
    sort: o.sort,
    order: o.order,
    limit: o.limit,
    cursor: o.cursor,
  };
}

function target(a: Action): string {
  const where = a.target.deviceHostname ? ` on ${a.target.deviceHostname}` : '';
  return `${a.target.kind}:${a.target.label ?? a.target.id}${where}`;
}

function printActions(actions: readonly Action[], empty = 'no actions'): void {
  printTable(
    ['ID', 'TYPE', 'TARGET', 'STATUS', 'SOURCE', 'REQUESTED BY', 'CREATED'],
    actions.map((a) => [
      a.id,
      a.type,
      target(a),
      a.policyStatus ? `${a.status} (${a.policyStatus})` : a.status,
      a.source,
      a.requestedBy,
      when(a.createdAt),
    ]),
    empty,
  );
}

/** One id goes to the single endpoint, several to the bulk one (all or nothing, one type). */
async function decide(
  client: Api,
  ids: string[],
  verb: 'approve' | 'reject' | 'undo',
  comment: string | undefined,
): Promise<Action[]> {
  const body = comment === undefined ? {} : { comment };
  if (ids.length === 1) {
    const id = ids[0] as string;
    if (verb === 'approve') return [await client.call('approveAction', { params: { id }, body })];
    if (verb === 'reject')
      return [await client.call('rejectAction', { params: { id }, body: { comment: comment ?? '' } })];
    return [await client.call('undoAction', { params: { id }, body })];
  }
  const op = verb === 'approve' ? 'bulkApprove' : verb === 'reject' ? 'bulkReject' : 'bulkUndo';
  return (await client.call(op, { body: { ids, ...body } })).actions;
}

export function registerActions(program: Command): void {
  const actions = program
    .command('actions')
    .description('the Action Center: request, approve, reject, cancel, undo, export');

  withJson(withFilters(actions.command('list').description('pending and past actions'))).action(
    async (opts: FilterOptions, cmd: Command) => {
      const client = await clientFor(cmd);
      const page = await client.call('listActions', { query: toQuery(opts) });
      if (wantsJson(cmd)) return printJson(page);
      printActions(page.items);
      pageHint(page.nextCursor);
    },
  );

  withJson(actions.command('show').description('one action with its timeline').argument('<id>')).action(
    async (id: string, _opts: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      const a = await client.call('getAction', { params: { id } });
      if (wantsJson(cmd)) return printJson(a);
      printRecord([
        ['id', a.id],
        ['type', `${a.type} (${a.title})`],
        ['target', target(a)],
        ['status', a.status],
        ['policy status', a.policyStatus],
        ['source', a.source],
        ['device group', a.deviceGroupId],
        ['incident', a.incidentId],
        ['requested by', a.requestedBy],
        ['request comment', a.requestComment],
        ['approval', a.approvalReason],
        ['decided by', a.decidedBy],
        ['decision comment', a.decisionComment],
        ['params', Object.keys(a.params).length ? JSON.stringify(a.params) : null],
        ['result', a.result ? JSON.stringify(a.result) : null],
        ['error', a.error],
        ['undo of', a.undoOf],
        ['undone by', a.undoneBy],
        ['attempts', a.attempts],
        ['created', when(a.createdAt)],
        ['expires', when(a.expiresAt)],
      ]);
      say('\nTimeline');
      printTable(
        ['AT', 'FROM', 'TO', 'BY', 'REASON'],
        a.timeline.map((e) => [when(e.at), e.from, e.to, e.actor, e.reason]),
        'no events',
      );
    },
  );

  withJson(
    actions
      .command('request')
      .description('request an action (see `quell actions types`); it runs or waits for approval per policy')
      .argument('<type>', 'action type, e.g. isolate_device')
      .addOption(
        choiceOption('--target-kind <kind>', "target kind (default: the action type's)", TARGET_KINDS),
      )
      .requiredOption('--target <id>', 'device hostname, file SHA-256, user name, mailbox address…')
      .option('--target-label <label>', 'a readable name for the target')
      .option('--device <hostname>', 'for file actions: the device holding the file')
      .option('--param <key=value>', 'an action parameter (repeatable)', repeat)
      .option('--params-json <json>', 'all parameters as a JSON object (--param wins)')
      .option('--incident <id>', 'link to this incident')
      .option('--comment <text>', 'why')
      .addOption(
        new Option('--ttl-hours <n>', 'how long it may wait for its target').argParser(intArg(1, 720)),
      ),
  ).action(
    async (
      type: string,
      opts: {
        targetKind?: ActionRequest['target']['kind'];
        target: string;
        targetLabel?: string;
        device?: string;
        param?: string[];
        paramsJson?: string;
        incident?: string;
        comment?: string;
        ttlHours?: number;
      },
      cmd: Command,
    ) => {
      if (!isActionType(type)) {
        throw new CliError(
          `unknown action type "${type}"; run \`quell actions types\` to list them`,
          'QUELL_E_INPUT',
        );
      }
      const params = buildParams(type, opts.param ?? [], opts.paramsJson);
      const client = await clientFor(cmd);
      const a = await client.call('requestAction', {
        body: {
          type,
          target: {
            kind: opts.targetKind ?? actionDefinition(type).targetKind,
            id: opts.target,
            ...(opts.targetLabel && { label: opts.targetLabel }),
            ...(opts.device && { deviceHostname: opts.device }),
          },
          ...(Object.keys(params).length && { params }),
          ...(opts.incident && { incidentId: opts.incident }),
          ...(opts.comment && { comment: opts.comment }),
          ...(opts.ttlHours && { ttlHours: opts.ttlHours }),
        },
      });
      if (wantsJson(cmd)) return printJson(a);
      say(`action ${a.id} ${a.type} on ${target(a)}: ${a.status}`);
      say(`  ${a.approvalReason}`);
    },
  );

  for (const verb of ['approve', 'reject', 'undo'] as const) {
    const c = actions
      .command(verb)
      .description(
        verb === 'approve'
          ? 'approve pending actions (several at once must be of one type)'
          : verb === 'reject'
            ? 'reject pending actions, saying why'
            : 'undo finished actions by requesting their inverse (several at once must be of one type)',
      )
      .argument('<ids...>');
    if (verb === 'reject') c.requiredOption('--comment <text>', 'why (required)');
    else c.option('--comment <text>', 'why');
    withJson(c).action(async (ids: string[], opts: { comment?: string }, cmd: Command) => {
      const client = await clientFor(cmd);
      const result = await decide(client, ids, verb, opts.comment);
      if (wantsJson(cmd)) return printJson(ids.length === 1 ? result[0] : { actions: result });
      const past = { approve: 'approved', reject: 'rejected', undo: 'undo requested for' }[verb];
      say(`${past} ${ids.length} action${ids.length === 1 ? '' : 's'}`);
      printActions(result);
    });
  }

  withJson(
    actions
      .command('cancel')
      .description('cancel an action that has not finished')
      .argument('<id>')
      .option('--comment <text>', 'why'),
  ).action(async (id: string, opts: { comment?: string }, cmd: Command) => {
    const client = await clientFor(cmd);
    const a = await client.call('cancelAction', {
      params: { id },
      body: opts.comment ? { comment: opts.comment } : {},
    });
    if (wantsJson(cmd)) return printJson(a);
    say(`action ${a.id}: ${a.status}`);
  });

  withFilters(
    actions.command('export').description('the Action Center as CSV, with the same filters as list'),
  )
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (opts: FilterOptions & { out?: string }, cmd: Command) => {
      const client = await clientFor(cmd);
      const csv = await client.call('exportActions', { query: toQuery(opts) });
      if (opts.out) {
        await writeFile(opts.out, csv);
        note(`wrote ${opts.out}`);
      } else {
        process.stdout.write(csv);
      }
    });

  withJson(
    actions.command('types').description('the action catalog: every action type and what it does'),
  ).action(async (_opts: unknown, cmd: Command) => {
    const client = await clientFor(cmd);
    const catalog = await client.call('actionCatalog');
    if (wantsJson(cmd)) return printJson(catalog);
    printTable(
      ['TYPE', 'TITLE', 'TARGET', 'KIND', 'FLAGS', 'UNDO', 'APPROVERS', 'EXECUTOR'],
      catalog.items.map((e) => [
        e.id,
        e.title,
        e.targetKind,
        e.kind,
        list(
          [e.destructive && 'destructive', e.reversible && 'reversible', e.readOnly && 'read-only'].filter(
            (f): f is string => !!f,
          ),
        ),
        e.undo,
        list(e.approveRoles),
        e.executorAvailable ? 'installed' : 'not installed',
      ]),
      'no action types',
    );
  });
}
