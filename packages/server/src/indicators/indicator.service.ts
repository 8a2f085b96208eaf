import type {
  Action,
  Indicator,
  IndicatorActionResult,
  IndicatorCreate,
  IndicatorExportQuery,
  IndicatorImport,
  IndicatorListQuery,
  IndicatorPatch,
  TaxiiFeed,
  TaxiiFeedInput,
  TaxiiFeedPatch,
  TaxiiPullResult,
} from '@quell/contracts';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  type IndicatorInput,
  type IndicatorType,
  type Principal,
} from '@quell/core';
import { scopeKey, type IndicatorRow } from '@quell/store';
import { actorName, audit, type ServiceContext } from '../services/context.js';
import type { ServiceDeps } from '../services/service-deps.js';
import { IndicatorFeed } from './indicator-feed.js';
import type { IndicatorFeedPage } from './indicator-feed.types.js';
import {
  exportRows,
  landImport,
  parseImport,
  rowsToCsv,
  rowsToStix,
  type LandedImport,
} from './indicator-exchange.js';
import { findMatches, normalizedOrThrow, winner } from './indicator-lookup.js';
import { draftOf, scopeText, settle, validated } from './indicator-request.js';
import { groupIdsOf, toIndicator } from './indicator-view.js';
import { RevisionTaker, removeIndicators, upsertIndicators } from './indicator-writer.js';
import type { StixBundle } from './formats/stix-objects.js';
import { TaxiiFeeds } from './taxii-feeds.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Tombstones kept for deltas; an agent offline longer than this gets a snapshot. */
export const TOMBSTONE_RETENTION_MS = 30 * 24 * 3_600_000;
/** Longest an action target id may be; the full value travels in the parameters. */
const TARGET_ID_MAX = 500;

export interface IndicatorServiceOptions {
  /** Where TAXII feed secrets are read from (by variable name). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * How long `create` and `remove` wait for their action to be carried out before answering
   * `queued` (ms). Default 10 s: the server executor runs within one dispatcher tick.
   */
  actionWaitMs?: number;
}

/**
 * Indicators of compromise: CRUD, import/export, TAXII pulls and the versioned feed agents sync
 * (issue 4). Single indicators change through the add_indicator / remove_indicator actions (so
 * approval policy, audit and undo apply); bulk imports, TAXII pulls and edits are audited service
 * operations, one audit entry each.
 */
export class IndicatorService {
  /**
   * Called after a commit that changed indicators, with the new feed revision, so the agent
   * gateway can push deltas. Must not throw; it runs after the write is durable.
   */
  onChanged: (rev: number) => void = () => {};

  private readonly feed: IndicatorFeed;
  private readonly taxii: TaxiiFeeds;
  private readonly actionWaitMs: number;

  constructor(
    protected readonly ctx: ServiceContext,
    protected readonly deps: ServiceDeps,
    opts: IndicatorServiceOptions = {},
  ) {
    this.feed = new IndicatorFeed(ctx);
    this.taxii = new TaxiiFeeds(ctx, opts.env ?? process.env, (rev) => this.changed(rev));
    this.actionWaitMs = opts.actionWaitMs ?? 10_000;
  }

  async get(id: string): Promise<Indicator> {
    return toIndicator(await this.mustGetLive(id), this.ctx.clock.now());
  }

  async list(q: IndicatorListQuery): Promise<{ items: Indicator[]; nextCursor: string | null }> {
    const now = this.ctx.clock.now();
    const page = await this.ctx.store.indicators.list(
      q,
      { sort: q.sort, order: q.order, limit: q.limit ?? 50, cursor: q.cursor },
      now,
    );
    return { items: page.items.map((r) => toIndicator(r, now)), nextCursor: page.nextCursor };
  }

