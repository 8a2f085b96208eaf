import type { Firewall, FirewallReadback, IsolationTarget } from '../ports.js';
import { InvalidIsolationTargetError } from './firewall.errors.js';

/** Why {@link applyIsolationSafely} did not leave isolation in force. */
export const SAFE_ISOLATION_FAILURES = [
  /** The target was refused before touching the firewall. */
  'invalid_target',
  /** nft failed or the table did not read back as written; nothing was confirmed. */
  'apply_failed',
  /** Isolation was applied but the server stayed unreachable, so it was rolled back. */
  'server_unreachable',
  /** The server was unreachable and removing the rules failed too: the device may be cut off. */
  'rollback_failed',
] as const;
export type SafeIsolationFailure = (typeof SAFE_ISOLATION_FAILURES)[number];

export type SafeIsolationResult =
  | { ok: true; readback: FirewallReadback; reachedServer: true; probeAttempts: number }
  | {
      ok: false;
      reason: SafeIsolationFailure;
      /** What went wrong, for the action's result and the operator. */
      error: string;
      /** The firewall as read back last (after the rollback when there was one). */
      readback: FirewallReadback | null;
      rolledBack: boolean;
      reachedServer: boolean;
      probeAttempts: number;
    };

/**
 * Checks that the server is reachable now, e.g. a TLS handshake or a request on a fresh
 * connection to the management endpoint. It must give up when `signal` aborts.
 */
export type ServerProbe = (signal: AbortSignal) => Promise<boolean>;

export interface SafeIsolationOptions {
  /** Isolation is removed if the server is not reached within this long. Default 30 000 ms. */
  rollbackWithinMs?: number;
  /** Pause between failed probes. Default 1000 ms. */
  probeIntervalMs?: number;
  /** Limit for one probe. Default 5000 ms (never past the rollback deadline). */
  probeTimeoutMs?: number;
}

/**
 * Applies isolation and proves the agent did not lock itself out (ARCHITECTURE §4): after the
 * rules are in, `probe` must reach the server before `rollbackWithinMs`; if it never does, the
 * rules are removed and the result says so. A failed write is not rolled back: the transaction
 * is atomic, so whatever was in force before still is.
 */
export async function applyIsolationSafely(
  firewall: Firewall,
  target: IsolationTarget,
  probe: ServerProbe,
  opts: SafeIsolationOptions = {},
): Promise<SafeIsolationResult> {
  const rollbackWithinMs = opts.rollbackWithinMs ?? 30_000;
  const deadline = Date.now() + rollbackWithinMs;
  let readback: FirewallReadback;
  try {
    readback = await firewall.apply(target);
  } catch (err) {
    if (!(err instanceof InvalidIsolationTargetError)) throw err;
    return fail('invalid_target', err.message, null, false, 0);
  }
  if (!readback.matches && !readback.present) {
    return fail('apply_failed', readback.error ?? 'table missing after apply', readback, false, 0);
  }

  const probed = await probeUntil(probe, deadline, opts);
  if (probed.reached) {
    if (readback.matches) return { ok: true, readback, reachedServer: true, probeAttempts: probed.attempts };
    return fail(
      'apply_failed',
      readback.error ?? 'ruleset read back differs',
      readback,
      false,
      probed.attempts,
      true,
    );
  }

  const removed = await firewall.remove();
  const why = `server not reachable within ${rollbackWithinMs} ms after isolating (${probed.attempts} probes${
    probed.lastError ? `, last error: ${probed.lastError}` : ''
  })`;
  if (removed.present || removed.error) {
    return fail(
      'rollback_failed',
      `${why}; rollback failed: ${removed.error ?? 'table still present'}`,
      removed,
      false,
      probed.attempts,
    );
  }
  return fail('server_unreachable', `${why}; isolation rolled back`, removed, true, probed.attempts);
}

function fail(
  reason: SafeIsolationFailure,
  error: string,
  readback: FirewallReadback | null,
  rolledBack: boolean,
  probeAttempts: number,
  reachedServer = false,
): SafeIsolationResult {
  return { ok: false, reason, error, readback, rolledBack, reachedServer, probeAttempts };
}

async function probeUntil(
  probe: ServerProbe,
  deadline: number,
  opts: SafeIsolationOptions,
): Promise<{ reached: boolean; attempts: number; lastError: string | null }> {
  const interval = opts.probeIntervalMs ?? 1000;
  const limit = opts.probeTimeoutMs ?? 5000;
  let attempts = 0;
  let lastError: string | null = null;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { reached: false, attempts, lastError };
    attempts++;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(new Error('probe timed out')), Math.min(limit, remaining));
    try {
      if (await abortable(probe(ctl.signal), ctl.signal)) return { reached: true, attempts, lastError };
      lastError = null;
    } catch (err) {
      lastError = (err as Error).message;
    } finally {
      clearTimeout(timer);
    }
    const pause = Math.min(interval, deadline - Date.now());
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  }
}

/** Settles when `signal` aborts even if a misbehaving probe ignores it. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    p.then(resolve, reject);
  });
}
