import cliProgress from 'cli-progress';
import type { Action } from '@quell/contracts';
import { isTerminal } from '@quell/core';
import type { Api } from './api.js';
import { CliError } from './errors.js';
import { note } from './output.js';

/** How often `--wait` asks for the action; agents report progress about once a second. */
export const POLL_MS = 1000;

/**
 * Exit codes of `--wait` beyond the usual 0 / 1 / 2, so scripts can tell "needs a human" and
 * "still running" apart from a failure.
 */
export const WAIT_EXIT = { pendingApproval: 3, stillRunning: 4 } as const;

/** What `--wait` ended on. */
export type WaitOutcome =
  | { kind: 'succeeded'; action: Action }
  | { kind: 'pending_approval'; action: Action }
  | { kind: 'timed_out_waiting'; action: Action };

/** Draws progress on stderr: a bar or spinner on a terminal, a line per change otherwise (logs, CI). */
interface Display {
  show(a: Action): void;
  stop(): void;
}

const SPIN = ['|', '/', '-', '\\'];

function statusText(a: Action): string {
  const msg = a.progress?.message ? `: ${a.progress.message}` : '';
  return `${a.status.replace(/_/g, ' ')}${msg}`;
}

function ttyDisplay(label: string): Display {
  let bar: cliProgress.SingleBar | undefined;
  let tick = 0;
  let lineShown = false;
  return {
    show(a) {
      const p = a.progress;
      if (p && p.total !== null && p.total > 0) {
        if (lineShown) process.stderr.write('\r\x1b[K');
        lineShown = false;
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              format: `${label} [{bar}] {value}/{total} {status}`,
              stream: process.stderr,
              hideCursor: true,
              clearOnComplete: false,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.total, p.done, { status: statusText(a) });
        } else {
          bar.setTotal(p.total);
          bar.update(p.done, { status: statusText(a) });
        }
        return;
      }
      // No known total (queued, waiting for the agent, a collection): a spinner and the status.
      tick = (tick + 1) % SPIN.length;
      const done = p ? ` (${p.done} done)` : '';
      process.stderr.write(`\r\x1b[K${SPIN[tick] ?? '|'} ${label} ${statusText(a)}${done}`);
      lineShown = true;
    },
    stop() {
      bar?.stop();
      if (lineShown) process.stderr.write('\n');
    },
  };
}

function lineDisplay(label: string): Display {
  let last = '';
  return {
    show(a) {
      const p = a.progress;
      const counts = p ? ` ${p.done}${p.total !== null ? `/${p.total}` : ''}` : '';
      const line = `${label} ${statusText(a)}${counts}`;
      if (line !== last) note(line);
      last = line;
    },
    stop: () => undefined,
  };
}

export interface WaitOptions {
  /** Stop waiting (the action goes on) after this many seconds; default: until it ends. */
  timeoutSeconds?: number;
  /** Injectable for tests; default {@link POLL_MS}. */
  pollMs?: number;
}

/**
 * Polls an action until it is terminal or waits for approval, showing its progress on stderr.
 * Throws a {@link CliError} carrying the action's error when it failed, expired, was rejected,
 * cancelled or timed out, so the command exits 1 with the reason.
 */
export async function waitForAction(api: Api, first: Action, opts: WaitOptions = {}): Promise<WaitOutcome> {
  const label = `${first.type} ${first.id}`;
  const display = process.stderr.isTTY === true ? ttyDisplay(label) : lineDisplay(label);
  const deadline = opts.timeoutSeconds !== undefined ? Date.now() + opts.timeoutSeconds * 1000 : Infinity;
  let a: Action = first;
  try {
    for (;;) {
      display.show(a);
      if (a.status === 'pending_approval') return { kind: 'pending_approval', action: a };
      if (isTerminal(a.status)) break;
      if (Date.now() >= deadline) return { kind: 'timed_out_waiting', action: a };
      await new Promise((r) => setTimeout(r, opts.pollMs ?? POLL_MS));
      a = await api.call('getAction', { params: { id: a.id } });
    }
  } finally {
    display.stop();
  }
  if (a.status === 'succeeded') return { kind: 'succeeded', action: a };
  const why = a.error ? `: ${a.error}` : '';
  throw new CliError(
    `action ${a.id} ${a.type} ended ${a.status.replace(/_/g, ' ')}${why}`,
    'QUELL_E_ACTION_FAILED',
  );
}

/** Says what a wait that did not reach success means, and sets the distinct exit code. */
export function reportUnfinished(o: Exclude<WaitOutcome, { kind: 'succeeded' }>): void {
  if (o.kind === 'pending_approval') {
    note(
      `action ${o.action.id} waits for approval (${o.action.approvalReason}); approve it with \`quell actions approve ${o.action.id}\``,
    );
    process.exitCode = WAIT_EXIT.pendingApproval;
    return;
  }
  note(
    `stopped waiting: action ${o.action.id} is still ${o.action.status.replace(/_/g, ' ')}; follow it with \`quell actions show ${o.action.id}\``,
  );
  process.exitCode = WAIT_EXIT.stillRunning;
}
