import { Option, type Command } from 'commander';
import type { ActionBatch } from '@quell/contracts';
import { PENDING_STATUSES, actionDefinition, isActionType } from '@quell/core';
import { buildParams } from '../action-params.js';
import { clientFor, type Api } from '../api.js';
import { CliError } from '../errors.js';
import { intArg, repeat } from '../options.js';
import { note, pageHint, printJson, printTable, say, withJson, wantsJson } from '../output.js';
import { POLL_MS, WAIT_EXIT } from '../progress.js';

/** Statuses shown in a batch's counts, in lifecycle order; zero counts are left out. */
function countsText(b: ActionBatch): string {
  const parts = Object.entries(b.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s.replace(/_/g, ' ')}`);
  return parts.length ? parts.join(', ') : 'none';
}

export function unfinished(b: ActionBatch): number {
  return PENDING_STATUSES.reduce((n, s) => n + (b.counts[s] ?? 0), 0);
}

export function printBatch(b: ActionBatch): void {
  say(`batch ${b.id} ${b.type}: ${b.total} device(s) — ${countsText(b)}`);
  for (const s of b.skipped.slice(0, 20)) say(`  skipped ${s.device}: ${s.reason}`);
  if (b.skipped.length > 20) say(`  … and ${b.skipped.length - 20} more skipped (--json lists them all)`);
  say(`  its actions: quell actions list --batch ${b.id}`);
}

/** Follows a batch until nothing in it is pending; a line per change on stderr. */
export async function waitForBatch(
  api: Api,
  first: ActionBatch,
  timeoutSeconds?: number,
): Promise<ActionBatch> {
  const deadline = timeoutSeconds ? Date.now() + timeoutSeconds * 1000 : Infinity;
  let b = first;
  let last = '';
  for (;;) {
    const text = countsText(b);
    if (text !== last) note(`batch ${b.id}: ${text}`);
    last = text;
    if (unfinished(b) === 0 || Date.now() > deadline) return b;
    await new Promise((r) => setTimeout(r, POLL_MS));
    b = await api.call('getActionBatch', { params: { id: b.id } });
  }
}

interface RunOptions {
  device?: string[];
  group?: string[];
  all?: boolean;
  param?: string[];
  paramsJson?: string;
  comment?: string;
  incident?: string;
  ttlHours?: number;
  wait?: boolean;
  waitTimeout?: number;
}

export function registerBatch(program: Command): void {
  const batch = program
    .command('batch')
    .description('one action for many devices: a list, device groups or all (fanned out by the server)');

  withJson(
    batch
      .command('run')
      .description(
        'request one action on many devices, e.g. `quell batch run run_av_scan --all --param scope=quick`',
      )
      .argument('<type>', 'a device or file action type (see `quell actions types`)')
      .option('--device <hostname-or-id>', 'a device (repeatable; also comma-separated)', repeat)
      .option('--group <id>', 'every device of a device group (repeatable)', repeat)
      .option('--all', 'every enrolled device you may act on')
      .option('--param <key=value>', 'an action parameter (repeatable)', repeat)
      .option('--params-json <json>', 'all parameters as a JSON object (--param wins)')
      .option('--comment <text>', 'why (kept with every action and in the audit log)')
      .option('--incident <id>', 'link to this incident')
      .addOption(
        new Option('--ttl-hours <n>', 'how long each action may wait for its device').argParser(
          intArg(1, 720),
        ),
      )
      .option('--wait', 'follow the batch until none of its actions is pending')
      .addOption(
        new Option('--wait-timeout <seconds>', 'with --wait: stop waiting after this long').argParser(
          intArg(1, 86_400),
        ),
      ),
  ).action(async (type: string, o: RunOptions, cmd: Command) => {
    if (!isActionType(type)) {
      throw new CliError(
        `unknown action type "${type}"; run \`quell actions types\` to list them`,
        'QUELL_E_INPUT',
      );
    }
    const kind = actionDefinition(type).targetKind;
    if (kind !== 'device' && kind !== 'file') {
      throw new CliError(
        `${type} acts on a ${kind}, not on devices; use \`quell actions request\``,
        'QUELL_E_INPUT',
      );
    }
    const devices = (o.device ?? [])
      .flatMap((d) => d.split(','))
      .map((d) => d.trim())
      .filter(Boolean);
    if (!o.all && devices.length === 0 && !o.group?.length) {
      throw new CliError('choose devices: --device, --group or --all', 'QUELL_E_INPUT');
    }
    const params = buildParams(type, o.param ?? [], o.paramsJson);
    const api = await clientFor(cmd);
    const b = await api.call('requestActionBatch', {
      body: {
        type,
        select: {
          ...(devices.length && { devices }),
          ...(o.group?.length && { deviceGroupIds: o.group }),
          ...(o.all && { all: true as const }),
        },
        ...(Object.keys(params).length && { params }),
        ...(o.comment && { comment: o.comment }),
        ...(o.incident && { incidentId: o.incident }),
        ...(o.ttlHours && { ttlHours: o.ttlHours }),
      },
    });
    if (!o.wait) {
      if (wantsJson(cmd)) return printJson(b);
      return printBatch(b);
    }
    note(`batch ${b.id} ${type}: ${b.total} device(s) requested`);
    const end = await waitForBatch(api, b, o.waitTimeout);
    if (wantsJson(cmd)) printJson(end);
    else printBatch(end);
    if (unfinished(end) > 0) process.exitCode = WAIT_EXIT.stillRunning;
    else if ((end.counts.failed ?? 0) + (end.counts.expired ?? 0) + (end.counts.cancelled ?? 0) > 0)
      process.exitCode = 1;
  });

  withJson(
    batch
      .command('list')
      .description('batches, newest first, with their per-status counts')
      .addOption(new Option('--limit <n>', 'how many').argParser(intArg(1, 500)))
      .option('--cursor <cursor>', 'next page, from the previous list'),
  ).action(async (o: { limit?: number; cursor?: string }, cmd: Command) => {
    const api = await clientFor(cmd);
    const page = await api.call('listActionBatches', {
      query: { ...(o.limit && { limit: o.limit }), ...(o.cursor && { cursor: o.cursor }) },
    });
    if (wantsJson(cmd)) return printJson(page);
    printTable(
      ['ID', 'TYPE', 'DEVICES', 'STATUS', 'REQUESTED BY', 'CREATED'],
      page.items.map((b) => [b.id, b.type, String(b.total), countsText(b), b.requestedBy, b.createdAt]),
      'no batches yet',
    );
    pageHint(page.nextCursor);
  });

  withJson(batch.command('show').description('one batch and its per-status counts').argument('<id>')).action(
    async (id: string, _o: unknown, cmd: Command) => {
      const api = await clientFor(cmd);
      const b = await api.call('getActionBatch', { params: { id } });
      if (wantsJson(cmd)) return printJson(b);
      printBatch(b);
    },
  );
}
