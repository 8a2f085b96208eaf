import type WebSocket from 'ws';
import {
  AGENT_PROTOCOL_VERSION,
  CLOSE_CODES,
  type AckMessage,
  type Action,
  type AgentMessage,
  type HelloMessage,
  type ResultMessage,
} from '@quell/contracts';
import { TargetUnavailableError, TransientExecutorError } from '../../engine/executor.js';
import {
  AGENT_ACTION_TYPES,
  agentDeviceOf,
  type AgentAcceptance,
  type AgentChannel,
} from '../../engine/agent.executor.js';
import type { ServiceContext } from '../../services/context.js';
import type { Tx } from '@quell/store';
import { AgentConnection, type ConnectionHandler } from './agent-connection.js';
import type { AgentIdentity, AgentResults } from './agent-results.js';
import { Coalescer } from '../../engine/coalescer.js';
import type { DeviceEvents } from './device-events.js';
import type { IndicatorSync } from './indicator-sync.js';
import type { CommandFactory } from './command-factory.js';
import type { UploadSink } from './gateway-ports.js';
import type { PresenceWriter } from './presence-writer.js';
import type { ProgressWriter } from './progress-writer.js';
import { UploadStreams } from './upload-streams.js';
import { AgentRefusedError, verifyHello } from './hello-verifier.js';

const AGENT_TYPES: ReadonlySet<string> = new Set(AGENT_ACTION_TYPES);

/** Options of the gateway; the defaults suit production. */
export interface AgentGatewayOptions {
  /** This server instance, recorded as the holder of each connected device. */
  instanceId: string;
  /** Told to agents in `welcome`. Default 15 000 ms. */
  heartbeatMs?: number;
  /** How long a new socket has to say hello. Default 10 000 ms. */
  helloTimeoutMs?: number;
  /** How long to wait for an ack before the attempt counts as failed (and is retried). Default 30 000 ms. */
  ackTimeoutMs?: number;
  /** Liveness sweep period; a socket that leaves a ping unanswered until the next sweep is dropped. Default 30 000 ms. */
  livenessMs?: number;
  /** How often revocations by other instances, and devices moved to another group, are looked for. Default 3000 ms. */
  revocationPollMs?: number;
  /**
   * How often the indicator feed's revision is read, so a change made through another server
   * instance reaches this instance's agents too. Default 1000 ms.
   */
  indicatorPollMs?: number;
  /** Largest upload an agent may send. Default 1 GiB. */
  maxUploadBytes?: number;
  /** Largest file an agent may upload for a file action (QUELL_FILE_MAX_BYTES). Default 3 GiB. */
  maxFileUploadBytes?: number;
}

/** Collaborators; the gateway creates none of them. */
export interface AgentGatewayDeps {
  ctx: ServiceContext;
  results: AgentResults;
  commands: CommandFactory;
  presence: PresenceWriter;
  progress: ProgressWriter;
  uploads: UploadSink;
  /** Wakes the dispatcher when a device returns with queued actions. */
  wakeDispatcher: () => void;
  /** Whether a large fan-out is still going out: acks and results then wait (≤ 5 s) so commands go first. */
  dispatchBacklogged?: () => boolean;
  /** Answers agents' indicator sync requests (issue 4); absent, they get nothing. */
  indicators?: IndicatorSync;
  /** Applies device events (issue 4); absent, batches are answered `rejected`. */
  events?: DeviceEvents;
}

interface AckWaiter {
  deviceId: string;
  resolve: (a: AgentAcceptance) => void;
  reject: (e: Error) => void;
}

/**
 * Holds the agents' sockets (ARCHITECTURE §4): verifies each hello against the enrolled key,
 * keeps one connection per device, records presence and reported state, delivers signed
 * commands and hands acks, progress, results and uploads to the code that applies them.
 */
