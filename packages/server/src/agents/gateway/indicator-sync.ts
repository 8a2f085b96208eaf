import type { IndicatorsSyncMessage, ServerMessage } from '@quell/contracts';
import { MAX_SYNC_PAGE } from '@quell/contracts';
import { UNGROUPED_ID } from '@quell/core';
import type { IndicatorFeedPage } from '../../indicators/indicator-feed.types.js';
import type { ServiceContext } from '../../services/context.js';

/** Where the gateway reads the indicator feed (the indicator service). */
export interface IndicatorFeedSource {
  feedFor(
    deviceGroupId: string,
    sinceRev: number | null,
    limit: number,
    cursor?: string,
  ): Promise<IndicatorFeedPage>;
}

/** Indicators per message: well under the protocol's cap, so a page stays a few MB at most. */
const PAGE = Math.min(5000, MAX_SYNC_PAGE);

/** A snapshot sent on one connection, not yet known to be applied. */
interface PendingSnapshot {
  group: string;
  version: number;
  /** Its last page has been sent. */
  complete: boolean;
  /** The connection it went out on: a reconnect starts over. */
  conn: object;
  at: number;
}

/** How long a snapshot in progress keeps the regroup check from pushing another. */
const UNDERWAY_MS = 60_000;

/**
 * Answers an agent's `indicators_sync` with the next delta or snapshot page for its device
 * group. Agents pull: after applying a page they ask for the next, so a million indicators flow
 * at the pace the agent applies them, never piled up in the server's send buffer.
 *
 * A delta is only right for an agent whose set was computed for the device's current group: one
 * that moved (a group rule, rank or deletion, new tags) would miss the new group's older
 * indicators and keep the old group's. So the device row records the group its agent's set was
 * computed for (`indicators_group_id`), and an agent whose record differs, or is not known, gets
 * a snapshot. The record is written only once the agent has shown it applied that snapshot: on the
 * same connection, after its last page went out, it asks again from the snapshot's version (the
 * agent always does, to catch up on changes made while it pulled pages). A snapshot lost to a
 * dropped connection therefore leaves the record as it was, and the next connection starts over.
 */
export class IndicatorSync {
  private readonly pending = new Map<string, PendingSnapshot>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly feed: IndicatorFeedSource,
  ) {}

  /** True while a snapshot for `group` is being pulled on `conn` (the regroup check leaves it alone). */
  underway(deviceId: string, conn: object, group: string): boolean {
    const p = this.pending.get(deviceId);
    return !!p && p.conn === conn && p.group === group && this.ctx.clock.now() - p.at < UNDERWAY_MS;
  }

  /** The connection closed: what was sent on it is not known to be applied. */
  forget(deviceId: string, conn: object): void {
    if (this.pending.get(deviceId)?.conn === conn) this.pending.delete(deviceId);
  }

  /** `conn` identifies the connection the request came on (any object, compared by identity). */
  async answer(deviceId: string, msg: IndicatorsSyncMessage, conn: object): Promise<ServerMessage> {
    const { store } = this.ctx;
    const device = await store.agents.byId(store.db, deviceId);
    const group = device?.device_group_id ?? UNGROUPED_ID;
    let since = msg.cursor ? null : msg.version;
    if (device && !msg.cursor) {
      const p = this.pending.get(deviceId);
      if (p && p.conn === conn && p.complete && p.group === group && msg.version === p.version) {
        this.pending.delete(deviceId);
        if (device.indicators_group_id !== group)
          await store.agents.setIndicatorsGroup(store.db, deviceId, group);
      } else if (device.indicators_group_id !== group) {
        since = null;
      }
    }
    const page = await this.feed.feedFor(group, since, PAGE, msg.cursor);
    if (page.kind === 'delta') {
      return {
        type: 'indicators_delta',
        fromVersion: page.delta.fromVersion,
        toVersion: page.delta.toVersion,
        upserts: [...page.delta.upserts],
        removals: [...page.delta.removals],
        more: page.more,
      };
    }
    if (device) this.track(deviceId, conn, group, page.snapshot.version, msg.cursor, page.nextCursor);
    return {
      type: 'indicators_snapshot',
      version: page.snapshot.version,
      first: msg.cursor === undefined,
      indicators: [...page.snapshot.indicators],
      nextCursor: page.nextCursor,
    };
  }

  private track(
    deviceId: string,
    conn: object,
    group: string,
    version: number,
    cursor: string | undefined,
    nextCursor: string | null,
  ): void {
    if (cursor === undefined) {
      this.pending.set(deviceId, { group, version, complete: !nextCursor, conn, at: this.ctx.clock.now() });
      return;
    }
    const p = this.pending.get(deviceId);
    if (p && p.conn === conn && p.version === version) {
      p.complete = !nextCursor;
      p.at = this.ctx.clock.now();
    }
  }
}
