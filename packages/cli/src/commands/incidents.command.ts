import type { Command } from 'commander';
import { ApiError, INCIDENT_SORTS, type Incident, type IncidentPatch } from '@quell/contracts';
import { CLASSIFICATIONS, DETERMINATIONS, INCIDENT_STATUSES, SEVERITIES } from '@quell/core';
import { clientFor, type Api } from '../api.js';
import { CliError } from '../errors.js';
import { choiceOption, collect, limitOption } from '../options.js';
import {
  list,
  pageHint,
  printJson,
  printRecord,
  printTable,
  say,
  when,
  withJson,
  wantsJson,
} from '../output.js';

const ALL_DETERMINATIONS = [...new Set(Object.values(DETERMINATIONS).flat())];

/**
 * Read-modify-write with the incident's version: fetch it, build the change from what is there,
 * send it. A 409 means someone changed it in between; the user re-runs rather than we retry
 * blindly, since the change may no longer make sense.
 */
async function patchIncident(
  client: Api,
  id: string,
  build: (current: Incident) => Omit<IncidentPatch, 'version'>,
): Promise<Incident> {
  const current = await client.call('getIncident', { params: { id } });
  try {
    return await client.call('patchIncident', {
      params: { id },
      body: { ...build(current), version: current.version },
    });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'QUELL_E_CONFLICT' && 'version' in e.details) {
      throw new ApiError(
        e.status,
        e.code,
        `incident ${id} changed meanwhile (someone else edited it); run the command again`,
        e.details,
      );
    }
    throw e;
  }
}

function printIncident(i: Incident): void {
  printRecord([
    ['id', i.id],
    ['title', i.title],
    ['status', i.redirectedTo ? `${i.status} -> ${i.redirectedTo}` : i.status],
    ['severity', i.severityOverridden ? `${i.severity} (set by hand)` : i.severity],
    ['assignee', i.assignee],
    ['classification', i.classification],
    ['determination', i.determination],
    ['tags', list([...i.tags, ...i.systemTags])],
    ['MITRE ATT&CK', list(i.mitreTechniques)],
    ['first activity', when(i.firstActivityAt)],
    ['last activity', when(i.lastActivityAt)],
    ['resolution note', i.resolutionNote],
    ['version', i.version],
  ]);
}

function done(cmd: Command, i: Incident, what: string): void {
  if (wantsJson(cmd)) printJson(i);
  else say(`incident ${i.id} ${what}`);
}

