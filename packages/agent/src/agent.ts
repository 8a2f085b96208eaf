import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentState, Inventory, ServerMessage } from '@quell/contracts/agent';
import type { AgentConfig } from './config/agent-config.js';
import { DesiredStateController } from './enforcement/desired-state-controller.js';
import { FirewallIsolationEnforcer } from './enforcement/firewall-isolation.enforcer.js';
import type { IsolationEnforcer } from './enforcement/isolation-enforcer.js';
import { resolveManagement } from './enforcement/management-endpoints.js';
import { StateReporter } from './enforcement/state-reporter.js';
import { errorMessage, NotEnrolledError } from './errors.js';
import { CollectInvestigationPackageHandler } from './handlers/collect-investigation-package.handler.js';
import { HandlerRegistry } from './handlers/handler-registry.js';
import { IsolateDeviceHandler, ISOLATION_ROLLBACK_MS } from './handlers/isolate-device.handler.js';
import { ReleaseDeviceHandler } from './handlers/release-device.handler.js';
import {
  RemoveAppRestrictionHandler,
  RestrictAppExecutionHandler,
} from './handlers/app-restriction.handlers.js';
import { RunAvScanHandler, type ScanIndicators } from './handlers/run-av-scan.handler.js';
import { LazyHandler } from './handlers/lazy.handler.js';
import type { ActionHandler } from './handlers/action-handler.js';
import type { FileQuarantine } from './quarantine/index.js';
import type { BlockRemediator, HashIndicatorEnforcement } from './remediation/index.js';
import type { UploadOutcome } from './transport/upload.js';
import type { IndicatorSyncClient } from './indicators/indicator-sync.client.js';
import type {
  IndicatorEnforcement,
  IndicatorPersistence,
  IndicatorStore,
  IocFirewall,
} from './indicators/index.js';
import { loadIdentity } from './identity/key-store.js';
import { collectInventory } from './inventory/inventory.js';
import { CommandVerifier } from './jobs/command-verifier.js';
import { JobRunner } from './jobs/job-runner.js';
import { silentLogger, type Logger } from './log.js';
import type { Collector, ExecControl, ExecControlEvent, Firewall, Scanner } from './ports.js';
import { DesiredStateFile } from './state/desired-state.js';
import type { AgentEventSink } from './events/agent-events.js';
import { EventOutbox } from './events/event-outbox.js';
import { EventReporter } from './events/event-reporter.js';
import { execControlEvent } from './events/exec-events.js';
import type { ExecObserver } from './observe/exec-observer.js';
import { observingScanner } from './observe/scan-observations.js';
import { ExecutedStore } from './state/executed-store.js';
import { Outbox } from './state/outbox.js';
import { AgentChannel, type ChannelStopReason } from './transport/agent-channel.js';
import type { BackoffPolicy } from './transport/backoff.js';

/** The OS-facing implementations the runtime drives (real ones in production, fakes in tests). */
export interface AgentPorts {
  firewall: Firewall;
  /** Null when exec control is disabled or unavailable. */
  execControl: ExecControl | null;
  scanner: Scanner;
  collector: Collector;
  /** The firewall module's enforcer (safe apply + reconciler); default built from `firewall`. */
  isolation?: IsolationEnforcer;
  /**
   * Where IP indicators are enforced (the `inet quell_ioc` nftables table), made on first use.
   * Absent (tests with fake ports): indicators are held and looked up, not enforced.
   */
  iocFirewall?: () => Promise<IocFirewall>;
}

export interface AgentRuntimeOptions {
  config: AgentConfig;
  ports: AgentPorts;
  log?: Logger;
  now?: () => number;
  /** [0, 1) for reconnect jitter. */
  random?: () => number;
  backoff?: BackoffPolicy;
  inventory?: () => Promise<Inventory>;
  /** Isolation rollback window. Default 30 s. */
  rollbackWithinMs?: number;
  progressIntervalMs?: number;
  /** Denied executions and helper crashes, besides the device events they also become. */
  onExecEvent?: (e: ExecControlEvent) => void;
  /**
   * Where device events go (denials, observations, remediations). Default: an
   * {@link EventReporter} sending them to the server, security events kept on disk until acked.
   */
  events?: AgentEventSink;
}

