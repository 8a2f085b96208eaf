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

/**
 * Answers an agent's `indicators_sync` with the next delta or snapshot page for its device
 * group; a device that moved to another group since its last sync gets a snapshot. Agents pull: after applying a page they ask for the next, so a million indicators flow
 * at the pace the agent applies them, never piled up in the server's send buffer.
 */
export class IndicatorSync {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly feed: IndicatorFeedSource,
  ) {}

  async answer(deviceId: string, msg: IndicatorsSyncMessage): Promise<ServerMessage> {
    const { store } = this.ctx;
    const device = await store.agents.byId(store.db, deviceId);
    const group = device?.device_group_id ?? UNGROUPED_ID;
    let since = msg.cursor ? null : msg.version;
    if (device && !msg.cursor && device.indicators_group_id !== group) {
      // The set the agent holds was computed for another group (or this is its first sync): a
      // delta from its version would miss this group's older indicators and keep the old
      // group's, so it gets a snapshot, and the group is recorded (one write per move).
      if (device.indicators_group_id !== null) since = null;
      await store.agents.setIndicatorsGroup(store.db, deviceId, group);
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
    return {
      type: 'indicators_snapshot',
      version: page.snapshot.version,
      first: msg.cursor === undefined,
      indicators: [...page.snapshot.indicators],
      nextCursor: page.nextCursor,
    };
  }
}
