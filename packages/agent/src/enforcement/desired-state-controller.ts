import type { IsolationSpec } from '@quell/contracts/agent';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type {
  ExecBlocklist,
  ExecControl,
  ExecControlEvent,
  ExecControlStatus,
  FirewallReadback,
  IsolationTarget,
  ManagementEndpoint,
} from '../ports.js';
import type { DesiredState, DesiredStateFile } from '../state/desired-state.js';
import type { IsolationApplyOutcome, IsolationEnforcer, ReachabilityProbe } from './isolation-enforcer.js';
import type { StateReporter } from './state-reporter.js';

export interface DesiredStateControllerDeps {
  file: DesiredStateFile;
  isolation: IsolationEnforcer;
  /** Null when exec control is disabled in the config or unavailable here. */
  execControl: ExecControl | null;
  reporter: StateReporter;
  /** The server's endpoints isolation must keep open (resolved now, or the cached list). */
  management: () => Promise<ManagementEndpoint[]>;
  log: Logger;
  /** Denied executions and helper crashes, for alerts (hook; the runtime logs them for now). */
  onExecEvent?: (e: ExecControlEvent) => void;
}

/**
 * The one owner of desired state: persists it before acting (a crash mid-apply re-applies at
 * the next start), applies it through the ports, keeps the reporter's verified state current,
 * and re-applies everything at start and at boot. State changes run one at a time, so an
 * isolate and a release that arrive together land in order.
 */
