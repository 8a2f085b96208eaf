/**
 * The line level of `strace -f -ttt` output: which process a line belongs to, and joining the
 * `<unfinished ...>` / `<... name resumed>` halves that strace prints when processes interleave.
 * Pure and incremental, so a trace can be read while it is written.
 */

export type StraceRecord =
  | {
      kind: 'call';
      pid: number;
      ts: number;
      /** `name(args) = result`, or only `name(args` when the call never returned. */
      text: string;
    }
  | { kind: 'exited'; pid: number; ts: number; code: number }
  | { kind: 'killed'; pid: number; ts: number; signal: string }
  | { kind: 'signal'; pid: number; ts: number; signal: string };

const LINE = /^(\d+)\s+(\d+(?:\.\d+)?)\s+(.*)$/s;
const EXITED = /^\+\+\+ exited with (\d+) \+\+\+$/;
const KILLED = /^\+\+\+ killed by (SIG[A-Z0-9]+)(?: \(core dumped\))? \+\+\+$/;
const SIGNAL = /^--- (SIG[A-Z0-9]+) /;
const RESUMED = /^<\.\.\. ([a-z_][a-z0-9_]*) resumed>\s?(.*)$/s;
const UNFINISHED = /\s*<unfinished \.\.\.>$/;
const CALL = /^[a-z_][a-z0-9_]*\(/;

export class StraceLineReader {
  private readonly pending = new Map<number, { text: string; ts: number }>();
  /** Lines that matched no known shape (strace notices, cut-off garbage). */
  skipped = 0;

  /** Reads one line (without its newline); returns the records it completes. */
  push(line: string): StraceRecord[] {
    const m = LINE.exec(line.trimEnd());
    if (!m) {
      if (line.trim()) this.skipped++;
      return [];
    }
    const pid = Number(m[1]);
    const ts = Number(m[2]);
    const body = m[3] as string;

    const exited = EXITED.exec(body);
    if (exited) return [...this.flush(pid), { kind: 'exited', pid, ts, code: Number(exited[1]) }];
    const killed = KILLED.exec(body);
    if (killed) return [...this.flush(pid), { kind: 'killed', pid, ts, signal: killed[1] as string }];
    const signal = SIGNAL.exec(body);
    if (signal) return [{ kind: 'signal', pid, ts, signal: signal[1] as string }];

    const resumed = RESUMED.exec(body);
    if (resumed) {
      const start = this.pending.get(pid);
      this.pending.delete(pid);
      // A resumption without its start (trace cut at the front) cannot be read: skip it.
      if (!start) {
        this.skipped++;
        return [];
      }
      return [{ kind: 'call', pid, ts: start.ts, text: join(start.text, resumed[2] as string) }];
    }
    if (!CALL.test(body)) {
      this.skipped++;
      return [];
    }
    if (UNFINISHED.test(body)) {
      const out = this.flush(pid);
      this.pending.set(pid, { text: body.replace(UNFINISHED, ''), ts });
      return out;
    }
    return [{ kind: 'call', pid, ts, text: body }];
  }

  /** Ends the trace: calls still unfinished (the process was killed in them) become records. */
  end(): StraceRecord[] {
    const out: StraceRecord[] = [];
    for (const pid of [...this.pending.keys()]) out.push(...this.flush(pid));
    return out;
  }

  private flush(pid: number): StraceRecord[] {
    const start = this.pending.get(pid);
    if (!start) return [];
    this.pending.delete(pid);
    return [{ kind: 'call', pid, ts: start.ts, text: start.text }];
  }
}

/** Joins the halves of a split call as strace would have printed it whole. */
function join(start: string, rest: string): string {
  const head = start.trimEnd();
  return /^[,)]/.test(rest) || head.endsWith('(') ? head + rest : `${head} ${rest}`;
}
