import { spawn } from 'node:child_process';
import { FirewallCommandError } from './firewall.errors.js';

/** What a finished command returned. */
export interface CommandResult {
  /** Exit code; a process killed by a signal reports -1. */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `argv` (no shell) with optional stdin. Rejects with {@link FirewallCommandError} only when
 * the command could not run or timed out; a non-zero exit is a normal result.
 */
export type CommandRunner = (argv: readonly string[], stdin?: string) => Promise<CommandResult>;

/** Caps what is kept of a command's output; `nft list` of Quell's table is a few KB. */
const MAX_OUTPUT = 1 << 20;

/**
 * The default {@link CommandRunner}: `child_process.spawn` without a shell, killed after
 * `timeoutMs` (default 10 s) so a wedged `nft` cannot stall the reconciler forever.
 */
export function spawnRunner(opts: { timeoutMs?: number } = {}): CommandRunner {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return (argv, stdin) =>
    new Promise<CommandResult>((resolve, reject) => {
      const [file, ...args] = argv;
      if (file === undefined) {
        reject(new FirewallCommandError('empty command line', {}));
        return;
      }
      const child = spawn(file, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        if (stdout.length < MAX_OUTPUT) stdout += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        if (stderr.length < MAX_OUTPUT) stderr += d;
      });
      child.on('error', (err) => {
        reject(
          new FirewallCommandError(
            `could not run ${file}: ${err.message}`,
            { argv: [...argv] },
            { cause: err },
          ),
        );
      });
      child.on('close', (code, signal) => {
        if (signal !== null && code === null) {
          reject(
            new FirewallCommandError(`${file} was killed (${signal}) after ${timeoutMs} ms or by a signal`, {
              argv: [...argv],
            }),
          );
          return;
        }
        resolve({ code: code ?? -1, stdout, stderr });
      });
      // A child that exits before reading stdin makes the write fail with EPIPE; its exit code
      // and stderr say why, so the write error itself is not the interesting one.
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin ?? '');
    });
}

/**
 * Wraps a runner so every command runs under `prefix`, e.g. `['ip', 'netns', 'exec', ns]`: tests
 * drive the real firewall code against a namespace without the test process being inside it.
 */
export function withPrefix(prefix: readonly string[], run: CommandRunner): CommandRunner {
  return (argv, stdin) => run([...prefix, ...argv], stdin);
}
