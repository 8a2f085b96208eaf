import type { Command } from 'commander';
import {
  createClient,
  type CallInput,
  type CallOutput,
  type OperationId,
  type QuellClient,
} from '@quell/contracts';
import { configPath, readLogin } from './config-file.js';
import { CliError } from './errors.js';

/** The server a command talks to, for error messages about reaching it. */
let lastUrl: string | undefined;
export function currentServerUrl(): string | undefined {
  return lastUrl;
}

// `{}` here means "an input with nothing required", which is exactly what is being tested.
type Args<Op extends OperationId> =
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  {} extends CallInput<Op> ? [input?: CallInput<Op>] : [input: CallInput<Op>];

/** The API as commands see it: one typed `call` per operation id of the route table. */
export interface Api {
  call<Op extends OperationId>(op: Op, ...args: NoInfer<Args<Op>>): Promise<CallOutput<Op>>;
}

function wrap(client: QuellClient): Api {
  // The contracts client's rest-argument type is too deep for TypeScript at some call sites
  // (TS2589); this keeps the per-operation input and output types with a simpler signature.
  const untyped = client.call as unknown as (op: OperationId, input: unknown) => Promise<unknown>;
  return {
    call: async <Op extends OperationId>(op: Op, ...args: NoInfer<Args<Op>>) =>
      (await untyped(op, (args as readonly unknown[])[0] ?? {})) as CallOutput<Op>,
  };
}

export function normaliseUrl(url: string): string {
  const trimmed = url.trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(trimmed)) {
    throw new CliError(`"${url}" is not a server URL; give one like http://127.0.0.1:8470`, 'QUELL_E_INPUT');
  }
  return trimmed;
}

/** A client for a known server and token. */
export function clientAt(url: string, token: string): Api {
  lastUrl = url;
  return wrap(createClient({ baseUrl: url, token }));
}

/** A client with no token, for `quell login`. */
export function anonymousClient(url: string): Api {
  lastUrl = normaliseUrl(url);
  return wrap(createClient({ baseUrl: lastUrl }));
}

/**
 * The client for a command: `--url`/`--token` (which mirror QUELL_URL/QUELL_TOKEN) win over the
 * file `quell login` wrote. The stored token is used only for the server it was issued by.
 */
export async function clientFor(cmd: Command): Promise<Api> {
  const opts = cmd.optsWithGlobals<{ url?: string; token?: string }>();
  const stored = await readLogin();
  const url = opts.url ? normaliseUrl(opts.url) : stored?.url;
  const token = opts.token ?? (stored && url === stored.url ? stored.token : undefined);
  if (!url || !token) {
    throw new CliError(
      `not logged in${url ? ` to ${url}` : ''}: run \`quell login\` or set QUELL_URL and QUELL_TOKEN (login file: ${configPath()})`,
      'QUELL_E_UNAUTHENTICATED',
    );
  }
  lastUrl = url;
  return wrap(createClient({ baseUrl: url, token }));
}