export class DesiredStateController {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: DesiredStateControllerDeps) {
    deps.isolation.onObservation((o) => {
      const hash = o.readback.rulesetHash;
      if (o.error) deps.log.error('enforcing isolation failed', { error: o.error });
      else if (o.reasserted)
        deps.log.warn('isolation was tampered with and has been re-asserted', { rulesetHash: hash });
      void this.current().then(
        (d) =>
          deps.reporter.setIsolation({
            state: o.error ? 'failed' : o.target ? 'on' : 'off',
            actionId: d.isolation?.actionId ?? null,
            evidence: hash,
            error: o.error,
            ...(d.isolation ? { isolation: d.isolation.spec } : {}),
          }),
        (e: unknown) => deps.log.error('cannot read desired state', { error: errorMessage(e) }),
      );
    });
    deps.execControl?.onEvent((e) => {
      if (e.kind === 'helper_crashed') {
        deps.log.error('the exec-control helper crashed; execution is not restricted until it restarts', {
          error: e.error,
        });
        deps.reporter.setIssue('exec_helper', `exec-control helper crashed: ${e.error}`);
      } else {
        deps.log.info('execution denied', {
          path: e.path,
          pid: e.pid,
          sha256: e.sha256,
          reason: e.reason,
          indicatorId: e.indicatorId,
        });
      }
      deps.onExecEvent?.(e);
    });
  }

  current(): Promise<DesiredState> {
    return this.deps.file.read();
  }

  /**
   * Re-applies the desired state from disk, without the reachability guard: at start and at
   * boot the server may be down, and isolation must hold anyway. Port failures land in the
   * verified state; only an unreadable desired-state file throws (StateError).
   */
  reconcile(): Promise<void> {
    return this.serial(async () => {
      const desired = await this.deps.file.read();
      if (desired.isolation) {
        const target: IsolationTarget = {
          spec: desired.isolation.spec,
          management: desired.isolation.management,
        };
        const rb = await this.deps.isolation.apply(target).catch((e: unknown) => failedReadback(e));
        this.reportIsolation(desired.isolation.actionId, desired.isolation.spec, rb);
        this.deps.isolation.watch(target);
      } else {
        const rb = await this.deps.isolation.remove().catch((e: unknown) => failedReadback(e));
        this.reportReleased(null, rb);
        this.deps.isolation.watch(null);
      }
      const ec = this.deps.execControl;
      if (desired.restriction && ec) {
        const st = await ec
          .enable({ allowSha256: desired.restriction.allowSha256 })
          .catch((e: unknown) => failedStatus(e));
        this.reportRestriction(desired.restriction.actionId, st);
      } else if (ec) {
        this.reportRestriction(null, ec.status());
      } else {
        this.deps.reporter.setRestriction({ state: 'off', actionId: null, evidence: null, error: null });
      }
    });
  }

  /** Sets desired isolation and applies it with the lock-out guard; rolls desired state back with it. */
  isolate(
    spec: IsolationSpec,
    actionId: string,
    probe: ReachabilityProbe,
    opts: { rollbackWithinMs: number; signal?: AbortSignal },
  ): Promise<IsolationApplyOutcome> {
    return this.serial(async () => {
      const before = await this.deps.file.read();
      const management = await this.deps.management();
      await this.deps.file.write({ ...before, isolation: { spec, actionId, management } });
      this.deps.reporter.setIsolation({
        state: 'applying',
        actionId,
        evidence: null,
        error: null,
        isolation: spec,
      });
      const target: IsolationTarget = { spec, management };
      const out = await this.deps.isolation.applySafely(target, probe, opts).catch((e: unknown) => ({
        verified: false,
        reachedServer: false,
        rolledBack: false,
        readback: failedReadback(e),
        error: errorMessage(e),
      }));
      if (out.rolledBack) {
        await this.deps.file.write({ ...before, isolation: before.isolation });
        if (before.isolation) {
          // It was isolated before this action: go back to that, not to "open".
          const prev = { spec: before.isolation.spec, management: before.isolation.management };
          this.reportIsolation(
            before.isolation.actionId,
            before.isolation.spec,
            await this.deps.isolation.apply(prev),
          );
          this.deps.isolation.watch(prev);
        } else {
          this.reportReleased(null, out.readback, out.error);
          this.deps.isolation.watch(null);
        }
        return out;
      }
      this.reportIsolation(actionId, spec, out.readback, out.error);
      this.deps.isolation.watch(target);
      return out;
    });
  }

  release(actionId: string): Promise<FirewallReadback> {
    return this.serial(async () => {
      const before = await this.deps.file.read();
      await this.deps.file.write({ ...before, isolation: null });
      this.deps.isolation.watch(null);
      const rb = await this.deps.isolation.remove();
      this.reportReleased(actionId, rb);
      return rb;
    });
  }

  restrict(actionId: string, allowSha256: readonly string[]): Promise<ExecControlStatus> {
    return this.serial(async () => {
      const ec = this.requireExecControl();
      const before = await this.deps.file.read();
      await this.deps.file.write({ ...before, restriction: { actionId, allowSha256: [...allowSha256] } });
      const st = await ec.enable({ allowSha256 });
      this.deps.reporter.setIssue('exec_helper', null);
      this.reportRestriction(actionId, st);
      return st;
    });
  }

  unrestrict(actionId: string): Promise<ExecControlStatus> {
    return this.serial(async () => {
      const ec = this.requireExecControl();
      const before = await this.deps.file.read();
      await this.deps.file.write({ ...before, restriction: null });
      const st = await ec.disable();
      this.reportRestriction(actionId, st);
      return st;
    });
  }

  /**
   * Hash indicators for the exec control (issue 4): set while at least one block or
   * block-and-remediate hash indicator is held, null when none is. While set, the helper runs
   * even on an unrestricted device and denies blocked hashes; cleared on an unrestricted device,
   * it stops. Not persisted here: the indicator store is, and the runtime sets it again at start.
   */
  setExecBlocklist(list: ExecBlocklist | null): Promise<ExecControlStatus | null> {
    return this.serial(async () => {
      const ec = this.deps.execControl;
      if (!ec) {
        if (list) this.deps.log.warn('block hash indicators are held but exec control is disabled here');
        return null;
      }
      const st = await ec.setBlocklist(list);
      if (st.mode !== 'restricted') this.reportRestriction(null, st);
      if (st.state === 'failed')
        this.deps.reporter.setIssue('exec_helper', `exec-control helper: ${st.error}`);
      else this.deps.reporter.setIssue('exec_helper', null);
      return st;
    });
  }

  stop(): void {
    this.deps.isolation.stop();
  }

  private requireExecControl(): ExecControl {
    if (!this.deps.execControl)
      throw new Error(
        'exec control is disabled on this device (config execControl.enabled) or its helper is missing',
      );
    return this.deps.execControl;
  }

  private reportIsolation(
    actionId: string,
    spec: IsolationSpec,
    rb: FirewallReadback,
    error: string | null = null,
  ): void {
    this.deps.reporter.setIsolation({
      state: rb.matches ? 'on' : 'failed',
      actionId,
      evidence: rb.rulesetHash,
      error:
        error ??
        (rb.matches ? null : (rb.error ?? 'the ruleset read back does not match the desired isolation')),
      isolation: spec,
    });
  }

  private reportReleased(actionId: string | null, rb: FirewallReadback, error: string | null = null): void {
    this.deps.reporter.setIsolation({
      state: rb.present ? 'failed' : 'off',
      actionId,
      evidence: null,
      error: error ?? (rb.present ? (rb.error ?? "Quell's firewall table is still present") : null),
    });
  }

  /** The restriction's verified state: the helper's only while it restricts (not for the blocklist). */
  private reportRestriction(actionId: string | null, st: ExecControlStatus): void {
    const restricting = st.mode === 'restricted';
    this.deps.reporter.setRestriction({
      state: restricting ? st.state : 'off',
      actionId,
      evidence: restricting && st.helperPid !== null ? `helper pid ${st.helperPid}` : null,
      error: restricting ? st.error : null,
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

function failedReadback(e: unknown): FirewallReadback {
  return { matches: false, present: false, rulesetHash: null, error: errorMessage(e) };
}

function failedStatus(e: unknown): ExecControlStatus {
  return { state: 'failed', mode: 'restricted', helperPid: null, error: errorMessage(e), denied: 0 };
}