  /**
   * Requests add_indicator for a validated indicator. Invalid input, unknown device groups and
   * (unless `upsert`) a duplicate of type, value and scope are refused before any action exists.
   */
  async create(principal: Principal, body: IndicatorCreate): Promise<IndicatorActionResult> {
    const input = validated(draftOf(body, 'manual'), this.ctx.clock.now());
    await this.checkGroups(input.deviceGroupIds);
    const existing = await this.findByKey(input.type, input.value, input.deviceGroupIds);
    if (existing && existing.deleted_at === null && !body.upsert) {
      throw new ConflictError(
        `An indicator for ${input.type} ${input.value} on ${scopeText(input.deviceGroupIds)} exists already: ${existing.id}. Change it with PATCH /api/indicators/${existing.id}, or send upsert: true to replace it.`,
        { id: existing.id },
      );
    }
    const action = await this.deps.actions.request(principal, {
      type: 'add_indicator',
      target: {
        kind: 'indicator',
        id: input.value.slice(0, TARGET_ID_MAX),
        label: input.title.slice(0, TARGET_ID_MAX),
      },
      params: {
        type: input.type,
        value: input.value,
        action: input.action,
        title: input.title,
        ...(input.description && { description: input.description }),
        severity: input.severity,
        generateAlert: input.generateAlert,
        ...(input.expiresAt && { expiresAt: input.expiresAt }),
        deviceGroupIds: input.deviceGroupIds,
      },
      ...(body.comment && { comment: body.comment }),
    });
    return settle(this.ctx, this.deps.actions, action, this.actionWaitMs);
  }

  /** Requests remove_indicator for a live indicator. */
  async remove(principal: Principal, id: string, comment?: string): Promise<IndicatorActionResult> {
    const row = await this.mustGetLive(id);
    const action = await this.deps.actions.request(principal, {
      type: 'remove_indicator',
      target: {
        kind: 'indicator',
        id: row.value.slice(0, TARGET_ID_MAX),
        label: row.title.slice(0, TARGET_ID_MAX),
      },
      params: { id: row.id },
      ...(comment && { comment }),
    });
    return settle(this.ctx, this.deps.actions, action, this.actionWaitMs);
  }

  /** The executor's half of add_indicator: validates again (time has passed) and writes. */
  async applyAdd(action: Action): Promise<Record<string, unknown>> {
    const p = action.params;
    const input = validated(
      draftOf(p as unknown as IndicatorCreate, action.source === 'manual' ? 'manual' : 'action'),
      this.ctx.clock.now(),
    );
    await this.checkGroups(input.deviceGroupIds);
    const { outcome } = await this.write(async (revs, trx) => ({
      outcome: await upsertIndicators(this.ctx, trx, revs, [input], action.requestedBy),
    }));
    const row = outcome.rows[0]!;
    return {
      indicatorId: row.id,
      rev: outcome.rev ?? (await this.ctx.store.indicators.revision()).rev,
      created: row.created,
    };
  }

  /** The executor's half of remove_indicator: by id, or by type, value and scope. Idempotent. */
  async applyRemove(action: Action): Promise<Record<string, unknown>> {
    const p = action.params as {
      id?: string;
      type?: IndicatorType;
      value?: string;
      deviceGroupIds?: string[];
    };
    let row: IndicatorRow | undefined;
    if (p.id) row = await this.ctx.store.indicators.get(this.ctx.store.db, p.id);
    else if (p.type && p.value)
      row = await this.findByKey(
        p.type,
        normalizedOrThrow(p.type, p.value),
        [...(p.deviceGroupIds ?? [])].sort(),
      );
    else throw new InputError('remove_indicator needs params.id, or params.type and params.value.', {});
    // Undoing an add whose indicator was moved to another scope since: remove what it became.
    if (action.undoOf) row = await this.successorOf(row);
    if (!row)
      throw new NotFoundError(
        `No indicator ${p.id ?? `${p.type} ${p.value} on ${scopeText(p.deviceGroupIds ?? [])}`}; nothing to remove.`,
        {},
      );
    const found = row;
    const { removed } = await this.write(async (revs, trx) => ({
      removed: await removeIndicators(this.ctx, trx, revs, [found]),
    }));
    const rev = (await this.ctx.store.indicators.revision()).rev;
    return { indicatorId: found.id, removed: removed > 0, rev };
  }

