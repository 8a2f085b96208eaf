import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ApiError, type AlertInput, type IngestResult, type OcsfDetectionFinding } from '@quell/contracts';
import { clientFor } from '../api.js';
import { chunks, locateInBatch, parseAlerts, type InputItem } from '../alert-input.js';
import { CliError } from '../errors.js';
import { list, note, printJson, printRecord, printTable, say, when, withJson, wantsJson } from '../output.js';

/** Alerts per request; the API takes up to 5000, smaller batches keep each transaction short. */
export const INGEST_BATCH = 1000;
/** A big file can touch thousands of incidents; the summary stays a screenful. */
const MAX_INCIDENT_ROWS = 20;

async function readInput(file: string): Promise<string> {
  if (file === '-') {
    // Otherwise a forgotten pipe looks like a hang.
    if (process.stdin.isTTY) note('reading alerts from the terminal; end with Ctrl-D');
    const parts: Buffer[] = [];
    for await (const chunk of process.stdin) parts.push(chunk as Buffer);
    return Buffer.concat(parts).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as Error).message}`, 'QUELL_E_INPUT');
  }
}

/** A one-line counter on stderr, only for people watching a terminal. */
function progress(total: number): { step(done: number): void; end(): void } {
  const show = total > INGEST_BATCH && process.stderr.isTTY === true;
  return {
    step: (done) => {
      if (show) process.stderr.write(`\ringested ${done}/${total} alerts`);
    },
    end: () => {
      if (show) process.stderr.write('\n');
    },
  };
}

function summarise(results: IngestResult['results']): void {
  const created = results.filter((r) => r.created).length;
  say(
    `${results.length} alert${results.length === 1 ? '' : 's'}: ${created} created, ${results.length - created} duplicate`,
  );
  const byIncident = new Map<string, { alerts: number; created: number }>();
  for (const r of results) {
    const e = byIncident.get(r.incidentId) ?? { alerts: 0, created: 0 };
    e.alerts += 1;
    if (r.created) e.created += 1;
    byIncident.set(r.incidentId, e);
  }
  const rows = [...byIncident].map(([id, e]) => [id, e.alerts, e.created]);
  printTable(['INCIDENT', 'ALERTS', 'NEW'], rows.slice(0, MAX_INCIDENT_ROWS));
  if (rows.length > MAX_INCIDENT_ROWS) {
    say(
      `… and ${rows.length - MAX_INCIDENT_ROWS} more incidents (--json lists every alert and its incident)`,
    );
  }
}

export function registerAlerts(program: Command): void {
  const alerts = program.command('alerts').description('send alerts to Quell, and read one');

  withJson(
    alerts
      .command('ingest')
      .description(
        'ingest alerts from a JSON or NDJSON file (- for stdin): Quell alerts, {alerts:[...]}, or OCSF findings (class_uid 2004)',
      )
      .argument('<file>', 'file to read, or - for stdin'),
  ).action(async (file: string, _opts: unknown, cmd: Command) => {
    const parsed = parseAlerts(await readInput(file), file === '-' ? 'stdin' : file);
    const client = await clientFor(cmd);
    const total = parsed.quell.length + parsed.ocsf.length;
    const bar = progress(total);
    const results: IngestResult['results'] = [];

    const send = async (batch: InputItem[], shape: 'quell' | 'ocsf') => {
      try {
        const res =
          shape === 'quell'
            ? await client.call('ingestAlerts', { body: { alerts: batch.map((i) => i.value as AlertInput) } })
            : await client.call('ingestOcsf', { body: batch.map((i) => i.value as OcsfDetectionFinding) });
        results.push(...res.results);
        bar.step(results.length);
      } catch (e) {
        bar.end();
        if (!(e instanceof ApiError)) throw e;
        // Each batch is written all or nothing; say what did get in before this one.
        const before = results.length
          ? ` (the ${results.length} alerts before this batch were ingested; nothing from it was)`
          : '';
        throw new ApiError(e.status, e.code, `${locateInBatch(e.message, batch, shape)}${before}`, e.details);
      }
    };
    for (const batch of chunks(parsed.quell, INGEST_BATCH)) await send(batch, 'quell');
    for (const batch of chunks(parsed.ocsf, INGEST_BATCH)) await send(batch, 'ocsf');
    bar.end();

    if (wantsJson(cmd)) printJson({ results });
    else summarise(results);
  });

  withJson(
    alerts
      .command('show')
      .description('one alert, with its incident and entities')
      .argument('<id>', 'an alert id (`quell incidents show <id>` lists an incident’s alerts)'),
  ).action(async (id: string, _o: unknown, cmd: Command) => {
    const client = await clientFor(cmd);
    const a = await client.call('getAlert', { params: { id } });
    if (wantsJson(cmd)) return printJson(a);
    printRecord([
      ['id', a.id],
      ['title', a.title],
      ['severity', a.severity],
      ['status', a.status],
      ['incident', a.incidentId],
      ['category', a.category],
      ['source', a.detectionSource],
      ['external id', a.externalId],
      ['MITRE', list(a.mitreTechniques)],
      ['activity', `${when(a.firstActivityAt)} – ${when(a.lastActivityAt)}`],
      ['created', when(a.createdAt)],
      ['description', a.description],
    ]);
    printTable(
      ['KIND', 'ENTITY'],
      a.entities.map((e) => [e.kind, e.label]),
      'no entities',
    );
  });
}
