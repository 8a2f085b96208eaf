import { createWriteStream } from 'node:fs';
import { open, readFile, rm, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Option, type Command } from 'commander';
import {
  ANALYSIS_STATUSES,
  ApiError,
  createClient,
  type Analysis,
  type AnalysisDetail,
  type ErrorBody,
} from '@quell/contracts';
import { clientFor, normaliseUrl, type Api } from '../api.js';
import { readLogin } from '../config-file.js';
import { CliError } from '../errors.js';
import { choiceOption, intArg, limitOption } from '../options.js';
import { note, pageHint, printJson, printTable, say, when, withJson, wantsJson } from '../output.js';
import { POLL_MS, WAIT_EXIT } from '../progress.js';

/** The server refuses larger samples; checking first saves uploading 64 MiB for nothing. */
const MAX_SAMPLE_BYTES = 64 * 1024 * 1024;

/** The report fields `show` prints (the server's SandboxReport, docs/deep-analysis.md). */
interface ReportView {
  status: string;
  error: string | null;
  verdict: string;
  score: number;
  durationMs: number;
  timeoutMs: number;
  exit: { code: number | null; signal: string | null };
  behaviours: Array<{ id: string; title: string; techniqueId: string; tactic: string; severity: string }>;
  processes: Array<{
    pid: number;
    ppid: number | null;
    argv: string[];
    executable: string;
    exitCode: number | null;
    signal: string | null;
  }>;
  files: Array<{
    path: string;
    change: string;
    type: string;
    size: number | null;
    sha256: string | null;
    artifact: string | null;
  }>;
  persistence: Array<{ path: string; kind: string; change: string; excerpt: string }>;
  network: Array<{
    family: string;
    address: string;
    port: number;
    protocol: string;
    result: string;
    count: number;
  }>;
  dns: Array<{ name: string; type: string; count: number }>;
  limitsHit: Array<{ limit: string; detail: string }>;
}

/** URL and token by the same rules as every command (flag or environment, else the stored login). */
async function connection(cmd: Command): Promise<{ baseUrl: string; token: string | undefined }> {
  await clientFor(cmd);
  const opts = cmd.optsWithGlobals<{ url?: string; token?: string }>();
  const stored = await readLogin();
  const baseUrl = opts.url ? normaliseUrl(opts.url) : (stored?.url ?? '');
  return { baseUrl, token: opts.token ?? (stored && baseUrl === stored.url ? stored.token : undefined) };
}

