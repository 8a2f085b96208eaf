import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { killBelow, killGroup } from './process-kill.js';
import type { LimitHit } from './report.schema.js';

/** Seconds between watchdog checks (workspace and trace size). */
const WATCH_INTERVAL_MS = 1_000;
/** After killing the sandbox, how long strace gets to record the deaths before its group is killed. */
const GRACE_MS = 5_000;

export type StopReason = 'timeout' | 'limit' | 'aborted';

export interface WatchedRunOptions {
  command: string;
  args: readonly string[];
  /** Working directory of the command (keeps the server's own out of the trace). */
  cwd: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Polled every second while the run lasts; a returned limit stops the run. */
  check: () => Promise<LimitHit | null>;
  /** Bytes of stdout and of stderr kept. */
  outputCap: number;
}

export interface WatchedRunResult {
  stoppedBy: StopReason | null;
  limitsHit: LimitHit[];
  exitCode: number | null;
  stdout: string;
  stderr: string;
  outputTruncated: boolean;
  /** The command could not be started at all. */
  spawnError: Error | null;
}

function capture(stream: Readable | null, cap: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  stream?.on('data', (chunk: Buffer) => {
    if (size >= cap) {
      truncated = true;
      return;
    }
    const part = chunk.subarray(0, cap - size);
    truncated ||= part.length < chunk.length;
    chunks.push(part);
    size += part.length;
  });
  return () => ({ text: Buffer.concat(chunks).toString('utf8'), truncated });
}

/**
 * Runs the detonation command in its own process group and ends it, whatever the sample does:
 * on the wall-clock timeout, a watchdog limit or an abort it kills everything below the tracer
 * (see `killBelow`), then the whole group if the tracer has not exited after a grace period.
 * Never rejects.
 */
export function runWatched(opts: WatchedRunOptions): Promise<WatchedRunResult> {
  return new Promise((resolve) => {
    const child = spawn(opts.command, opts.args, {
      detached: true,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    const stdout = capture(child.stdout, opts.outputCap);
    const stderr = capture(child.stderr, opts.outputCap);
    let stoppedBy: StopReason | null = null;
    const limitsHit: LimitHit[] = [];
    const timers: NodeJS.Timeout[] = [];
    let done = false;

    const finish = (exitCode: number | null, spawnError: Error | null) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      clearInterval(watch);
      opts.signal?.removeEventListener('abort', onAbort);
      const out = stdout();
      const err = stderr();
      resolve({
        stoppedBy,
        limitsHit,
        exitCode,
        stdout: out.text,
        stderr: err.text,
        outputTruncated: out.truncated || err.truncated,
        spawnError,
      });
    };

    const stop = (reason: StopReason, hit?: LimitHit) => {
      if (stoppedBy || done) return;
      stoppedBy = reason;
      if (hit) limitsHit.push(hit);
      const pid = child.pid;
      if (pid === undefined) return;
      // Reading /proc cannot fail short of a broken host; if it does, the group goes at once.
      killBelow(pid).catch(() => killGroup(pid));
      timers.push(setTimeout(() => killGroup(pid), GRACE_MS));
      // A tracer stuck in the kernel would keep the pipes open forever; give up on it eventually.
      timers.push(
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish(null, null);
        }, 3 * GRACE_MS),
      );
    };

    const onAbort = () => stop('aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    timers.push(
      setTimeout(
        () => stop('timeout', { limit: 'timeout', detail: `stopped after the ${opts.timeoutMs} ms timeout` }),
        opts.timeoutMs,
      ),
    );
    let checking = false;
    const watch = setInterval(() => {
      if (checking || stoppedBy) return;
      checking = true;
      opts
        .check()
        .then((hit) => hit && stop('limit', hit))
        .catch(() => {
          // A failed measurement (the world changing under the walk) is retried next tick.
        })
        .finally(() => (checking = false));
    }, WATCH_INTERVAL_MS);

    child.on('error', (e) => finish(null, e));
    child.on('close', (code) => finish(code, null));
    if (opts.signal?.aborted) onAbort();
  });
}