  /**
   * Changes what an indicator does, and optionally its scope. Type and value are its identity;
   * a new scope (`deviceGroupIds`, empty for all devices) retires this indicator and lands it
   * under the new scope in the same transaction and feed revision: agents of groups that lost it
   * get a removal of the old id, agents of groups that gained it (or kept it) the new one, in
   * one delta. The answer is the indicator under its new id.
   */
  async update(principal: Principal, id: string, patch: IndicatorPatch): Promise<Indicator> {
    this.mustBeUnscoped(principal);
    const row = await this.mustGetLive(id);
    const now = this.ctx.clock.now();
    const current = toIndicator(row, now);
    const action = patch.action ?? current.action;
    const input = validated(
      {
        type: row.type,
        value: row.value,
        action,
        title: patch.title ?? current.title,
        description: patch.description === undefined ? current.description : patch.description,
        severity: patch.severity ?? current.severity,
        // Switching to allow turns alerting off unless the patch says otherwise (allow never alerts).
        generateAlert: patch.generateAlert ?? (action === 'allow' ? false : current.generateAlert),
        expiresAt: patch.expiresAt === undefined ? current.expiresAt : patch.expiresAt,
        deviceGroupIds: patch.deviceGroupIds ?? groupIdsOf(row),
        externalId: row.external_id ?? undefined,
        source: row.source,
      },
      now,
    );
    if (scopeKey(input.deviceGroupIds) !== row.scope_key) return this.rescope(principal, row, input, patch);
    await this.write(async (revs, trx) => {
      const outcome = await upsertIndicators(this.ctx, trx, revs, [input], actorName(principal));
      await audit(this.ctx, trx, principal, 'indicator.updated', id, { ...patch, rev: outcome.rev });
      return { outcome };
    });
    return this.get(id);
  }

  private async rescope(
    principal: Principal,
    row: IndicatorRow,
    input: IndicatorInput,
    patch: IndicatorPatch,
  ): Promise<Indicator> {
    await this.checkGroups(input.deviceGroupIds);
    const target = scopeKey(input.deviceGroupIds);
    const { newId } = await this.write(async (revs, trx) => {
      // Read again inside the transaction: the row may have gone, and another indicator may have
      // taken the target scope, since the checks above.
      const same = await this.ctx.store.indicators.byValues(trx, [row.value]);
      const self = same.find((r) => r.id === row.id);
      if (!self || self.deleted_at !== null)
        throw new NotFoundError(`No indicator ${row.id}. \`quell indicators list\` lists them.`, {
          id: row.id,
        });
      const taken = same.find((r) => r.type === row.type && r.scope_key === target && r.deleted_at === null);
      if (taken)
        throw new ConflictError(
          `An indicator for ${row.type} ${row.value} on ${scopeText(input.deviceGroupIds)} exists already: ${taken.id}. Edit or remove that one instead.`,
          { id: taken.id },
        );
      await removeIndicators(this.ctx, trx, revs, [self]);
      const outcome = await upsertIndicators(this.ctx, trx, revs, [input], actorName(principal));
      const landed = outcome.rows[0]!.id;
      await this.ctx.store.indicators.update(trx, self.id, { replaced_by: landed });
      await audit(this.ctx, trx, principal, 'indicator.rescoped', row.id, {
        ...patch,
        from: { id: row.id, deviceGroupIds: groupIdsOf(row) },
        to: { id: landed, deviceGroupIds: input.deviceGroupIds },
        rev: outcome.rev,
      });
      return { newId: landed };
    });
    return this.get(newId);
  }

  /** Imports a CSV file or STIX bundle: all valid rows in one transaction, one audit entry. */
  async importFile(principal: Principal, body: IndicatorImport): Promise<LandedImport> {
    this.mustBeUnscoped(principal);
    const parsed = await parseImport(this.ctx, body);
    const landed = await landImport(this.ctx, principal, parsed, {
      event: body.format === 'csv' ? 'indicators.imported_csv' : 'indicators.imported_stix',
      subject: 'indicators',
      dryRun: body.dryRun ?? false,
    });
    if (!landed.dryRun && landed.imported + landed.updated + landed.removed > 0) this.changed(landed.rev);
    return landed;
  }

