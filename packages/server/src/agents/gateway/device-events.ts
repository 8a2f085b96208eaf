import type {
  AlertInput,
  EventsAckMessage,
  EventsMessage,
  FileObservation,
  FileObservationSource,
  FileSightingSource,
  IngestResult,
} from '@quell/contracts';
import { SYSTEM_PRINCIPAL, type Principal } from '@quell/core';
import type { Logger } from 'pino';
import type { AgentIdentity } from './agent-results.js';
import { eventAlert, type IndicatorFacts } from './device-event-alerts.js';
import { DEFAULT_EVENT_RATE, EventRateLimit, type EventRate } from './event-rate-limit.js';

const SIGHTING_SOURCE: Record<FileObservationSource, FileSightingSource> = {
  exec: 'executed',
  scan: 'scan',
  package: 'package',
};

/** How long a batch that failed on the server waits before the agent sends it again. */
const RETRY_AFTER_FAILURE_MS = 5000;
/** Alert ids remembered as already raised, so a denial loop does not reach the database. */
const MAX_REMEMBERED_ALERTS = 50_000;

/** What device events need from the rest of the server. */
export interface DeviceEventsDeps {
  log: Logger;
  now: () => number;
  files: { record(observations: readonly FileObservation[]): Promise<unknown> };
  ingest: { ingest(principal: Principal, inputs: readonly AlertInput[]): Promise<IngestResult> };
  /** The indicator an event names (its title, severity, whether it wants alerts); null when unknown. */
  indicator: (id: string) => Promise<IndicatorFacts | null>;
}

export interface DeviceEventsOptions {
  /** Repeated denials of one file on one device within this window are one alert. Default 1 hour. */
  dedupWindowMs?: number;
  /** Per-device event rate. Default 100/s with bursts of 5000. */
  rate?: EventRate;
}

/**
 * Applies agents' device events (issue 4): file observations become sightings on the file page;
 * denials, a helper failing open and remediations become alerts with the device and file
 * entities (and, through the alert, a sighting and a link on the file page). A batch is checked
 * against the protocol schema before it gets here, so a bad one writes nothing; every write is
 * idempotent (sightings by file, device and path; alerts by an id derived from the event), so
 * the agent re-sends a batch whose ack it missed and nothing doubles.
 */
export class DeviceEvents {
  private readonly limit: EventRateLimit;
  private readonly dedupWindowMs: number;
  private readonly raised = new Set<string>();

  constructor(
    private readonly deps: DeviceEventsDeps,
    opts: DeviceEventsOptions = {},
  ) {
    this.limit = new EventRateLimit(opts.rate ?? DEFAULT_EVENT_RATE);
    this.dedupWindowMs = opts.dedupWindowMs ?? 3_600_000;
  }

  async apply(who: AgentIdentity, msg: EventsMessage): Promise<EventsAckMessage> {
    const ack = (status: EventsAckMessage['status'], extra: Partial<EventsAckMessage> = {}) => ({
      type: 'events_ack' as const,
      batchId: msg.batchId,
      status,
      ...extra,
    });
    const log = this.deps.log.child({ deviceId: who.deviceId, batchId: msg.batchId });
    const taken = this.limit.take(who.deviceId, msg.events.length, this.deps.now());
    if (!taken.ok) {
      log.warn(
        { events: msg.events.length, retryAfterMs: taken.retryAfterMs },
        'device events over the rate limit',
      );
      return ack('retry', { retryAfterMs: taken.retryAfterMs });
    }
    if (msg.dropped > 0)
      log.warn({ dropped: msg.dropped }, 'the agent dropped device events (its queue was full)');
    try {
      await this.write(who, msg);
      return ack('accepted');
    } catch (e) {
      log.error({ err: e }, 'applying device events failed; the agent will send them again');
      return ack('retry', { retryAfterMs: RETRY_AFTER_FAILURE_MS });
    }
  }

  private async write(who: AgentIdentity, msg: EventsMessage): Promise<void> {
    const observations: FileObservation[] = [];
    const alerts = new Map<string, AlertInput>();
    const indicators = new Map<string, Promise<IndicatorFacts | null>>();
    const indicatorOf = (id: string | null) => {
      if (!id) return Promise.resolve(null);
      let p = indicators.get(id);
      if (!p) {
        p = this.deps.indicator(id).catch(() => null);
        indicators.set(id, p);
      }
      return p;
    };
    for (const e of msg.events) {
      if (e.kind === 'file_observed') {
        observations.push({
          sha256: e.sha256,
          ...(e.sha1 && { sha1: e.sha1 }),
          ...(e.md5 && { md5: e.md5 }),
          ...(e.size !== null && { size: e.size }),
          device: who.deviceId,
          path: e.path,
          source: SIGHTING_SOURCE[e.source],
          at: new Date(e.at).toISOString(),
        });
        continue;
      }
      const indicator = e.kind === 'exec_control_failed_open' ? null : await indicatorOf(e.indicatorId);
      const alert = eventAlert(who, e, indicator, { dedupWindowMs: this.dedupWindowMs });
      if (!alert?.id || this.raised.has(alert.id)) continue;
      const prior = alerts.get(alert.id);
      // Within one alert's window the first occurrence opens it, the last one is its last activity.
      if (!prior) alerts.set(alert.id, alert);
      else if (alert.firstActivityAt > (prior.lastActivityAt ?? prior.firstActivityAt))
        prior.lastActivityAt = alert.firstActivityAt;
    }
    if (observations.length) await this.deps.files.record(observations);
    if (alerts.size) {
      await this.deps.ingest.ingest(SYSTEM_PRINCIPAL, [...alerts.values()]);
      if (this.raised.size + alerts.size > MAX_REMEMBERED_ALERTS) this.raised.clear();
      for (const id of alerts.keys()) this.raised.add(id);
    }
  }
}