export function registerIncidents(program: Command): void {
  const incidents = program
    .command('incidents')
    .description('triage incidents: list, assign, classify, resolve, merge');

  withJson(
    incidents
      .command('list')
      .description('the incident queue')
      .addOption(choiceOption('--status <status>', 'only this status', INCIDENT_STATUSES))
      .addOption(choiceOption('--severity <severity>', 'only this severity', SEVERITIES))
      .option('--assignee <email>', 'only incidents assigned to this person')
      .option('--tag <tag>', 'only incidents with this tag')
      .option('--q <text>', 'text in the title')
      .addOption(choiceOption('--sort <field>', 'sort field', INCIDENT_SORTS))
      .addOption(choiceOption('--order <order>', 'sort order', ['asc', 'desc']))
      .addOption(limitOption())
      .option('--cursor <cursor>', 'next page, from the previous list'),
  ).action(async (opts: Record<string, string | number | undefined>, cmd: Command) => {
    const client = await clientFor(cmd);
    const { json: _json, ...query } = opts;
    const page = await client.call('listIncidents', { query });
    if (wantsJson(cmd)) return printJson(page);
    printTable(
      ['ID', 'SEVERITY', 'STATUS', 'TITLE', 'ASSIGNEE', 'ALERTS', 'LAST ACTIVITY'],
      page.items.map((i) => [
        i.id,
        i.severity,
        i.status,
        i.title,
        i.assignee,
        i.alertCount,
        when(i.lastActivityAt),
      ]),
      'no incidents',
    );
    pageHint(page.nextCursor);
  });

  withJson(
    incidents
      .command('show')
      .description('one incident with its alerts, entities and activity')
      .argument('<id>'),
  ).action(async (id: string, _opts: unknown, cmd: Command) => {
    const client = await clientFor(cmd);
    const i = await client.call('getIncident', { params: { id } });
    if (wantsJson(cmd)) return printJson(i);
    printIncident(i);
    say('\nAlerts');
    printTable(
      ['ID', 'SEVERITY', 'STATUS', 'TITLE', 'SOURCE', 'FIRST ACTIVITY'],
      i.alerts.map((a) => [a.id, a.severity, a.status, a.title, a.detectionSource, when(a.firstActivityAt)]),
      'no alerts',
    );
    say('\nEntities');
    printTable(
      ['KIND', 'ENTITY'],
      i.entities.map((e) => [e.kind, e.label]),
      'no entities',
    );
    const activity = await client.call('incidentActivity', { params: { id } });
    say('\nActivity');
    printTable(
      ['AT', 'WHO', 'WHAT', 'DETAIL'],
      activity.items.map((a) => [
        when(a.at),
        a.actor,
        a.kind,
        a.text ?? (Object.keys(a.data).length ? JSON.stringify(a.data) : null),
      ]),
      'no activity',
    );
  });

  withJson(
    incidents
      .command('assign')
      .description('assign an incident to someone (an email), to yourself (--me), or to nobody (--none)')
      .argument('<id>')
      .argument('[email]')
      .option('--me', 'assign to yourself')
      .option('--none', 'unassign'),
  ).action(
    async (id: string, email: string | undefined, opts: { me?: boolean; none?: boolean }, cmd: Command) => {
      const choices = [email !== undefined, opts.me === true, opts.none === true].filter(Boolean).length;
      if (choices !== 1) throw new CliError('give exactly one of: an email, --me, --none', 'QUELL_E_INPUT');
      const client = await clientFor(cmd);
      const assignee = opts.none ? null : opts.me ? (await client.call('me')).name : (email ?? null);
      const i = await patchIncident(client, id, () => ({ assignee }));
      done(cmd, i, assignee ? `assigned to ${assignee}` : 'unassigned');
    },
  );

  withJson(
    incidents
      .command('classify')
      .description('record what the incident turned out to be')
      .argument('<id>')
      .addOption(
        choiceOption('--classification <c>', 'classification', CLASSIFICATIONS).makeOptionMandatory(),
      )
      .addOption(
        choiceOption(
          '--determination <d>',
          'determination (must belong to the classification)',
          ALL_DETERMINATIONS,
        ),
      ),
  ).action(
    async (
      id: string,
      opts: { classification: IncidentPatch['classification']; determination?: string },
      cmd: Command,
    ) => {
      const client = await clientFor(cmd);
      const i = await patchIncident(client, id, () => ({
        classification: opts.classification,
        ...(opts.determination !== undefined && { determination: opts.determination }),
      }));
      done(
        cmd,
        i,
        `classified as ${i.classification ?? '-'}${i.determination ? ` / ${i.determination}` : ''}`,
      );
    },
  );

  withJson(
    incidents
      .command('resolve')
      .description('resolve an incident, saying how')
      .argument('<id>')
      .requiredOption('--note <text>', 'how it was resolved'),
  ).action(async (id: string, opts: { note: string }, cmd: Command) => {
    const client = await clientFor(cmd);
    const i = await patchIncident(client, id, () => ({ status: 'resolved', resolutionNote: opts.note }));
    done(cmd, i, 'resolved');
  });

  withJson(incidents.command('reopen').description('reopen a resolved incident').argument('<id>')).action(
    async (id: string, _opts: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      const i = await patchIncident(client, id, (current) => {
        if (current.status !== 'resolved')
          throw new CliError(
            `incident ${id} is ${current.status}, not resolved: nothing to reopen`,
            'QUELL_E_INPUT',
          );
        return { status: 'active' };
      });
      done(cmd, i, 'reopened');
    },
  );

  withJson(
    incidents.command('comment').description('add a comment').argument('<id>').argument('<text>'),
  ).action(async (id: string, text: string, _opts: unknown, cmd: Command) => {
    const client = await clientFor(cmd);
    const a = await client.call('commentIncident', { params: { id }, body: { text } });
    if (wantsJson(cmd)) printJson(a);
    else say(`comment added to incident ${id}`);
  });

  withJson(
    incidents
      .command('tag')
      .description('add or remove tags')
      .argument('<id>')
      .option('--add <tag>', 'tag to add (repeatable)', collect)
      .option('--remove <tag>', 'tag to remove (repeatable)', collect),
  ).action(async (id: string, opts: { add?: string[]; remove?: string[] }, cmd: Command) => {
    if (!opts.add?.length && !opts.remove?.length)
      throw new CliError('give --add or --remove (or both)', 'QUELL_E_INPUT');
    const client = await clientFor(cmd);
    const i = await patchIncident(client, id, (current) => {
      const tags = new Set([...current.tags, ...(opts.add ?? [])]);
      for (const t of opts.remove ?? []) tags.delete(t);
      return { tags: [...tags] };
    });
    done(cmd, i, `tags: ${list(i.tags)}`);
  });

  withJson(
    incidents
      .command('merge')
      .description('merge other incidents into a target incident')
      .argument('<targetId>', 'the incident to keep')
      .argument('<sourceIds...>', 'incidents to absorb'),
  ).action(async (targetId: string, sourceIds: string[], _opts: unknown, cmd: Command) => {
    const client = await clientFor(cmd);
    const i = await client.call('mergeIncidents', { params: { id: targetId }, body: { sourceIds } });
    done(cmd, i, `now holds ${i.alertCount} alerts (merged ${sourceIds.join(', ')})`);
  });

  withJson(
    incidents
      .command('graph')
      .description('the attack story: how alerts and entities connect')
      .argument('<id>'),
  ).action(async (id: string, _opts: unknown, cmd: Command) => {
    const client = await clientFor(cmd);
    const g = await client.call('incidentGraph', { params: { id } });
    if (wantsJson(cmd)) return printJson(g);
    const label = new Map(g.nodes.map((n) => [n.id, `${n.type}:${n.label}`]));
    printTable(
      ['NODE', 'TYPE', 'LABEL', 'SEVERITY'],
      g.nodes.map((n) => [n.id, n.type, n.label, n.severity]),
      'no nodes',
    );
    printTable(
      ['FROM', 'RELATION', 'TO'],
      g.edges.map((e) => [label.get(e.source) ?? e.source, e.label, label.get(e.target) ?? e.target]),
      'no edges',
    );
  });
}
