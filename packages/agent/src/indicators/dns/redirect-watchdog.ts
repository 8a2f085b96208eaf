import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../../log.js';

/**
 * Keeps the DNS redirect from outliving the filter it points at. A redirect to a port nobody
 * serves breaks every name lookup on the device, so while the redirect is in the table a
 * watchdog must be armed that takes it out (fails open) when the agent is gone or stuck.
 */
export interface RedirectWatchdog {
  /** Idempotent. */
  arm(): void;
  /** The agent took the redirect out itself: stand down without touching the table. */
  disarm(): void;
}

export interface ProcessRedirectWatchdogOptions {
  /** The table holding the `dns_redirect` chain. */
  table: string;
  chain?: string;
  /** Argv prefix before node (tests: `ip netns exec …`), so `nft` runs where the table is. */
  commandPrefix?: readonly string[];
  nftPath?: string;
  /** The agent beats every this often. Default 2000 ms. */
  beatMs?: number;
  /** The watchdog fails open after this long without a beat (agent stuck). Default 20 000 ms. */
  stallMs?: number;
  /** The watchdog failed open while the agent was alive (a stall), or died: the agent re-arms. */
  onFired?: (why: string) => void;
  log?: Logger;
  nodePath?: string;
}

/**
 * The watchdog process, run as `node -e`: it reads the agent's beats on stdin. End of input
 * (the agent exited, however: kill -9, OOM, crash), SIGTERM/SIGHUP, or no beat for `stallMs`
 * flush the redirect chain (its policy is accept, so an empty chain redirects nothing) and exit.
 * `x` on stdin disarms it. It runs nothing else; it is a separate process because a process
 * cannot clean up after its own SIGKILL.
 */
const WATCHDOG = `
const { spawnSync } = require('child_process');
const [nft, table, chain, stallMs] = process.argv.slice(1);
let last = Date.now(), done = false;
const failOpen = (why) => {
  if (done) return; done = true;
  const r = spawnSync(nft, ['flush', 'chain', 'inet', table, chain], { stdio: 'ignore', timeout: 10000 });
  process.stderr.write('quell dns watchdog: ' + why + '; redirect flushed (' + r.status + ')\\n');
  process.exit(0);
};
process.stdin.on('data', (d) => { last = Date.now(); if (d.includes(120)) { done = true; process.exit(0); } });
process.stdin.on('end', () => failOpen('the agent went away'));
process.stdin.on('error', () => failOpen('the agent went away'));
for (const s of ['SIGTERM', 'SIGHUP', 'SIGINT']) process.on(s, () => failOpen(s));
setInterval(() => { if (Date.now() - last > Number(stallMs)) failOpen('no beat for ' + stallMs + ' ms'); }, 1000);
`;

/** A {@link RedirectWatchdog} in a small separate process (see `WATCHDOG`). */
export class ProcessRedirectWatchdog implements RedirectWatchdog {
  private child: ChildProcess | null = null;
  private beat: NodeJS.Timeout | null = null;

  constructor(private readonly opts: ProcessRedirectWatchdogOptions) {}

  arm(): void {
    if (this.child) return;
    const argv = [
      ...(this.opts.commandPrefix ?? []),
      this.opts.nodePath ?? process.execPath,
      '-e',
      WATCHDOG,
      '--',
      this.opts.nftPath ?? 'nft',
      this.opts.table,
      this.opts.chain ?? 'dns_redirect',
      String(this.opts.stallMs ?? 20_000),
    ];
    // Detached: a signal to the agent's process group (Ctrl-C in a terminal) must not take the
    // watchdog with it before it has done its job.
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
    child.stdin!.on('error', () => undefined);
    child.on('error', (e) =>
      this.opts.log?.error('DNS redirect watchdog failed to start', { error: e.message }),
    );
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      this.stopBeat();
      const why = stderr.trim() || `watchdog exited (${signal ?? code})`;
      this.opts.log?.warn('DNS redirect watchdog fired', { why });
      this.opts.onFired?.(why);
    });
    // The watchdog must never keep the agent from exiting.
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    this.child = child;
    this.beat = setInterval(() => child.stdin?.write('.'), this.opts.beatMs ?? 2000);
    this.beat.unref();
  }

  disarm(): void {
    const child = this.child;
    this.child = null;
    this.stopBeat();
    if (!child) return;
    child.stdin?.end('x');
  }

  private stopBeat(): void {
    if (this.beat) clearInterval(this.beat);
    this.beat = null;
  }
}