/** Wires desired state (reporter + controller) over the ports; shared by the runtime and `reconcile --once`. */
export function createDesiredState(
  opts: Pick<AgentRuntimeOptions, 'config' | 'ports' | 'log' | 'now' | 'onExecEvent'>,
): {
  reporter: StateReporter;
  controller: DesiredStateController;
} {
  const log = opts.log ?? silentLogger;
  const reporter = new StateReporter(opts.now);
  const controller = new DesiredStateController({
    file: new DesiredStateFile(opts.config.stateDir),
    isolation: opts.ports.isolation ?? new FirewallIsolationEnforcer(opts.ports.firewall),
    execControl: opts.ports.execControl,
    reporter,
    management: () =>
      resolveManagement(opts.config.serverUrl, opts.config.management, opts.config.stateDir, log),
    log,
    ...(opts.onExecEvent ? { onExecEvent: opts.onExecEvent } : {}),
  });
  return { reporter, controller };
}

/** What the runtime holds for indicators once they are loaded (issue 4). */
interface IndicatorParts {
  store: IndicatorStore;
  persistence: IndicatorPersistence;
  sync: IndicatorSyncClient;
  /** Null when the ports give no IP enforcement (tests with fake ports). */
  enforcement: IndicatorEnforcement | null;
  /** Hash indicators: the exec-control blocklist and the new-copy watcher, switched by the store. */
  hashes: HashIndicatorEnforcement;
  /** Quarantines copies of block-and-remediate hashes (watcher, scans). */
  remediator: BlockRemediator;
}

/**
 * The agent runtime: re-applies desired state from disk first (isolation survives restarts and
 * kill -9 without waiting for the server), then connects; routes commands to the job runner,
 * sends `state` on every verified change, re-sends the outbox after every welcome.
 */
export class AgentRuntime {
  readonly channel: AgentChannel;
  readonly reporter: StateReporter;
  readonly desired: DesiredStateController;
  readonly jobs: JobRunner;
  /** Device events for the server (issue 4): denials, file observations, remediations. */
  readonly events: AgentEventSink;
  /** The default sink; null when the options gave another. */
  readonly eventReporter: EventReporter | null;
  private observer: ExecObserver | null = null;
  private readonly log: Logger;
  private stopped: Promise<ChannelStopReason>;
  /** Indicators (issue 4), loaded at the first welcome; see {@link indicatorSync}. */
  private indicators: Promise<IndicatorParts> | null = null;
  /** The device's one quarantine, shared by the file actions and indicator remediation. */
  private readonly quarantine: () => Promise<FileQuarantine>;

  private constructor(
    private readonly opts: AgentRuntimeOptions,
    parts: {
      channel: AgentChannel;
      reporter: StateReporter;
      desired: DesiredStateController;
      jobs: JobRunner;
      events: AgentEventSink;
      eventReporter: EventReporter | null;
      quarantine: () => Promise<FileQuarantine>;
    },
  ) {
    this.log = opts.log ?? silentLogger;
    this.channel = parts.channel;
    this.reporter = parts.reporter;
    this.desired = parts.desired;
    this.jobs = parts.jobs;
    this.events = parts.events;
    this.eventReporter = parts.eventReporter;
    this.quarantine = parts.quarantine;
    this.stopped = new Promise((resolve) => this.channel.onStop(resolve));
  }

