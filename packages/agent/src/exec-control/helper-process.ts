import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { ExecControlError } from './exec-control.errors.js';
import {
  formatAnswer,
  parseRequest,
  READY_LINE,
  type ExecRequest,
  type ExecVerdict,
} from './helper-protocol.js';

export interface ExecHelperOptions {
  helperPath: string;
  marks: readonly string[];
  /** The helper allows an exec the agent has not answered within this many ms. */
  answerTimeoutMs: number;
  /** How long to wait for `ready` (fanotify set up, mounts marked). */
  readyTimeoutMs: number;
  /** An exec waiting for `helper.answer()`; the helper is passed because requests can follow `ready` in the same read. */
  onRequest: (r: ExecRequest, helper: ExecHelper) => void;
  /** A diagnostic line from the helper's stderr (timeouts, overload). */
  onWarning: (line: string) => void;
  /** The helper exited; `stderr` holds its last lines. Not called for exits before `ready`. */
  onExit: (helper: ExecHelper, code: number | null, signal: NodeJS.Signals | null, stderr: string) => void;
}

const STDERR_TAIL_LINES = 5;

/** Splits a stream into lines, keeping the partial last line for the next chunk. */
function lines(onLine: (l: string) => void): (chunk: string) => void {
  let rest = '';
  return (chunk) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) onLine(p);
  };
}

/** One running `quell-execd`. Start with {@link ExecHelper.start}. */
export class ExecHelper {
  private exitedFlag = false;
  private readonly exitedP: Promise<void>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    exited: Promise<void>,
  ) {
    this.exitedP = exited;
    void exited.then(() => (this.exitedFlag = true));
  }

  /** Spawns the helper and resolves once it printed `ready`; rejects with the helper's own error. */
  static start(o: ExecHelperOptions): Promise<ExecHelper> {
    const child = spawn(o.helperPath, ['--timeout-ms', String(o.answerTimeoutMs), ...o.marks], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    let ready = false;
    let helper: ExecHelper | null = null;
    // Writes race the helper's death; the exit handler reports that, so EPIPE here is noise.
    child.stdin.on('error', () => {});
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on(
      'data',
      lines((l) => {
        tail.push(l);
        if (tail.length > STDERR_TAIL_LINES) tail.shift();
        if (ready) o.onWarning(l);
      }),
    );
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));

    return new Promise<ExecHelper>((resolve, reject) => {
      const fail = (msg: string, cause?: unknown): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new ExecControlError(msg, { cause }));
      };
      const timer = setTimeout(
        () =>
          fail(
            `exec helper did not get ready within ${o.readyTimeoutMs} ms: ${tail.join(' / ') || 'no output'}`,
          ),
        o.readyTimeoutMs,
      );
      child.once('error', (e: NodeJS.ErrnoException) =>
        fail(
          e.code === 'ENOENT'
            ? `exec helper not found at ${o.helperPath}: build it with \`npm run build:native -w @quell/agent\` (needs gcc)`
            : `cannot start exec helper ${o.helperPath}: ${e.message}`,
          e,
        ),
      );
      child.once('close', (code, signal) => {
        if (!ready) {
          fail(
            `exec helper exited (${signal ?? `code ${code}`}) before it was ready: ${tail.join(' / ') || 'no output'}`,
          );
          return;
        }
        o.onExit(helper!, code, signal, tail.join('\n'));
      });
      child.stdout.on(
        'data',
        lines((l) => {
          if (!ready) {
            if (l !== READY_LINE) return;
            ready = true;
            clearTimeout(timer);
            helper = new ExecHelper(child, exited);
            resolve(helper);
            return;
          }
          const r = parseRequest(l);
          if (r) o.onRequest(r, helper!);
          else o.onWarning(`exec helper sent an unreadable line: ${JSON.stringify(l.slice(0, 200))}`);
        }),
      );
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get exited(): boolean {
    return this.exitedFlag;
  }

  /** Where the content of a request's file can be read while the request is pending. */
  contentPath(r: ExecRequest): string {
    return `/proc/${this.pid}/fd/${r.fd}`;
  }

  answer(id: string, verdict: ExecVerdict): void {
    if (!this.exitedFlag) this.child.stdin.write(formatAnswer(id, verdict));
  }

  /** Closes its stdin (it exits; the kernel allows anything pending), SIGKILL after `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.exitedFlag) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exitedP;
    clearTimeout(timer);
  }
}