  async exportCsv(q: IndicatorExportQuery): Promise<string> {
    return rowsToCsv(await exportRows(this.ctx, q));
  }

  async exportStix(q: IndicatorExportQuery): Promise<StixBundle> {
    return rowsToStix(await exportRows(this.ctx, q));
  }

  /**
   * The indicator that decides what happens to `value` on a device of `deviceGroupId` (null: an
   * ungrouped device), among active ones (not removed, not expired), by core's precedence rule.
   * Domains match their subdomains, address blocks their addresses, URLs without a query any query.
   */
  async lookup(type: IndicatorType, value: string, deviceGroupId: string | null): Promise<Indicator | null> {
    const now = this.ctx.clock.now();
    const matches = await findMatches(this.ctx, type, value, now);
    const best = winner(matches, deviceGroupId);
    return best ? toIndicator(best, now) : null;
  }

  /**
   * For matchers that check what a sample or a sensor observed outside any device group (deep
   * analysis): the all-devices indicator that decides `value`, or null, also for a value that is
   * not a valid `type` at all (observations are not user input to be corrected).
   */
  async matchObservable(
    type: IndicatorType,
    value: string,
  ): Promise<{ indicatorId: string; title: string; severity: Indicator['severity']; action: string } | null> {
    let found: Indicator | null;
    try {
      found = await this.lookup(type, value, null);
    } catch (e) {
      if (e instanceof InputError) return null;
      throw e;
    }
    return found
      ? { indicatorId: found.id, title: found.title, severity: found.severity, action: found.action }
      : null;
  }

  /**
   * The deciding indicator of each SHA-256 that has one; hashes without a match, and strings that
   * are not SHA-256 at all (matchers pass what devices reported), are left out.
   */
  async matchSha256(
    hashes: readonly string[],
    deviceGroupId: string | null,
  ): Promise<Array<{ sha256: string; indicator: Indicator }>> {
    const now = this.ctx.clock.now();
    const wanted = [...new Set(hashes.map((h) => h.trim().toLowerCase()).filter((h) => SHA256_HEX.test(h)))];
    const rows = await this.ctx.store.indicators.live(this.ctx.store.db, 'sha256', wanted);
    const byValue = new Map<string, IndicatorRow[]>();
    for (const r of rows)
      if (r.expires_at === null || r.expires_at > now)
        byValue.set(r.value, [...(byValue.get(r.value) ?? []), r]);
    const out: Array<{ sha256: string; indicator: Indicator }> = [];
    for (const h of wanted) {
      const best = winner(byValue.get(h) ?? [], deviceGroupId);
      if (best) out.push({ sha256: h, indicator: toIndicator(best, now) });
    }
    return out;
  }

  /**
   * What an agent of `deviceGroupId` needs to be in step: the delta since `sinceRev`, or a reset
   * snapshot (in pages: pass `cursor` = the previous page's `nextCursor`) when `sinceRev` is null,
   * unknown, or older than the oldest tombstone kept. See {@link IndicatorFeedPage}.
   */
  feedFor(
    deviceGroupId: string,
    sinceRev: number | null,
    limit: number,
    cursor?: string,
  ): Promise<IndicatorFeedPage> {
    return this.feed.page(deviceGroupId, sinceRev, limit, cursor);
  }

  /** The feed's current revision. */
  async revision(): Promise<number> {
    return (await this.ctx.store.indicators.revision()).rev;
  }

  /** Gives newly expired indicators a revision (removals in deltas); see `IndicatorFeed.sweepExpired`. */
  async sweepExpired(): Promise<number | null> {
    const rev = await this.feed.sweepExpired();
    if (rev !== null) this.changed(rev);
    return rev;
  }

  pruneTombstones(retentionMs = TOMBSTONE_RETENTION_MS): Promise<number> {
    return this.feed.pruneTombstones(retentionMs);
  }