  /** Loads identity and state from `config.stateDir`; does not touch the OS or the network yet. */
  static async create(opts: AgentRuntimeOptions): Promise<AgentRuntime> {
    const { config } = opts;
    const log = opts.log ?? silentLogger;
    if (!config.deviceId)
      throw new NotEnrolledError('the config has no deviceId: run `quell-agent enroll` first');
    const deviceId = config.deviceId;
    const identity = await loadIdentity(config.stateDir);
    // Events are emitted from the start (exec control re-applied from disk may deny at once);
    // the reporter reaches the channel, made below, through this late-bound reference.
    const ref: { jobs: JobRunner | null; runtime: AgentRuntime | null; channel: AgentChannel | null } = {
      jobs: null,
      runtime: null,
      channel: null,
    };
    const eventReporter = opts.events
      ? null
      : new EventReporter({
          send: (m) => ref.channel?.send(m) ?? false,
          connected: () => ref.channel?.connected ?? false,
          outbox: new EventOutbox(config.stateDir),
          log,
          ...(opts.now ? { now: opts.now } : {}),
        });
    const sink: AgentEventSink = opts.events ?? eventReporter!;
    // Every device event is also logged (debug), so what the agent reported can be read back.
    const events: AgentEventSink = {
      emit: (e) => {
        log.debug('device event', { event: e });
        sink.emit(e);
      },
    };
    const { reporter, controller } = createDesiredState({
      ...opts,
      onExecEvent: (e) => {
        opts.onExecEvent?.(e);
        events.emit(execControlEvent(e, config.fsRoot));
      },
    });
    const quarantine = sharedQuarantine(config, log, (sha256) =>
      ref.runtime ? ref.runtime.allowedHash(sha256) : Promise.resolve(false),
    );
    const inventory =
      opts.inventory ??
      (() =>
        collectInventory({
          fsRoot: config.fsRoot,
          helperPath: config.execControl.helperPath,
          clamdSocket: config.scan.clamdSocket,
          yaraPath: config.scan.yaraPath,
        }));
    // The channel's hello lists running jobs, and the jobs send through the channel: the
    // channel reaches the runner through `ref` too.
    const channel = new AgentChannel({
      serverUrl: config.serverUrl,
      certSha256: config.certSha256,
      deviceId,
      privateKey: identity.privateKey,
      helloInfo: async () => ({
        inventory: await inventory(),
        state: reporter.get(),
        running: ref.jobs?.runningIds() ?? [],
      }),
      currentState: () => reporter.get(),
      heartbeatMs: config.heartbeatMs,
      log,
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
    });
    ref.channel = channel;
    const registry = new HandlerRegistry([
      new IsolateDeviceHandler(
        controller,
        (signal) => channel.probe(signal),
        opts.rollbackWithinMs ?? ISOLATION_ROLLBACK_MS,
      ),
      new ReleaseDeviceHandler(controller),
      new RestrictAppExecutionHandler(controller),
      new RemoveAppRestrictionHandler(controller),
      new RunAvScanHandler(
        observingScanner(opts.ports.scanner, events, opts.now),
        config.scan.cpuLimit,
        (sha256) => (ref.runtime ? ref.runtime.allowedHash(sha256) : Promise.resolve(false)),
        () => (ref.runtime ? ref.runtime.scanIndicators() : Promise.resolve(null)),
      ),
      new CollectInvestigationPackageHandler(
        opts.ports.collector,
        (id, path, signal) => channel.upload(id, path, signal),
        join(config.stateDir, 'work'),
      ),
      ...fileHandlers(config, log, quarantine, (id, path, signal) => channel.upload(id, path, signal)),
    ]);
    const jobs = new JobRunner({
      registry,
      verifier: new CommandVerifier({
        serverPublicKey: identity.serverPublicKey,
        deviceId,
        ...(opts.now ? { now: opts.now } : {}),
      }),
      executed: new ExecutedStore(config.stateDir, opts.now),
      outbox: new Outbox(config.stateDir),
      send: (m) => channel.send(m),
      log,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.progressIntervalMs !== undefined ? { progressIntervalMs: opts.progressIntervalMs } : {}),
    });
    ref.jobs = jobs;
    ref.runtime = new AgentRuntime(opts, {
      channel,
      reporter,
      desired: controller,
      jobs,
      events,
      eventReporter,
      quarantine,
    });
    return ref.runtime;
  }

  /** Current verified state. */
  get state(): AgentState {
    return this.reporter.get();
  }

  /** Re-applies desired state, opens the job store, connects. */
  async start(): Promise<void> {
    try {
      await this.desired.reconcile();
    } catch (e) {
      // Keep going: the server must hear about a device whose desired state cannot be read.
      this.log.error('re-applying desired state failed', { error: errorMessage(e) });
      this.reporter.setIssue('desired_state', `re-applying desired state failed: ${errorMessage(e)}`);
    }
    await this.jobs.open();
    // Indicators held from before a restart are enforced now, not only after the server answers.
    if (existsSync(join(this.opts.config.stateDir, 'indicators', 'indicators.bin'))) {
      void this.indicatorSync().catch((e: unknown) =>
        this.log.error('loading indicators failed', { error: errorMessage(e) }),
      );
    }
    await this.eventReporter?.start();
    await this.startObserver();
    this.reporter.onChange((state) => this.channel.send({ type: 'state', state }));
    this.channel.onWelcome(() => {
      this.eventReporter?.reconnected();
      void this.jobs
        .flushOutbox()
        .catch((e: unknown) => this.log.error('re-sending results failed', { error: errorMessage(e) }));
      void this.indicatorSync()
        .then((i) => i.sync.requestSync())
        .catch((e: unknown) => this.log.error('indicator sync failed', { error: errorMessage(e) }));
    });
    this.channel.onMessage((m) => this.dispatch(m));
    this.channel.start();
  }

  /** Resolves when the channel stops for good (revoked, unknown device, or {@link stop}). */
  whenStopped(): Promise<ChannelStopReason> {
    return this.stopped;
  }

  /** The indicator store, loaded from disk (so a restarted agent holds them at once) and synced. */
  indicatorSync(): Promise<IndicatorParts> {
    this.indicators ??= (async () => {
      const [indicators, { IndicatorSyncClient }] = await Promise.all([
        import('./indicators/index.js'),
        import('./indicators/indicator-sync.client.js'),
      ]);
      const store = new indicators.IndicatorStore({ log: this.log });
      const persistence = new indicators.IndicatorPersistence({
        store,
        dir: join(this.opts.config.stateDir, 'indicators'),
        log: this.log,
      });
      await persistence.load();
      persistence.start();
      const sync = new IndicatorSyncClient(store, (m) => this.channel.send(m), this.log);
      let enforcement: IndicatorEnforcement | null = null;
      if (this.opts.ports.iocFirewall) {
        const { config } = this.opts;
        // The management server is never blocked, whatever an indicator says.
        const management = (
          await resolveManagement(config.serverUrl, config.management, config.stateDir, this.log)
        ).map((m) => m.address);
        enforcement = new indicators.IndicatorEnforcement({
          store,
          firewall: await this.opts.ports.iocFirewall(),
          management: () => management,
          // Domain/URL indicators through the DNS filter (config `dns.*`); a degraded filter is a device issue.
          dns: await (
            await import('./indicators/dns/dns-settings.js')
          ).createDnsSettings({
            config,
            log: this.log,
            onProblem: (text) => this.reporter.setIssue('dns_filter', text),
          }),
          log: this.log,
        });
        await enforcement.start();
      }
      const { hashes, remediator } = await this.hashIndicators(store);
      return { store, persistence, sync, enforcement, hashes, remediator };
    })();
    return this.indicators;
  }

  /** Reports executed images as file observations (`observe.execIntervalMs`, 0 = off). */
  private async startObserver(): Promise<void> {
    const { config } = this.opts;
    const intervalMs = config.observe?.execIntervalMs ?? 30_000;
    if (intervalMs === 0) return;
    try {
      const [{ ExecObserver }, { FsRoot }] = await Promise.all([
        import('./observe/exec-observer.js'),
        import('./quarantine/fs-root.js'),
      ]);
      this.observer = new ExecObserver({
        sink: this.events,
        root: await FsRoot.open(config.fsRoot),
        intervalMs,
        log: this.log,
        ...(this.opts.now ? { now: this.opts.now } : {}),
      });
      this.observer.start();
    } catch (e) {
      // Observations are a nicety next to enforcement: the agent runs on without them.
      this.log.error('cannot observe executed images', { error: errorMessage(e) });
    }
  }

  /**
   * Hash indicators (issue 4): blocked hashes stop executing (the exec control's blocklist, set
   * while any is held), and copies of block-and-remediate hashes are quarantined as they appear
   * under the configured paths and when a scan finds them.
   */
  private async hashIndicators(
    store: IndicatorStore,
  ): Promise<Pick<IndicatorParts, 'hashes' | 'remediator'>> {
    const [{ StoreHashBlocklist }, r] = await Promise.all([
      import('./indicators/index.js'),
      import('./remediation/index.js'),
    ]);
    const { config } = this.opts;
    const blocklist = new StoreHashBlocklist(store);
    const remediator = new r.BlockRemediator({
      indicators: blocklist,
      quarantine: this.quarantine,
      fsRoot: config.fsRoot,
      events: this.events,
      log: this.log,
    });
    const roots = config.remediation.watchPaths.map((p) => join(config.fsRoot, p));
    const hashes = new r.HashIndicatorEnforcement({
      store,
      blocklist,
      setBlocklist: (list) => this.desired.setExecBlocklist(list),
      watch: roots.length
        ? async () => {
            const w = new r.PathWatcher({
              roots,
              exclude: [config.stateDir],
              maxDirs: config.remediation.maxWatchedDirs,
              onFile: (path) =>
                void remediator
                  .check(path)
                  .catch((e: unknown) =>
                    this.log.error('remediating a new copy failed', { path, error: errorMessage(e) }),
                  ),
              log: this.log,
            });
            await w.start();
            this.log.info('watching for copies of block-and-remediate hashes', { roots, dirs: w.watched });
            return () => w.stop();
          }
        : null,
      log: this.log,
    });
    await hashes.start();
    return { hashes, remediator };
  }

  /** What the agent's hash indicators add to a scan: detections, and remediation of copies. */
  async scanIndicators(): Promise<ScanIndicators> {
    const { store, remediator } = await this.indicatorSync();
    return {
      signature: (sha256) => {
        const m = store.lookupHash('sha256', sha256);
        // generateAlert false keeps a match quiet, except where the copy must be found to be remediated.
        if (!m || m.action === 'allow' || (!m.generateAlert && m.action !== 'block_and_remediate'))
          return null;
        return { name: `indicator:${m.title}`, severity: m.severity };
      },
      remediate: (found) => remediator.remediateFound(found),
    };
  }

  /** Whether an allow indicator covers this SHA-256 (scans then do not report it). */
  async allowedHash(sha256: string): Promise<boolean> {
    const { store } = await this.indicatorSync();
    return store.lookupHash('sha256', sha256.toLowerCase())?.action === 'allow';
  }

  async stop(): Promise<void> {
    await this.observer?.stop();
    this.eventReporter?.stop();
    if (this.indicators) {
      const i = await this.indicators;
      await i.hashes.stop();
      await i.enforcement?.stop();
      await i.persistence.stop();
    }
    await this.jobs.stop();
    await this.channel.stop();
    this.desired.stop();
    await this.opts.ports.execControl?.close();
  }

  private dispatch(m: ServerMessage): void {
    const fail = (e: unknown): void =>
      this.log.error('handling a server message failed', { type: m.type, error: errorMessage(e) });
    switch (m.type) {
      case 'command':
        this.jobs.handleCommand(m).catch(fail);
        return;
      case 'cancel':
        this.jobs.handleCancel(m.actionId);
        return;
      case 'result_ack':
        this.jobs.handleResultAck(m.actionId).catch(fail);
        return;
      case 'events_ack':
        this.eventReporter?.acked(m);
        return;
      case 'indicators_changed':
        this.indicatorSync()
          .then((i) => i.sync.changed(m.rev))
          .catch(fail);
        return;
      case 'indicators_delta':
        this.indicatorSync()
          .then((i) => i.sync.delta(m))
          .catch(fail);
        return;
      case 'indicators_snapshot':
        this.indicatorSync()
          .then((i) => i.sync.snapshot(m))
          .catch(fail);
        return;
      default:
        // Streams the server opens (live response) are not supported yet; acks of ours are
        // picked up by the uploader's own listener.
        return;
    }
  }
}

