import { spawn } from 'node:child_process';
import {
  CommandFailedError,
  CommandTimeoutError,
  CollectionAbortedError,
  SourceMissingError,
} from './errors.js';

/**
 * The environment commands run with: a PATH that includes sbin (the agent's service manager may
 * not give it one), the C locale so output parses the same everywhere, and no pagers or colours.
 * Nothing else from the agent's own environment leaks into them.
 */
export const COMMAND_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LC_ALL: 'C',
  SYSTEMD_PAGER: '',
  SYSTEMD_COLORS: '0',
  PAGER: 'cat',
};

const STDERR_TAIL = 2048;

export interface CommandRun {
  command: string;
  args: readonly string[];
  timeoutMs: number;
  signal: AbortSignal;
}

/** How a command line is shown in the summary. */
export const commandLine = (command: string, args: readonly string[]): string =>
  [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');

/**
 * Runs a program without a shell and yields its stdout. Not installed: `SourceMissingError`;
 * non-zero exit: `CommandFailedError` with the tail of stderr; too slow: `CommandTimeoutError`.
 * Those are thrown after the output, so what it printed is kept. The child leads its own process
 * group and the whole group is killed on timeout, abort, or when the consumer stops reading
 * (output cap), so helpers it forked cannot outlive the job.
 */
export async function* commandSource(run: CommandRun): AsyncGenerator<Uint8Array> {
  const line = commandLine(run.command, run.args);
  run.signal.throwIfAborted();
  const child = spawn(run.command, run.args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: COMMAND_ENV,
    detached: true,
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SourceMissingError(`${run.command} is not installed (not found on ${COMMAND_ENV.PATH})`, {
        cause: err,
      });
    }
    throw err;
  }
  // Later errors (a failed kill) are reported through the exit status, not as crashes.
  child.on('error', () => undefined);

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    stderr = (stderr + s).slice(-STDERR_TAIL);
  });

  let timedOut = false;
  const killGroup = (): void => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone between the check and the kill.
    }
  };
  const onAbort = (): void => {
    killGroup();
    child.stdout.destroy();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    onAbort();
  }, run.timeoutMs);
  run.signal.addEventListener('abort', onAbort, { once: true });

  try {
    try {
      for await (const chunk of child.stdout) yield chunk as Buffer;
    } catch (err) {
      // Destroying stdout on timeout or abort ends the loop with a premature-close error.
      if (!timedOut && !run.signal.aborted) throw err;
    }
    if (run.signal.aborted) throw new CollectionAbortedError();
    if (timedOut) throw new CommandTimeoutError(line, run.timeoutMs);
    const exit = await closed;
    if (timedOut) throw new CommandTimeoutError(line, run.timeoutMs);
    if (exit.code !== 0) throw new CommandFailedError(line, exit.code, exit.signal, stderr.trim());
  } finally {
    clearTimeout(timer);
    run.signal.removeEventListener('abort', onAbort);
    killGroup();
  }
}