  listFeeds(): Promise<TaxiiFeed[]> {
    return this.taxii.list();
  }
  getFeed(id: string): Promise<TaxiiFeed> {
    return this.taxii.get(id);
  }
  createFeed(principal: Principal, input: TaxiiFeedInput): Promise<TaxiiFeed> {
    return this.taxii.create(principal, input);
  }
  patchFeed(principal: Principal, id: string, patch: TaxiiFeedPatch): Promise<TaxiiFeed> {
    return this.taxii.patch(principal, id, patch);
  }
  deleteFeed(principal: Principal, id: string): Promise<void> {
    return this.taxii.remove(principal, id);
  }
  /** Pulls a TAXII feed now (the scheduler passes no principal: the audit names Quell). */
  pullFeed(id: string, principal?: Principal): Promise<TaxiiPullResult> {
    return this.taxii.pull(principal ?? 'Quell', id);
  }

  /**
   * Every `intervalMs`: pulls the TAXII feeds that are due, announces expired indicators and
   * prunes old tombstones. Ticks never overlap.
   */
  startFeedPolling(intervalMs: number): void {
    this.taxii.start(intervalMs, async () => {
      await this.taxii.pullDue();
      await this.sweepExpired();
      await this.pruneTombstones();
    });
  }

  stop(): Promise<void> {
    return this.taxii.stop();
  }

  private changed(rev: number): void {
    try {
      this.onChanged(rev);
    } catch (e) {
      // The change is committed; a failing listener must not turn it into an error for the caller.
      this.ctx.log.error({ err: e, rev }, 'indicator onChanged listener failed');
    }
  }

  /** Runs one writing transaction and announces its revision after the commit. */
  private async write<T>(
    fn: (
      revs: RevisionTaker,
      trx: Parameters<Parameters<ServiceContext['store']['transaction']>[0]>[0],
    ) => Promise<T>,
  ): Promise<T> {
    let taken: number | null = null;
    const out = await this.ctx.store.transaction(async (trx) => {
      const revs = new RevisionTaker(this.ctx, trx);
      const r = await fn(revs, trx);
      taken = revs.taken;
      return r;
    });
    if (taken !== null) this.changed(taken);
    return out;
  }

  /** Follows scope changes from a tombstone to the indicator that took its place (if still there). */
  private async successorOf(row: IndicatorRow | undefined): Promise<IndicatorRow | undefined> {
    const seen = new Set<string>();
    let cur = row;
    while (cur && cur.deleted_at !== null && cur.replaced_by && !seen.has(cur.id)) {
      seen.add(cur.id);
      cur = await this.ctx.store.indicators.get(this.ctx.store.db, cur.replaced_by);
    }
    return cur ?? row;
  }

  private async findByKey(
    type: string,
    value: string,
    groups: readonly string[],
  ): Promise<IndicatorRow | undefined> {
    const scope = scopeKey(groups);
    return (await this.ctx.store.indicators.byValues(this.ctx.store.db, [value])).find(
      (r) => r.type === type && r.scope_key === scope,
    );
  }

  private async mustGetLive(id: string): Promise<IndicatorRow> {
    const row = await this.ctx.store.indicators.get(this.ctx.store.db, id);
    if (!row || row.deleted_at !== null)
      throw new NotFoundError(`No indicator ${id}. \`quell indicators list\` lists them.`, { id });
    return row;
  }

  private async checkGroups(ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    const known = new Set((await this.ctx.store.devices.groups()).map((g) => g.id));
    const missing = ids.filter((g) => !known.has(g));
    if (missing.length)
      throw new NotFoundError(`No device group ${missing.join(', ')}. \`quell groups list\` lists them.`, {
        deviceGroupIds: missing,
      });
  }

  /** Indicators reach every device of their scope, so they are changed by unscoped principals only. */
  private mustBeUnscoped(principal: Principal): void {
    if (principal.deviceGroupIds.length)
      throw new NotAllowedError(
        'Indicators are not limited to your device groups; changing them needs a user or token that is not scoped to device groups.',
        {},
      );
  }
}