export class AgentGateway implements AgentChannel {
  private readonly all = new Set<AgentConnection>();
  private readonly byDevice = new Map<string, AgentConnection>();
  private readonly byHostname = new Map<string, string>();
  private readonly waiters = new Map<string, AckWaiter>();
  private readonly streams = new WeakMap<AgentConnection, UploadStreams>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly o: Required<AgentGatewayOptions>;
  private revocationsSince: number;
  /** The newest feed revision announced to this instance's agents; null until first read. */
  private announcedRev: number | null = null;
  /** The regroup check running now, and whether another was asked for meanwhile. */
  private regroupCheck: Promise<void> | null = null;
  private regroupAgain = false;
  /** Acks and results are applied in batches (group commit); see {@link Coalescer}. */
  private readonly ackBatch: Coalescer<{ who: AgentIdentity; ack: AckMessage }, boolean>;
  private readonly resultBatch: Coalescer<{ who: AgentIdentity; msg: ResultMessage }, boolean>;

  constructor(
    private readonly deps: AgentGatewayDeps,
    opts: AgentGatewayOptions,
  ) {
    const hold = deps.dispatchBacklogged ?? (() => false);
    // Commands first: while a fan-out drains, acks and results wait up to 5 s to be written.
    this.ackBatch = new Coalescer((items) => deps.results.ackedMany(items), { hold, maxHoldMs: 5000 });
    this.resultBatch = new Coalescer((items) => deps.results.resultMany(items), {
      hold,
      maxHoldMs: 5000,
    });
    this.o = {
      heartbeatMs: 15_000,
      helloTimeoutMs: 10_000,
      ackTimeoutMs: 30_000,
      livenessMs: 30_000,
      revocationPollMs: 3000,
      indicatorPollMs: 1000,
      maxUploadBytes: 1024 ** 3,
      maxFileUploadBytes: 3 * 1024 ** 3,
      ...opts,
    };
    this.revocationsSince = deps.ctx.clock.now();
  }

  start(): void {
    this.deps.presence.start();
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    // Agents heartbeat at `heartbeatMs`; when that is shorter than the sweep, one that did so
    // within the last interval is not pinged (its next heartbeat comes before the next sweep).
    const heardWithinMs = this.o.heartbeatMs < this.o.livenessMs ? this.o.heartbeatMs : null;
    every(this.o.livenessMs, () => {
      for (const c of this.all) c.sweep(heardWithinMs);
    });
    every(this.o.revocationPollMs, () => {
      void this.pollRevocations();
      void this.pollRegrouped();
    });
    every(this.o.indicatorPollMs, () => void this.pollIndicatorRevision());
  }

  /** Closes every socket (with `shuttingDown` so agents come back) and writes pending presence. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    for (const c of this.all) c.close(CLOSE_CODES.shuttingDown, 'server shutting down');
    this.deps.progress.stop();
    await this.deps.presence.stop();
    await this.deps.commands.close();
  }

  /** Takes a freshly upgraded socket. */
  accept(ws: WebSocket, remote: string): void {
    const conn = new AgentConnection(
      ws,
      this.handler,
      remote,
      this.deps.ctx.log,
      this.deps.ctx.clock.now(),
      this.o.helloTimeoutMs,
    );
    this.all.add(conn);
  }

  /** Devices with a live, authenticated connection here. */
  get connectedCount(): number {
    return this.byDevice.size;
  }

  isConnected(deviceRef: string): boolean {
    return this.connectionFor(deviceRef) !== null;
  }

  /** Closes a revoked device's socket at once; its next hello is refused by the revoked check. */
  revoked(deviceId: string): void {
    this.byDevice.get(deviceId)?.close(CLOSE_CODES.revoked, 'this agent was revoked');
  }

