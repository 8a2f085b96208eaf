import { randomBytes } from 'node:crypto';
import { MAX_EVENTS_PER_BATCH, type AgentMessage, type EventsAckMessage } from '@quell/contracts/agent';
import { errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { isSecurityEvent, type AgentEvent, type AgentEventSink } from './agent-events.js';
import { eventProblem } from './event-check.js';
import type { EventOutbox } from './event-outbox.js';

/** Limits of the reporter; the defaults suit a device. */
export interface EventReporterLimits {
  /** Events per batch. Default 100 (the protocol allows up to 500). */
  maxBatch: number;
  /** How long an event waits for others before its batch goes. Default 1000 ms. */
  flushMs: number;
  /** Events held in memory; past it the oldest observation (else the oldest event) is dropped. Default 10 000. */
  maxQueued: number;
  /** A file seen again at the same path within this time is not reported again. Default 1 hour. */
  observationDedupMs: number;
  /** (SHA-256, path) pairs remembered for that; the least recently seen are forgotten first. Default 50 000. */
  maxDedupEntries: number;
  /** A batch without an answer in this time is sent again. Default 30 000 ms. */
  ackTimeoutMs: number;
}

export const EVENT_REPORTER_DEFAULTS: EventReporterLimits = {
  maxBatch: 100,
  flushMs: 1000,
  maxQueued: 10_000,
  observationDedupMs: 3_600_000,
  maxDedupEntries: 50_000,
  ackTimeoutMs: 30_000,
};

export interface EventReporterOptions {
  /** Sends on the channel; false when it is not connected. */
  send: (m: AgentMessage) => boolean;
  connected: () => boolean;
  /** Where security events wait for their ack; null keeps them in memory only. */
  outbox: EventOutbox | null;
  log?: Logger;
  now?: () => number;
  limits?: Partial<EventReporterLimits>;
}

interface Queued {
  event: AgentEvent;
  /** Its outbox entry, for security events. */
  stored: string | null;
  /** The outbox write, so removing the entry never overtakes writing it. */
  written?: Promise<void>;
}

/** What the reporter has done since it started, for status and tests. */
export interface EventReporterCounters {
  sent: number;
  accepted: number;
  rejected: number;
  /** Dropped because the queue was full (reported to the server with the next batch). */
  dropped: number;
  /** Observations not sent because the same file at the same path was reported recently. */
  deduplicated: number;
  /** Events that do not match the protocol (a bug in an emitter), logged and not sent. */
  invalid: number;
}

/**
 * The channel side of device events (issue 4): batches what the enforcement modules and the
 * observer emit, up to `maxBatch` events or `flushMs`, one batch in flight at a time, sent only
 * while connected. Security events are written to the {@link EventOutbox} before they are queued
 * and leave it when the server accepts their batch, so they survive reconnects and restarts;
 * observations live in memory only (the observer sees the file again). The queue is bounded:
 * when full the oldest observation goes first, and the count goes to the server.
 */
export class EventReporter implements AgentEventSink {
  readonly counters: EventReporterCounters = {
    sent: 0,
    accepted: 0,
    rejected: 0,
    dropped: 0,
    deduplicated: 0,
    invalid: 0,
  };
  private readonly limits: EventReporterLimits;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly prefix = randomBytes(6).toString('hex');
  private queue: Queued[] = [];
  private readonly seen = new Map<string, number>();
  private inFlight: { batchId: string; items: Queued[]; dropped: number; timer: NodeJS.Timeout } | null =
    null;
  private unreported = 0;
  private seq = 0;
  private retryAt = 0;
  /** The next flush; armed only while something waits, so an idle agent has no timer ticking. */
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private soon: NodeJS.Immediate | null = null;

  constructor(private readonly opts: EventReporterOptions) {
    this.limits = { ...EVENT_REPORTER_DEFAULTS, ...opts.limits };
    this.limits.maxBatch = Math.min(this.limits.maxBatch, MAX_EVENTS_PER_BATCH);
    this.log = opts.log ?? silentLogger;
    this.now = opts.now ?? Date.now;
  }

  /** Loads security events an earlier run left unsent (sent once connected). */
  async start(): Promise<void> {
    if (this.opts.outbox) {
      try {
        const held = new Set(this.queue.map((q) => q.stored));
        const earlier = (await this.opts.outbox.pending()).filter((p) => !held.has(p.id));
        this.queue.unshift(...earlier.map((p) => ({ event: p.event, stored: p.id })));
        if (earlier.length)
          this.log.info('device events from before the restart will be sent', { count: earlier.length });
      } catch (e) {
        this.log.error('reading unsent device events failed', { error: errorMessage(e) });
      }
    }
    this.started = true;
    if (this.queue.length) this.schedule(this.limits.flushMs);
  }

  stop(): void {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.soon) clearImmediate(this.soon);
    this.timer = null;
    this.soon = null;
    if (this.inFlight) clearTimeout(this.inFlight.timer);
  }

  /** Events waiting to be sent (not counting a batch in flight). */
  get queued(): number {
    return this.queue.length;
  }

  emit(event: AgentEvent): void {
    const problem = eventProblem(event);
    if (problem) {
      this.counters.invalid++;
      this.log.warn('a device event does not match the protocol; not sent', { kind: event.kind, problem });
      return;
    }
    if (event.kind === 'file_observed' && this.recentlySeen(`${event.sha256}\u0000${event.path}`)) {
      this.counters.deduplicated++;
      return;
    }
    const item: Queued = { event, stored: null };
    if (isSecurityEvent(event) && this.opts.outbox) {
      const id = `${event.at}-${this.prefix}-${++this.seq}`;
      item.stored = id;
      // Written in the background; a failure costs only the restart-proofing of this one event.
      item.written = this.opts.outbox
        .add(id, event)
        .catch((e: unknown) =>
          this.log.warn('cannot keep a device event on disk', { error: errorMessage(e) }),
        );
    }
    this.queue.push(item);
    if (this.queue.length > this.limits.maxQueued) this.dropOne();
    this.schedule(this.limits.flushMs);
    if (this.queue.length >= this.limits.maxBatch && !this.soon)
      this.soon = setImmediate(() => {
        this.soon = null;
        this.flush();
      });
  }

  /** The server's answer to a batch. */
  acked(m: EventsAckMessage): void {
    const f = this.inFlight;
    if (!f || f.batchId !== m.batchId) return;
    clearTimeout(f.timer);
    this.inFlight = null;
    if (m.status === 'retry') {
      this.requeue(f);
      const wait = m.retryAfterMs ?? this.limits.flushMs;
      this.retryAt = this.now() + wait;
      this.schedule(wait);
      return;
    }
    if (m.status === 'rejected') {
      this.counters.rejected += f.items.length;
      this.log.error('the server rejected device events; they are dropped', {
        count: f.items.length,
        error: m.error ?? 'no reason given',
      });
    } else this.counters.accepted += f.items.length;
    this.forget(f.items);
    if (this.queue.length) this.flush();
  }

  /** A (re)connection: a batch in flight on the old socket may never be answered; send it again. */
  reconnected(): void {
    const f = this.inFlight;
    if (f) {
      clearTimeout(f.timer);
      this.inFlight = null;
      this.requeue(f);
    }
    this.retryAt = 0;
    this.flush();
  }

  /** Sends the next batch when connected and none is in flight. */
  flush(): void {
    if (this.inFlight || this.queue.length === 0 || !this.opts.connected()) return;
    if (this.now() < this.retryAt) {
      this.schedule(this.retryAt - this.now());
      return;
    }
    const items = this.queue.splice(0, this.limits.maxBatch);
    const batchId = `${this.prefix}-${++this.seq}`;
    const dropped = this.unreported;
    if (!this.opts.send({ type: 'events', batchId, events: items.map((i) => i.event), dropped })) {
      this.queue.unshift(...items);
      return;
    }
    this.unreported = 0;
    this.counters.sent += items.length;
    const timer = setTimeout(() => {
      if (this.inFlight?.batchId !== batchId) return;
      this.log.warn('no answer to a batch of device events; sending it again', { batchId });
      this.inFlight = null;
      this.requeue({ items, dropped });
      this.flush();
    }, this.limits.ackTimeoutMs);
    timer.unref();
    this.inFlight = { batchId, items, dropped, timer };
  }

  /** Arms the flush timer unless one is armed (a disconnected agent waits for `reconnected`). */
  private schedule(ms: number): void {
    if (this.timer || !this.started) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, ms);
    this.timer.unref();
  }

  private requeue(f: { items: Queued[]; dropped: number }): void {
    this.queue.unshift(...f.items);
    this.unreported += f.dropped;
    while (this.queue.length > this.limits.maxQueued) this.dropOne();
  }

  private recentlySeen(key: string): boolean {
    const now = this.now();
    const last = this.seen.get(key);
    if (last !== undefined && now - last < this.limits.observationDedupMs) return true;
    // Re-inserted so the map's order is least recently reported first.
    this.seen.delete(key);
    this.seen.set(key, now);
    if (this.seen.size > this.limits.maxDedupEntries) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    return false;
  }

  private dropOne(): void {
    const i = this.queue.findIndex((q) => q.event.kind === 'file_observed');
    const [gone] = this.queue.splice(i >= 0 ? i : 0, 1);
    this.counters.dropped++;
    this.unreported++;
    if (gone) this.forget([gone]);
  }

  private forget(items: readonly Queued[]): void {
    const outbox = this.opts.outbox;
    if (!outbox) return;
    for (const i of items)
      if (i.stored) {
        const id = i.stored;
        void (i.written ?? Promise.resolve())
          .then(() => outbox.remove(id))
          .catch((e: unknown) =>
            this.log.warn('cannot remove a sent device event', { error: errorMessage(e) }),
          );
      }
  }
}