/** The device's quarantine, made on first use; allow indicators make it refuse. */
function sharedQuarantine(
  config: AgentRuntimeOptions['config'],
  log: Logger,
  isAllowed: (sha256: string) => Promise<boolean>,
): () => Promise<FileQuarantine> {
  let made: Promise<FileQuarantine> | null = null;
  return () =>
    (made ??= import('./quarantine/index.js').then(
      (q) =>
        new q.FileQuarantine({
          stateDir: config.stateDir,
          fsRoot: config.fsRoot,
          dpkgDir: config.dpkgDir,
          isAllowed,
          log,
        }),
    ));
}

/**
 * Stop and quarantine, restore, and collect file (issue 4), loaded on their first command. One
 * vault serves both quarantine handlers and indicator remediation, so a restore finds what
 * either put away.
 */
function fileHandlers(
  config: AgentRuntimeOptions['config'],
  log: Logger,
  quarantine: () => Promise<FileQuarantine>,
  upload: (actionId: string, path: string, signal: AbortSignal) => Promise<UploadOutcome>,
): ActionHandler[] {
  return [
    new LazyHandler('stop_and_quarantine_file', async () => {
      const q = await import('./quarantine/index.js');
      const fq = await quarantine();
      // The vaulted copy goes to the server so the file page can offer it for download.
      const copies = new q.QuarantineCopyUploader({ quarantine: fq, upload, stateDir: config.stateDir, log });
      return new q.StopAndQuarantineFileHandler(fq, copies);
    }),
    new LazyHandler('restore_quarantined_file', async () => {
      const q = await import('./quarantine/index.js');
      return new q.RestoreQuarantinedFileHandler(await quarantine());
    }),
    new LazyHandler('collect_file', async () => {
      const { CollectFileHandler } = await import('./handlers/collect-file.handler.js');
      return new CollectFileHandler(upload, config.fsRoot);
    }),
  ];
}