  async deliver(action: Action, signal: AbortSignal): Promise<AgentAcceptance> {
    const device = agentDeviceOf(action.target);
    const conn = this.connectionFor(device);
    if (!conn?.deviceId) throw new TargetUnavailableError(`device ${device} is not connected`);
    const deviceId = conn.deviceId;
    const msg = await this.deps.commands.build(
      { id: action.id, type: action.type, params: action.params, expiresAt: Date.parse(action.expiresAt) },
      deviceId,
    );
    return new Promise<AgentAcceptance>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (this.waiters.get(action.id)?.deviceId === deviceId) this.waiters.delete(action.id);
      };
      const timer = setTimeout(() => {
        done();
        reject(new TransientExecutorError(`no ack from ${device} within ${this.o.ackTimeoutMs} ms`));
      }, this.o.ackTimeoutMs);
      const onAbort = () => {
        done();
        reject(new TransientExecutorError('delivery aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(action.id, {
        deviceId,
        resolve: (a) => {
          done();
          resolve(a);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      if (!conn.send(msg)) {
        this.waiters.get(action.id)?.reject(new TargetUnavailableError(`device ${device} went offline`));
      }
    });
  }

  /**
   * Tells every connected agent that the indicator feed moved to `rev`; each then asks for what
   * it lacks for its own device group (time to effect: one round trip after the change).
   */
  indicatorsChanged(rev: number): void {
    // Announced already (the revision check and the local hook can both see one change).
    if (this.announcedRev !== null && rev <= this.announcedRev) return;
    this.announcedRev = rev;
    for (const conn of this.byDevice.values()) conn.send({ type: 'indicators_changed', rev });
  }

  /**
   * Changes made through another instance (or its expiry sweep) are announced here once the
   * feed's revision moves past the last one announced: one primary-key read a poll.
   */
  private async pollIndicatorRevision(): Promise<void> {
    const { indicators, ctx } = this.deps;
    // No agents here, nobody to tell (they ask for what they lack when they connect).
    if (!indicators || this.byDevice.size === 0) return;
    try {
      const { rev } = await ctx.store.indicators.revision();
      // The first read only sets the mark: agents ask for what they lack when they connect.
      if (this.announcedRev === null) this.announcedRev = rev;
      else if (rev > this.announcedRev) this.indicatorsChanged(rev);
    } catch (e) {
      ctx.log.warn({ err: e }, 'indicator revision check failed');
    }
  }

  async connectedElsewhere(trx: Tx, deviceRefs: readonly string[]): Promise<ReadonlySet<string>> {
    const refs = deviceRefs.filter((r) => !this.connectionFor(r));
    if (refs.length === 0) return new Set();
    const rows = await this.deps.ctx.store.agents.connectedElsewhere(trx, refs, this.o.instanceId);
    const there = new Set(rows.flatMap((d) => [d.id, d.hostname]));
    return new Set(refs.filter((r) => there.has(r) || there.has(r.toLowerCase())));
  }

  /** Tells the device's agent to stop an action (it answers with a `cancelled` result). */
  cancel(deviceRef: string, actionId: string): boolean {
    return this.connectionFor(deviceRef)?.send({ type: 'cancel', actionId }) ?? false;
  }

  private connectionFor(deviceRef: string): AgentConnection | null {
    const id = this.byDevice.has(deviceRef) ? deviceRef : this.byHostname.get(deviceRef.toLowerCase());
    return (id && this.byDevice.get(id)) || null;
  }

  private readonly handler: ConnectionHandler = {
    hello: (conn, msg) => this.hello(conn, msg),
    message: (conn, msg) => this.message(conn, msg),
    invalid: (conn, raw, why) => this.invalid(conn, raw, why),
    closed: (conn) => this.closed(conn),
  };

  private async hello(conn: AgentConnection, msg: HelloMessage): Promise<void> {
    const { ctx } = this.deps;
    const log = ctx.log.child({ deviceId: msg.deviceId, remote: conn.remote });
    if (msg.protocol !== AGENT_PROTOCOL_VERSION) {
      log.warn({ protocol: msg.protocol }, 'agent speaks another protocol version');
      return conn.close(CLOSE_CODES.badHello, `protocol ${AGENT_PROTOCOL_VERSION} expected`);
    }
    const device = await ctx.store.agents.byId(ctx.store.db, msg.deviceId);
    if (!device?.public_key) {
      log.warn('hello from an unknown device');
      return conn.close(CLOSE_CODES.unknownDevice, 'unknown device; enroll again');
    }
    if (device.revoked_at !== null) {
      log.info('hello from a revoked device refused');
      return conn.close(CLOSE_CODES.revoked, 'this agent was revoked');
    }
    if (!verifyHello(device.public_key, msg, conn.nonce)) {
      log.warn('hello signature does not verify');
      return conn.close(CLOSE_CODES.badHello, 'signature does not verify');
    }
    const previous = this.byDevice.get(device.id);
    if (previous && previous !== conn) {
      this.unregister(previous);
      previous.close(CLOSE_CODES.replaced, 'a newer connection of this device replaced this one');
    }
    conn.authenticate(device.id, device.hostname);
    this.byDevice.set(device.id, conn);
    this.byHostname.set(device.hostname, device.id);
    this.streams.set(
      conn,
      new UploadStreams(
        { deviceId: device.id, hostname: device.hostname },
        ctx.store,
        this.deps.uploads,
        { package: this.o.maxUploadBytes, file: this.o.maxFileUploadBytes },
        log,
        (ack) => conn.send(ack),
      ),
    );

    const now = ctx.clock.now();
    const inv = msg.inventory;
    conn.lastStateJson = JSON.stringify(msg.state);
    const { queued, active } = await ctx.store.transaction(async (trx) => {
      await ctx.store.agents.setAgentState(trx, device.id, conn.lastStateJson ?? 'null', now, {
        os: inv.os,
        os_version: inv.osVersion,
        kernel: inv.kernel,
        agent_version: inv.agentVersion,
        machine_id: inv.machineId ?? null,
        addresses: JSON.stringify(inv.addresses),
        capabilities: JSON.stringify(inv.capabilities),
      });
      await ctx.store.agents.setConnected(trx, device.id, this.o.instanceId, now);
      return {
        queued: await ctx.store.actions.wakeQueuedForDevice(trx, device, now),
        active: await ctx.store.actions.activeForDevice(trx, device),
      };
    });
    conn.send({ type: 'welcome', deviceId: device.id, heartbeatMs: this.o.heartbeatMs, serverTime: now });
    log.info({ queued: queued.length, active: active.length }, 'agent connected');

    // Commands this server handed out that the agent does not say it is running: it may have
    // missed them (a restart on either side). It dedupes by action id and answers a repeat with
    // `duplicate` and its stored result, so each still takes effect once.
    const running = new Set(msg.running);
    for (const row of active) {
      if (!AGENT_TYPES.has(row.type) || running.has(row.id) || this.waiters.has(row.id)) continue;
      const cmd = await this.deps.commands.build(
        {
          id: row.id,
          type: row.type,
          params: JSON.parse(row.params) as Record<string, unknown>,
          expiresAt: row.expires_at,
        },
        device.id,
      );
      conn.send(cmd);
    }
    if (queued.length) this.deps.wakeDispatcher();
  }

  private async message(conn: AgentConnection, msg: Exclude<AgentMessage, HelloMessage>): Promise<void> {
    const who = { deviceId: conn.deviceId ?? '', hostname: conn.hostname ?? '' };
    const { ctx } = this.deps;
    switch (msg.type) {
      case 'heartbeat':
      case 'state': {
        this.deps.presence.touch(who.deviceId);
        const json = JSON.stringify(msg.state);
        // Heartbeats repeat the state; only a change is written (and a `state` message is one).
        if (json === conn.lastStateJson) return;
        conn.lastStateJson = json;
        await ctx.store.transaction((trx) =>
          ctx.store.agents.setAgentState(trx, who.deviceId, json, ctx.clock.now()),
        );
        return;
      }
      case 'ack':
        return this.acked(conn, who, msg);
      case 'progress':
        return this.deps.progress.report(who, msg);
      case 'result': {
        this.deps.progress.forget(msg.actionId);
        const ok = await this.resultBatch.push({ who, msg });
        if (ok) conn.send({ type: 'result_ack', actionId: msg.actionId });
        else
          ctx.log.warn({ ...who, actionId: msg.actionId }, 'result for an action that is not this device’s');
        return;
      }
      case 'indicators_sync': {
        if (!this.deps.indicators) return;
        conn.send(await this.deps.indicators.answer(who.deviceId, msg, conn));
        return;
      }
      case 'events': {
        const ack = this.deps.events
          ? await this.deps.events.apply(who, msg)
          : {
              type: 'events_ack' as const,
              batchId: msg.batchId,
              status: 'rejected' as const,
              error: 'this server does not take device events',
            };
        conn.send(ack);
        return;
      }
      case 'stream_open':
        return this.streams.get(conn)?.opened(msg);
      case 'stream_data':
        return this.streams.get(conn)?.data(msg);
      case 'stream_close':
        return this.streams.get(conn)?.closed(msg);
      case 'stream_ack':
        // The server opens no streams towards agents yet.
        return;
    }
  }

  /**
   * A frame that failed the schema after the hello. A batch of events is answered `rejected` with
   * the reason (nothing of it was written), so the agent drops it instead of re-sending it forever.
   */
  private invalid(conn: AgentConnection, raw: unknown, why: string): void {
    if (!conn.authenticated || typeof raw !== 'object' || raw === null) return;
    const { type, batchId } = raw as { type?: unknown; batchId?: unknown };
    if (type !== 'events' || typeof batchId !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(batchId)) return;
    conn.send({ type: 'events_ack', batchId, status: 'rejected', error: why.slice(0, 2000) });
  }

  private async acked(
    conn: AgentConnection,
    who: { deviceId: string; hostname: string },
    ack: AckMessage,
  ): Promise<void> {
    const mine = await this.ackBatch.push({ who, ack });
    const waiter = this.waiters.get(ack.actionId);
    if (!mine || waiter?.deviceId !== conn.deviceId) return;
    if (ack.status === 'refused') waiter.reject(new AgentRefusedError(ack.reason ?? 'no reason given'));
    else waiter.resolve(ack.status);
  }

  private closed(conn: AgentConnection): void {
    this.all.delete(conn);
    if (conn.deviceId) this.deps.indicators?.forget(conn.deviceId, conn);
    void this.streams.get(conn)?.abortAll();
    if (!conn.deviceId || this.byDevice.get(conn.deviceId) !== conn) return;
    this.unregister(conn);
    const deviceId = conn.deviceId;
    for (const [actionId, w] of this.waiters)
      if (w.deviceId === deviceId)
        w.reject(
          new TargetUnavailableError(
            `device ${conn.hostname ?? deviceId} disconnected before acknowledging ${actionId}`,
          ),
        );
    const { ctx } = this.deps;
    void ctx.store
      .transaction((trx) => ctx.store.agents.setConnected(trx, deviceId, null, null, this.o.instanceId))
      .catch((e: unknown) => ctx.log.warn({ err: e, deviceId }, 'could not record agent disconnect'));
  }

  private unregister(conn: AgentConnection): void {
    if (!conn.deviceId) return;
    if (this.byDevice.get(conn.deviceId) === conn) this.byDevice.delete(conn.deviceId);
    if (conn.hostname && this.byHostname.get(conn.hostname) === conn.deviceId)
      this.byHostname.delete(conn.hostname);
  }

  /**
   * Devices moved to another group (a rule, rank or deletion, or new tags) since their agent's
   * last indicator sync get the new group's snapshot pushed, without waiting for the next change.
   * Runs on every group change made here (the device-group service's hook) and every
   * `revocationPollMs` (moves made by another instance, or by tags from alerts).
   */
  async pollRegrouped(): Promise<void> {
    const { indicators, ctx } = this.deps;
    if (!indicators || this.byDevice.size === 0) return;
    // One check at a time; a request during one runs another after it (it may see newer moves).
    if (this.regroupCheck) {
      this.regroupAgain = true;
      return this.regroupCheck;
    }
    this.regroupCheck = (async () => {
      do {
        this.regroupAgain = false;
        try {
          for (const { id, groupId } of await ctx.store.agents.indicatorsRegrouped(ctx.store.db)) {
            const conn = this.byDevice.get(id);
            if (!conn || indicators.underway(id, conn, groupId)) continue;
            conn.send(await indicators.answer(id, { type: 'indicators_sync', version: null }, conn));
          }
        } catch (e) {
          ctx.log.warn({ err: e }, 'indicator regroup check failed');
        }
      } while (this.regroupAgain);
    })();
    try {
      await this.regroupCheck;
    } finally {
      this.regroupCheck = null;
    }
  }

  /** Revocations made on another instance (or missed by the in-process hook) close sockets here too. */
  private async pollRevocations(): Promise<void> {
    if (this.byDevice.size === 0) return;
    const { ctx } = this.deps;
    const since = this.revocationsSince;
    this.revocationsSince = ctx.clock.now();
    try {
      const rows = await ctx.store.db
        .selectFrom('devices')
        .select('id')
        .where('revoked_at', '>=', since - this.o.revocationPollMs)
        .execute();
      for (const r of rows) this.revoked(r.id);
    } catch (e) {
      ctx.log.warn({ err: e }, 'revocation check failed');
    }
  }
}
