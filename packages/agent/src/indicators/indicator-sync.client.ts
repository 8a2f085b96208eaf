import type { AgentMessage, IndicatorsDeltaMessage, IndicatorsSnapshotMessage } from '@quell/contracts/agent';
import type { Logger } from '../log.js';
import type { IndicatorSnapshotBuilder, IndicatorStore } from './indicator-store.js';
import type { SyncIndicator } from './indicator-sync.types.js';
import { IndicatorVersionError } from './indicators.errors.js';

/**
 * Keeps the agent's indicator store in step with the server: asks for a delta from the version
 * it holds after every (re)connect and every `indicators_changed`, applies it, and falls back to a
 * paged snapshot when the server says the version is too old or the store refuses the delta.
 * Pages are pulled one at a time, so a million indicators never pile up in memory twice over.
 */
export class IndicatorSyncClient {
  private building: { version: number; builder: IndicatorSnapshotBuilder } | null = null;

  constructor(
    private readonly store: IndicatorStore,
    private readonly send: (m: AgentMessage) => boolean,
    private readonly log: Logger,
  ) {}

  /** After a welcome: anything new since what we hold? */
  requestSync(): void {
    this.building?.builder.abort();
    this.building = null;
    this.send({ type: 'indicators_sync', version: this.store.version });
  }

  /** The feed moved on the server. */
  changed(rev: number): void {
    if (this.building) return; // a snapshot in progress asks for the delta when it ends
    if (this.store.version !== rev) this.send({ type: 'indicators_sync', version: this.store.version });
  }

  delta(m: IndicatorsDeltaMessage): void {
    // "Nothing new": the answer when the agent is already at the feed's revision.
    if (m.toVersion === m.fromVersion && m.fromVersion === this.store.version && !m.more) return;
    try {
      this.store.applyDelta({
        fromVersion: m.fromVersion,
        toVersion: m.toVersion,
        upserts: m.upserts as SyncIndicator[],
        removals: m.removals,
      });
    } catch (e) {
      if (e instanceof IndicatorVersionError) {
        this.send({ type: 'indicators_sync', version: null });
        return;
      }
      // A page the store refuses (a bad value) is not applied; a full reset may carry a fixed one.
      this.log.error('indicator delta refused', { error: e instanceof Error ? e.message : String(e) });
      return;
    }
    if (m.more) this.send({ type: 'indicators_sync', version: this.store.version });
  }

  snapshot(m: IndicatorsSnapshotMessage): void {
    if (m.first || this.building?.version !== m.version) {
      this.building?.builder.abort();
      this.building = { version: m.version, builder: this.store.beginSnapshot(m.version) };
    }
    const b = this.building;
    if (!b) return;
    try {
      b.builder.add(m.indicators as SyncIndicator[]);
      if (m.nextCursor) {
        this.send({ type: 'indicators_sync', version: null, cursor: m.nextCursor });
        return;
      }
      const applied = b.builder.commit();
      this.building = null;
      this.log.info('indicators replaced', { version: applied.version, total: applied.total });
      // Whatever changed while the pages were pulled.
      this.send({ type: 'indicators_sync', version: this.store.version });
    } catch (e) {
      b.builder.abort();
      this.building = null;
      this.log.error('indicator snapshot refused', { error: e instanceof Error ? e.message : String(e) });
    }
  }
}
