import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { createClient } from '@quell/contracts';
import { clientFor, normaliseUrl } from '../api.js';
import { readLogin } from '../config-file.js';
import { CliError } from '../errors.js';
import { say } from '../output.js';

/**
 * The contracts client, for its raw `Response`: the CLI's `Api` reads every answer as JSON or
 * text, which would corrupt a zip. `clientFor` runs first so "not logged in" and the server URL in
 * error messages behave exactly as for every other command; the URL and token are then resolved
 * by the same rules (flag or environment, else the stored login for its own server).
 */
async function rawClientFor(cmd: Command) {
  await clientFor(cmd);
  const opts = cmd.optsWithGlobals<{ url?: string; token?: string }>();
  const stored = await readLogin();
  const baseUrl = opts.url ? normaliseUrl(opts.url) : (stored?.url ?? '');
  const token = opts.token ?? (stored && baseUrl === stored.url ? stored.token : undefined);
  // Same TS2589 workaround as api.ts: the client's rest-argument type is too deep here.
  return createClient({ baseUrl, token }).raw as unknown as (
    op: 'downloadActionPackage',
    input: { params: { id: string } },
  ) => Promise<Response>;
}

/** A safe local name from the server's Content-Disposition, else one from the action id. */
function defaultName(actionId: string, disposition: string | null): string {
  const m = /filename="?([^";]+)"?/i.exec(disposition ?? '');
  const fromServer = m?.[1]?.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return fromServer || `quell-package-${actionId.replace(/[^A-Za-z0-9._-]/g, '_')}.zip`;
}

/**
 * Streams an investigation package to a file (never held in memory: packages can be large) and
 * prints where it went and its size. A partial file is removed when the transfer fails.
 */
export async function downloadPackage(cmd: Command, actionId: string, out?: string): Promise<void> {
  const raw = await rawClientFor(cmd);
  const res = await raw('downloadActionPackage', { params: { id: actionId } });
  if (!res.body) throw new CliError(`the server sent no package for action ${actionId}`, 'QUELL_E_INTERNAL');
  const file = resolve(out ?? defaultName(actionId, res.headers.get('content-disposition')));
  try {
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(file));
  } catch (e) {
    await rm(file, { force: true });
    throw new CliError(`could not save the package to ${file}: ${(e as Error).message}`, 'QUELL_E_INPUT');
  }
  const { size } = await stat(file);
  say(`${file} (${size} bytes)`);
}

export function registerPackages(program: Command): void {
  const packages = program
    .command('packages')
    .description('investigation packages collected from devices (`quell device collect`)');

  packages
    .command('download')
    .description('save the zip an investigation-package action collected')
    .argument('<actionId>', 'the collect_investigation_package action')
    .option('-o, --out <file>', 'where to write it (default: a name from the server, in this folder)')
    .action(async (actionId: string, o: { out?: string }, cmd: Command) =>
      downloadPackage(cmd, actionId, o.out),
    );
}
