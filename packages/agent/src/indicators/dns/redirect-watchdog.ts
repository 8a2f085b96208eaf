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
  /** Default `bash` from PATH. */
  bashPath?: string;
  /** The agent beats every this often. Default 2000 ms. */
  beatMs?: number;
  /** The watchdog fails open after this long without a beat (agent stuck). Default 20 000 ms. */
  stallMs?: number;
  /** The watchdog failed open while the agent was alive (a stall), or died: the agent re-arms. */
  onFired?: (why: string) => void;
  log?: Logger;
}

/**
 * The watchdog process, a bash script (`bash -c`: a few MB resident, where a second Node process
 * would take tens): it reads the agent's beats, one line each, on stdin. End of input (the agent
 * exited, however: kill -9, OOM, crash), SIGTERM/SIGHUP/SIGINT, or no beat for the stall time
 * flush the redirect chain (its policy is accept, so an empty chain redirects nothing) and exit.
 * A line `x` disarms it. It is a separate process because a process cannot clean up after its
 * own SIGKILL.
 */
const WATCHDOG = `
nft=$1 table=$2 chain=$3 stall=$4
fail() {
  "$nft" flush chain inet "$table" "$chain" 2>/dev/null
  echo "quell dns watchdog: $1; redirect flushed ($?)" >&2
  exit 0
}
trap 'fail "signalled"' TERM HUP INT
while :; do
  if IFS= read -r -t "$stall" line; then
    [ "$line" = x ] && exit 0
  else
    rc=$?
    if [ "$rc" -gt 128 ]; then fail "no beat for $stall s"; else fail "the agent went away"; fi
  fi
done
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
      this.opts.bashPath ?? 'bash',
      '-c',
      WATCHDOG,
      'quell-dns-watchdog',
      this.opts.nftPath ?? 'nft',
      this.opts.table,
      this.opts.chain ?? 'dns_redirect',
      ((this.opts.stallMs ?? 20_000) / 1000).toFixed(3),
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
    this.beat = setInterval(() => child.stdin?.write('.\n'), this.opts.beatMs ?? 2000);
    this.beat.unref();
  }

  disarm(): void {
    const child = this.child;
    this.child = null;
    this.stopBeat();
    if (!child) return;
    child.stdin?.end('x\n');
  }

  private stopBeat(): void {
    if (this.beat) clearInterval(this.beat);
    this.beat = null;
  }
}
