import { spawn } from 'node:child_process';
import { FirewallCommandError } from '../../firewall/firewall.errors.js';
import type { CommandResult, CommandRunner } from '../../firewall/command-runner.js';

export interface NftRunnerOptions {
  /** Kill `nft` after this long. Default 120 000 ms: loading a few hundred thousand elements takes seconds. */
  timeoutMs?: number;
  /** Output kept per stream. Default 64 MiB: a listing of 200,000 addresses is about 5 MB. */
  maxOutputBytes?: number;
}

/**
 * A {@link CommandRunner} for the indicator table. The isolation runner keeps 1 MB of output and
 * waits 10 s, right for its few rules; indicator sets are listed in full to verify them and can
 * be large, so this one keeps more and waits longer.
 */
export function nftRunner(opts: NftRunnerOptions = {}): CommandRunner {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const max = opts.maxOutputBytes ?? 64 << 20;
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
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      child.stdout.on('data', (d: Buffer) => {
        if (outBytes < max) out.push(d);
        outBytes += d.length;
      });
      child.stderr.on('data', (d: Buffer) => {
        if (errBytes < max) err.push(d);
        errBytes += d.length;
      });
      child.on('error', (e) =>
        reject(
          new FirewallCommandError(`could not run ${file}: ${e.message}`, { argv: [...argv] }, { cause: e }),
        ),
      );
      child.on('close', (code, signal) => {
        if (signal !== null && code === null) {
          reject(
            new FirewallCommandError(`${file} was killed (${signal}) after ${timeoutMs} ms or by a signal`, {
              argv: [...argv],
            }),
          );
          return;
        }
        if (outBytes > max) {
          reject(new FirewallCommandError(`${file} printed more than ${max} bytes`, { argv: [...argv] }));
          return;
        }
        resolve({
          code: code ?? -1,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
      // A child that exits before reading stdin makes the write fail with EPIPE; its exit code
      // and stderr say why.
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin ?? '');
    });
}
