import { createWriteStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Option, type Command } from 'commander';
import { createClient, type FilePage } from '@quell/contracts';
import { clientFor, normaliseUrl } from '../api.js';
import { readLogin } from '../config-file.js';
import { CliError } from '../errors.js';
import { intArg, limitOption, repeat } from '../options.js';
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
import { reportUnfinished, waitForAction } from '../progress.js';
import { printBatch, unfinished, waitForBatch } from './batch.command.js';

/** Reads one line from the terminal without echoing it (a password). */
function readHiddenLine(prompt: string): Promise<string> {
  return new Promise((resolveLine, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let line = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolveLine(line);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CliError('cancelled', 'QUELL_E_INPUT'));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Exit code of a wait whose actions did not all succeed, as `quell batch run --wait`. */
const SOME_FAILED = 1;

function devicesOf(raw: string[] | undefined): string[] {
  return (raw ?? [])
    .flatMap((d) => d.split(','))
    .map((d) => d.trim())
    .filter(Boolean);
}

function printFile(p: FilePage): void {
  const f = p.file;
  printRecord([
    ['SHA-256', f.sha256],
    ['SHA-1', f.sha1],
    ['MD5', f.md5],
    ['size', f.size === null ? null : `${f.size} bytes`],
    ['names', list(f.names)],
    ['first seen', when(f.firstSeenAt)],
    ['last seen', when(f.lastSeenAt)],
    ['devices', String(f.deviceCount)],
    ['verdicts', list(p.verdicts.map((v) => `${v.verdict} (${v.source}${v.title ? `: ${v.title}` : ''})`))],
    [
      'stored copy',
      p.storedCopy
        ? `${p.storedCopy.size} bytes${p.storedCopy.deviceHostname ? ` from ${p.storedCopy.deviceHostname}` : ''} — \`quell file download ${f.sha256} --reason … -o FILE\``
        : 'none — `quell file collect ' + f.sha256 + ' --device HOST`',
    ],
  ]);
  say('');
  say(`devices that saw it${p.devicesTruncated ? ` (newest ${p.devices.length} of ${f.deviceCount})` : ''}:`);
  printTable(
    ['DEVICE', 'PATHS', 'HOW', 'LAST SEEN'],
    p.devices.map((d) => [d.hostname, list(d.paths), list(d.sources), when(d.lastSeenAt)]),
    'no device reported it',
  );
  if (p.quarantine.length) {
    say('');
    say('quarantine:');
    printTable(
      ['DEVICE', 'STATE', 'ACTION', 'RESTORE', 'SINCE'],
      p.quarantine.map((q) => [
        q.hostname,
        q.state.replace(/_/g, ' '),
        q.actionId,
        q.restoreActionId,
        when(q.at),
      ]),
    );
  }
  if (p.alerts.length) {
    say('');
    say('related alerts:');
    printTable(
      ['ALERT', 'INCIDENT', 'SEVERITY', 'TITLE', 'AT'],
      p.alerts.map((a) => [a.alertId, a.incidentId, a.severity, a.title, when(a.at)]),
    );
  }
  if (p.actions.length) {
    say('');
    say('actions on it:');
    printTable(
      ['ID', 'TYPE', 'DEVICE', 'STATUS', 'BATCH', 'CREATED'],
      p.actions.map((a) => [a.id, a.type, a.target.deviceHostname, a.status, a.batchId, when(a.createdAt)]),
    );
  }
}

/**
 * The zip password: a file (first line), else QUELL_ZIP_PASSWORD, else asked on the terminal
 * without echo. Never a flag: flags show in `ps` and shell history.
 */
async function zipPassword(passwordFile: string | undefined): Promise<string> {
  if (passwordFile) {
    const text = await readFile(passwordFile, 'utf8').catch((e: Error) => {
      throw new CliError(`cannot read the password file ${passwordFile}: ${e.message}`, 'QUELL_E_INPUT');
    });
    return text.split(/\r?\n/)[0] ?? '';
  }
  const fromEnv = process.env.QUELL_ZIP_PASSWORD;
  if (fromEnv) return fromEnv;
  if (process.stdin.isTTY === true) return readHiddenLine('zip password (10+ characters): ');
  throw new CliError(
    'choose a zip password: --password-file FILE, or QUELL_ZIP_PASSWORD, or run it on a terminal to be asked',
    'QUELL_E_INPUT',
  );
}

/** The contracts client's raw `Response`, so the zip streams to disk untouched (see packages.command.ts). */
async function rawDownload(cmd: Command) {
  await clientFor(cmd);
  const opts = cmd.optsWithGlobals<{ url?: string; token?: string }>();
  const stored = await readLogin();
  const baseUrl = opts.url ? normaliseUrl(opts.url) : (stored?.url ?? '');
  const token = opts.token ?? (stored && baseUrl === stored.url ? stored.token : undefined);
  // Same TS2589 workaround as api.ts: the client's rest-argument type is too deep here.
  return createClient({ baseUrl, token }).raw as unknown as (
    op: 'downloadFile',
    input: { params: { id: string }; body: { password: string; reason: string } },
  ) => Promise<Response>;
}

interface QuarantineOptions {
  device?: string[];
  days?: number;
  cap?: number;
  comment?: string;
  incident?: string;
  wait?: boolean;
  waitTimeout?: number;
}

export function registerFile(program: Command): void {
  const file = program
    .command('file')
    .description('files: what Quell knows of one, quarantine everywhere, restore, collect and download');

  withJson(
    file
      .command('list')
      .description('files seen most recently first')
      .option('--q <text>', 'a hash prefix (4+ hex digits) or part of a name')
      .addOption(limitOption())
      .option('--cursor <cursor>', 'next page, from the previous list'),
  ).action(async (o: { q?: string; limit?: number; cursor?: string }, cmd: Command) => {
    const api = await clientFor(cmd);
    const page = await api.call('listFiles', {
      query: {
        ...(o.q && { q: o.q }),
        ...(o.limit && { limit: o.limit }),
        ...(o.cursor && { cursor: o.cursor }),
      },
    });
    if (wantsJson(cmd)) return printJson(page);
    printTable(
      ['SHA-256', 'NAMES', 'DEVICES', 'LAST SEEN'],
      page.items.map((f) => [f.sha256, list(f.names.slice(0, 3)), String(f.deviceCount), when(f.lastSeenAt)]),
      'no files known yet',
    );
    pageHint(page.nextCursor);
  });

  withJson(
    file
      .command('show')
      .description('the file page: hashes, names, devices, verdicts, alerts, actions, quarantine per device')
      .argument('<hash>', 'SHA-256 (or a SHA-1 or MD5 Quell has seen)'),
  ).action(async (id: string, _o: unknown, cmd: Command) => {
    const api = await clientFor(cmd);
    const p = await api.call('getFile', { params: { id } });
    if (wantsJson(cmd)) return printJson(p);
    printFile(p);
  });

  withJson(
    file
      .command('quarantine')
      .description(
        'stop and quarantine the file on every device that saw it in the last 30 days, or on the devices named',
      )
      .argument('<sha256>')
      .option('--device <hostname-or-id>', 'only this device (repeatable; also comma-separated)', repeat)
      .addOption(
        new Option(
          '--days <n>',
          'without --device: devices that saw it in the last N days (default 30)',
        ).argParser(intArg(1, 365)),
      )
      .addOption(
        new Option(
          '--cap <n>',
          'refuse when more devices than this would be hit (server default 1000)',
        ).argParser(intArg(1, 50_000)),
      )
      .option('--comment <text>', 'why (kept with every action and in the audit log)')
      .option('--incident <id>', 'link to this incident')
      .option('--wait', 'follow the batch until none of its actions is pending')
      .addOption(
        new Option('--wait-timeout <seconds>', 'with --wait: stop waiting after this long').argParser(
          intArg(1, 86_400),
        ),
      ),
  ).action(async (sha256: string, o: QuarantineOptions, cmd: Command) => {
    const devices = devicesOf(o.device);
    if (devices.length && o.days) throw new CliError('--days applies only without --device', 'QUELL_E_INPUT');
    const api = await clientFor(cmd);
    const b = await api.call('quarantineFile', {
      params: { id: sha256 },
      body: {
        ...(devices.length && { devices }),
        ...(o.days && { seenWithinDays: o.days }),
        ...(o.cap && { cap: o.cap }),
        ...(o.comment && { comment: o.comment }),
        ...(o.incident && { incidentId: o.incident }),
      },
    });
    if (!o.wait) {
      if (wantsJson(cmd)) return printJson(b);
      printBatch(b);
      return say(`  where it stands per device: quell file show ${sha256.toLowerCase()}`);
    }
    note(`batch ${b.id} ${b.type}: ${b.total} device(s) requested`);
    const end = await waitForBatch(api, b, o.waitTimeout);
    if (wantsJson(cmd)) printJson(end);
    else printBatch(end);
    if (unfinished(end) > 0) process.exitCode = 4;
    else if ((end.counts.failed ?? 0) + (end.counts.expired ?? 0) + (end.counts.cancelled ?? 0) > 0)
      process.exitCode = SOME_FAILED;
  });

  withJson(
    file
      .command('restore')
      .description('undo its quarantines (all of them, or on the devices named); each restore is an action')
      .argument('<sha256>')
      .option('--device <hostname-or-id>', 'only on this device (repeatable; also comma-separated)', repeat)
      .option('--comment <text>', 'why'),
  ).action(async (sha256: string, o: { device?: string[]; comment?: string }, cmd: Command) => {
    const devices = devicesOf(o.device);
    const api = await clientFor(cmd);
    const r = await api.call('restoreFile', {
      params: { id: sha256 },
      body: { ...(devices.length && { devices }), ...(o.comment && { comment: o.comment }) },
    });
    if (wantsJson(cmd)) return printJson(r);
    printTable(
      ['RESTORE ACTION', 'DEVICE', 'STATUS', 'UNDOES'],
      r.actions.map((a) => [a.id, a.target.deviceHostname, a.status, a.undoOf]),
    );
  });

  withJson(
    file
      .command('collect')
      .description('fetch a copy of the file from one device into the server, for download or analysis')
      .argument('<sha256>')
      .requiredOption('--device <hostname-or-id>', 'the device holding it')
      .option('--path <path>', 'where it is (default: where that device saw it last)')
      .option('--comment <text>', 'why')
      .option('--incident <id>', 'link to this incident')
      .option('--wait', 'follow the action until it ends')
      .addOption(
        new Option('--wait-timeout <seconds>', 'with --wait: stop waiting after this long').argParser(
          intArg(1, 86_400),
        ),
      ),
  ).action(
    async (
      sha256: string,
      o: {
        device: string;
        path?: string;
        comment?: string;
        incident?: string;
        wait?: boolean;
        waitTimeout?: number;
      },
      cmd: Command,
    ) => {
      const api = await clientFor(cmd);
      const a = await api.call('collectFile', {
        params: { id: sha256 },
        body: {
          device: o.device,
          ...(o.path && { path: o.path }),
          ...(o.comment && { comment: o.comment }),
          ...(o.incident && { incidentId: o.incident }),
        },
      });
      if (!o.wait) {
        if (wantsJson(cmd)) return printJson(a);
        return say(`action ${a.id} collect_file on ${a.target.deviceHostname ?? o.device}: ${a.status}`);
      }
      const end = await waitForAction(
        api,
        a,
        o.waitTimeout !== undefined ? { timeoutSeconds: o.waitTimeout } : {},
      );
      if (wantsJson(cmd)) printJson(end.action);
      if (end.kind !== 'succeeded') return reportUnfinished(end);
      if (!wantsJson(cmd))
        say(`collected; download it with \`quell file download ${a.target.id} --reason … -o FILE\``);
    },
  );

  file
    .command('download')
    .description('save the stored copy as an AES-256 zip with a password you choose; audited with the reason')
    .argument('<sha256>')
    .requiredOption('--reason <text>', 'why you download it (kept in the audit log)')
    .option(
      '--password-file <file>',
      'read the zip password from this file (else QUELL_ZIP_PASSWORD, else asked)',
    )
    .requiredOption('-o, --out <file>', 'where to write the zip')
    .action(
      async (sha256: string, o: { reason: string; passwordFile?: string; out: string }, cmd: Command) => {
        const password = await zipPassword(o.passwordFile);
        const raw = await rawDownload(cmd);
        const res = await raw('downloadFile', {
          params: { id: sha256 },
          body: { password, reason: o.reason },
        });
        if (!res.body) throw new CliError(`the server sent no zip for ${sha256}`, 'QUELL_E_INTERNAL');
        const out = resolve(o.out);
        try {
          await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(out));
        } catch (e) {
          await rm(out, { force: true });
          throw new CliError(`could not save the zip to ${out}: ${(e as Error).message}`, 'QUELL_E_INPUT');
        }
        const { size } = await stat(out);
        say(`${out} (${size} bytes, AES-256; open it with the password you chose)`);
      },
    );
}