/** Streams a local file as the raw body of an upload (the typed client sends JSON only). */
async function uploadSample(cmd: Command, path: string, query: Record<string, string>): Promise<Analysis> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw new CliError(`${path} is not a file`, 'QUELL_E_INPUT');
  if (info.size > MAX_SAMPLE_BYTES) {
    throw new CliError(
      `${path} is ${info.size} bytes; deep analysis takes at most ${MAX_SAMPLE_BYTES}`,
      'QUELL_E_INPUT',
    );
  }
  const { baseUrl, token } = await connection(cmd);
  const handle = await open(path);
  try {
    const res = await fetch(`${baseUrl}/api/analyses/upload?${new URLSearchParams(query).toString()}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        accept: 'application/json',
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: Readable.toWeb(handle.createReadStream()) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
    const body = (await res.json().catch(() => ({}))) as Partial<ErrorBody> & Analysis;
    if (!res.ok)
      throw new ApiError(
        res.status,
        body.code ?? `HTTP_${res.status}`,
        body.message ?? res.statusText,
        body.details,
      );
    return body;
  } finally {
    await handle.close();
  }
}

const FINISHED: ReadonlySet<string> = new Set(['completed', 'timed_out', 'failed', 'cancelled']);

function statusLine(a: Analysis): string {
  const verdict = a.verdict ? `: ${a.verdict} (score ${a.score ?? 0})` : '';
  const error = a.error && a.status !== 'completed' ? ` — ${a.error}` : '';
  return `analysis ${a.id} ${a.fileName}: ${a.status.replace(/_/g, ' ')}${verdict}${error}`;
}

/** Polls until the analysis finishes, a status line on stderr per change. */
async function waitFor(api: Api, first: Analysis): Promise<AnalysisDetail> {
  let last = '';
  for (;;) {
    const a = await api.call('getAnalysis', { params: { id: first.id } });
    const line = statusLine(a);
    if (line !== last) note(line);
    last = line;
    if (FINISHED.has(a.status)) return a;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Exit code of `--wait`: 0 for a report (completed or timed out), 1 otherwise. */
function exitFor(a: Analysis): void {
  if (a.status === 'failed' || a.status === 'cancelled') process.exitCode = 1;
  else if (!FINISHED.has(a.status)) process.exitCode = WAIT_EXIT.stillRunning;
}

function printAnalysis(a: AnalysisDetail): void {
  say(statusLine(a));
  say(`  file     ${a.fileName}  sha256 ${a.sha256}`);
  say(`  asked    ${when(a.createdAt)} by ${a.requestedBy}${a.comment ? ` (${a.comment})` : ''}`);
  if (a.startedAt)
    say(`  ran      ${when(a.startedAt)} – ${when(a.finishedAt)} (timeout ${a.timeoutSeconds} s)`);
  if (a.resubmissionOf) say(`  repeats  ${a.resubmissionOf}`);
  if (a.actionId) say(`  action   ${a.actionId} (quell actions show ${a.actionId})`);
  const r = a.report as unknown as ReportView | null;
  if (!r) {
    say(
      FINISHED.has(a.status)
        ? '  no report'
        : '  no report yet (quell analysis show --wait … or try again later)',
    );
    return;
  }
  say();
  say(
    `VERDICT  ${r.verdict.toUpperCase()}  score ${r.score}/100  (${r.status}, ${Math.round(r.durationMs / 100) / 10} s)`,
  );
  if (r.error) say(`  ${r.error}`);
  section(
    'BEHAVIOURS (MITRE ATT&CK)',
    r.behaviours,
    (b) => `${b.techniqueId.padEnd(10)} ${b.severity.padEnd(7)} ${b.title} [${b.tactic}]`,
  );
  say();
  say('PROCESS TREE');
  printTree(r.processes);
  section(
    'FILES',
    r.files,
    (f) =>
      `${f.change.padEnd(8)} ${f.path}${f.size !== null ? ` (${f.size} B)` : ''}${f.sha256 ? `  sha256 ${f.sha256}${f.artifact ? ' [downloadable]' : ''}` : ''}`,
  );
  section(
    'PERSISTENCE',
    r.persistence,
    (p) =>
      `${p.change.padEnd(8)} ${p.kind.padEnd(16)} ${p.path}\n      ${p.excerpt.trim().split('\n').join('\n      ')}`,
  );
  section(
    'NETWORK ATTEMPTS',
    r.network,
    (n) =>
      `${n.protocol} ${n.family === 'ipv6' ? `[${n.address}]` : n.address}:${n.port}  ${n.result}${n.count > 1 ? ` ×${n.count}` : ''}`,
  );
  section('DNS LOOKUPS', r.dns, (d) => `${d.name} ${d.type}${d.count > 1 ? ` ×${d.count}` : ''}`);
  section('LIMITS HIT', r.limitsHit, (l) => `${l.limit}: ${l.detail}`);
  const downloadable = r.files.find((f) => f.sha256 && f.artifact);
  if (downloadable)
    note(
      `download a dropped file: quell analysis download ${a.id} ${downloadable.sha256} --reason … --password-file …`,
    );
}

function section<T>(title: string, items: readonly T[], line: (t: T) => string): void {
  say();
  say(title);
  if (!items.length) say('  (none)');
  for (const i of items) say(`  ${line(i)}`);
}

/** The process tree, children indented under their parent, in start order. */
function printTree(procs: ReportView['processes']): void {
  const pids = new Set(procs.map((p) => p.pid));
  const children = new Map<number | null, ReportView['processes']>();
  for (const p of procs) {
    const parent = p.ppid !== null && pids.has(p.ppid) ? p.ppid : null;
    children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const walk = (parent: number | null, depth: number) => {
    for (const p of children.get(parent) ?? []) {
      const end = p.signal ? ` (killed: ${p.signal})` : p.exitCode !== null ? ` (exit ${p.exitCode})` : '';
      say(`  ${'  '.repeat(depth)}${p.pid} ${p.argv.length ? p.argv.join(' ') : p.executable}${end}`);
      walk(p.pid, depth + 1);
    }
  };
  if (!procs.length) say('  (none)');
  walk(null, 0);
}

/**
 * The zip password, never from the command line (other users see argv in `ps`): the first line of
 * a file, else QUELL_ZIP_PASSWORD.
 */
async function zipPassword(passwordFile: string | undefined): Promise<string> {
  if (passwordFile) {
    const text = await readFile(passwordFile, 'utf8').catch((e: Error) => {
      throw new CliError(`cannot read the password file ${passwordFile}: ${e.message}`, 'QUELL_E_INPUT');
    });
    return text.split('\n')[0]?.replace(/\r$/, '') ?? '';
  }
  const env = process.env.QUELL_ZIP_PASSWORD;
  if (env) return env;
  throw new CliError('choose a zip password: --password-file FILE or QUELL_ZIP_PASSWORD', 'QUELL_E_INPUT');
}

interface SubmitOptions {
  sha256?: string;
  name?: string;
  timeout?: number;
  comment?: string;
  wait?: boolean;
}

export function registerAnalysis(program: Command): void {
  const analysis = program
    .command('analysis')
    .description('deep analysis: detonate a file in the server’s sandbox and read its report');

  withJson(
    analysis
      .command('submit')
      .description('upload a file (or name one the server holds with --sha256) and detonate it')
      .argument('[path]', 'a local file to upload (at most 64 MiB)')
      .option(
        '--sha256 <hash>',
        'a file the server already holds (collected from a device or uploaded before)',
      )
      .option('--name <name>', 'its name in the report (default: the file’s base name)')
      .addOption(
        new Option('--timeout <seconds>', 'sandbox wall-clock limit (default 60)').argParser(intArg(1, 600)),
      )
      .option('--comment <text>', 'why (kept with the action and in the audit log)')
      .option('--wait', 'follow the analysis until its report is ready, then print it'),
  ).action(async (path: string | undefined, o: SubmitOptions, cmd: Command) => {
    if (!path === !o.sha256)
      throw new CliError('give a file to upload or --sha256, not both', 'QUELL_E_INPUT');
    const api = await clientFor(cmd);
    const a = path
      ? await uploadSample(cmd, path, {
          name: o.name ?? basename(path),
          ...(o.timeout && { timeoutSeconds: String(o.timeout) }),
          ...(o.comment && { comment: o.comment }),
        })
      : await api.call('submitAnalysis', {
          body: {
            sha256: o.sha256 ?? '',
            ...(o.name && { name: o.name }),
            ...(o.timeout && { timeoutSeconds: o.timeout }),
            ...(o.comment && { comment: o.comment }),
          },
        });
    if (!o.wait) {
      if (wantsJson(cmd)) return printJson(a);
      say(statusLine(a));
      return note(`follow it: quell analysis show ${a.id} (or submit with --wait)`);
    }
    const done = await waitFor(api, a);
    if (wantsJson(cmd)) printJson(done);
    else printAnalysis(done);
    exitFor(done);
  });

  withJson(
    analysis
      .command('list')
      .description('the queue and the history, newest first')
      .addOption(choiceOption('--status <status>', 'only this status', ANALYSIS_STATUSES))
      .option('--sha256 <hash>', 'only this file')
      .addOption(limitOption())
      .option('--cursor <cursor>', 'next page, from the previous list'),
  ).action(
    async (
      o: { status?: Analysis['status']; sha256?: string; limit?: number; cursor?: string },
      cmd: Command,
    ) => {
      const api = await clientFor(cmd);
      const page = await api.call('listAnalyses', {
        query: {
          ...(o.status && { status: o.status }),
          ...(o.sha256 && { sha256: o.sha256 }),
          ...(o.limit && { limit: o.limit }),
          ...(o.cursor && { cursor: o.cursor }),
        },
      });
      if (wantsJson(cmd)) return printJson(page);
      printTable(
        ['ID', 'FILE', 'STATUS', 'VERDICT', 'SCORE', 'REQUESTED BY', 'CREATED'],
        page.items.map((a) => [
          a.id,
          a.fileName,
          a.status,
          a.verdict,
          a.score,
          a.requestedBy,
          when(a.createdAt),
        ]),
        'no analyses yet',
      );
      pageHint(page.nextCursor);
    },
  );

  withJson(
    analysis
      .command('show')
      .description('an analysis and its report: verdict, ATT&CK behaviours, process tree, files, network')
      .argument('<id>')
      .option('--wait', 'wait until the report is ready'),
  ).action(async (id: string, o: { wait?: boolean }, cmd: Command) => {
    const api = await clientFor(cmd);
    let a = await api.call('getAnalysis', { params: { id } });
    if (o.wait) a = await waitFor(api, a);
    if (wantsJson(cmd)) return printJson(a);
    printAnalysis(a);
  });

  withJson(
    analysis
      .command('resubmit')
      .description('detonate the same file again, as a new analysis linked to this one')
      .argument('<id>')
      .addOption(
        new Option('--timeout <seconds>', 'sandbox wall-clock limit (default: the original’s)').argParser(
          intArg(1, 600),
        ),
      )
      .option('--comment <text>', 'why')
      .option('--wait', 'follow the new analysis until its report is ready'),
  ).action(async (id: string, o: { timeout?: number; comment?: string; wait?: boolean }, cmd: Command) => {
    const api = await clientFor(cmd);
    const a = await api.call('resubmitAnalysis', {
      params: { id },
      body: { ...(o.timeout && { timeoutSeconds: o.timeout }), ...(o.comment && { comment: o.comment }) },
    });
    const out = o.wait ? await waitFor(api, a) : a;
    if (wantsJson(cmd)) printJson(out);
    else if (o.wait) printAnalysis(out as AnalysisDetail);
    else say(statusLine(out));
    if (o.wait) exitFor(out);
  });

  withJson(
    analysis
      .command('cancel')
      .description('cancel a queued or running analysis (kills the detonation)')
      .argument('<id>')
      .option('--comment <text>', 'why'),
  ).action(async (id: string, o: { comment?: string }, cmd: Command) => {
    const api = await clientFor(cmd);
    const a = await api.call('cancelAnalysis', {
      params: { id },
      body: { ...(o.comment && { comment: o.comment }) },
    });
    if (wantsJson(cmd)) return printJson(a);
    say(statusLine(a));
  });

  analysis
    .command('download')
    .description('save a file the sample dropped, as an AES-256 zip with your password (audited)')
    .argument('<id>', 'the analysis')
    .argument('<sha256>', 'the dropped file (see `quell analysis show`)')
    .option(
      '--password-file <file>',
      'read the zip password (10+ characters) from this file (else QUELL_ZIP_PASSWORD)',
    )
    .requiredOption('--reason <text>', 'why (kept in the audit log)')
    .option('-o, --out <file>', 'where to write it (default: a name from the server, in this folder)')
    .action(
      async (
        id: string,
        sha256: string,
        o: { passwordFile?: string; reason: string; out?: string },
        cmd: Command,
      ) => {
        const password = await zipPassword(o.passwordFile);
        const { baseUrl, token } = await connection(cmd);
        // Same TS2589 workaround as api.ts: the client's rest-argument type is too deep here.
        const raw = createClient({ baseUrl, token }).raw as unknown as (
          op: 'downloadAnalysisFile',
          input: { params: { id: string }; body: { sha256: string; password: string; reason: string } },
        ) => Promise<Response>;
        const res = await raw('downloadAnalysisFile', {
          params: { id },
          body: { sha256: sha256.toLowerCase(), password, reason: o.reason },
        });
        if (!res.body) throw new CliError(`the server sent no file for ${sha256}`, 'QUELL_E_INTERNAL');
        const m = /filename="?([^";]+)"?/i.exec(res.headers.get('content-disposition') ?? '');
        const file = resolve(o.out ?? m?.[1]?.replace(/[^A-Za-z0-9._-]/g, '_') ?? `${sha256}.zip`);
        try {
          await pipeline(
            Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
            createWriteStream(file),
          );
        } catch (e) {
          await rm(file, { force: true });
          throw new CliError(`could not save ${file}: ${(e as Error).message}`, 'QUELL_E_INPUT');
        }
        say(`${file} (${(await stat(file)).size} bytes; open it with the password you chose)`);
      },
    );
}
