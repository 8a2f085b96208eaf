import type { TaxiiFeed, TaxiiFeedInput, TaxiiFeedPatch, TaxiiPullResult } from '@quell/contracts';
import { pullIndicators, TaxiiClient, TaxiiError, type TaxiiClientOptions } from '@quell/connectors';
import {
  ConflictError,
  InputError,
  NotFoundError,
  type IndicatorAction,
  type Principal,
  type Severity,
} from '@quell/core';
import type { TaxiiFeedRow, Tx } from '@quell/store';
import { actorName, audit, type ServiceContext } from '../services/context.js';
import { importStixObjects } from './formats/stix-import.js';
import { groupResolver, landImport, type LandedImport } from './indicator-exchange.js';
import { toTaxiiFeed } from './indicator-view.js';

const MINUTE = 60_000;

/**
 * TAXII 2.1 feeds: settings, pulls, and the schedule that pulls those that are due. A feed's
 * secret is the NAME of an environment variable of the server (like webhook secrets), so it never
 * lands in the database, the API or the audit log.
 */
export class TaxiiFeeds {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Pulls in progress, by feed id: a second pull of the same feed waits for the first. */
  private readonly pulling = new Map<string, Promise<TaxiiPullResult>>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly env: NodeJS.ProcessEnv,
    /** Called after a pull committed changes, with the new revision. */
    private readonly changed: (rev: number) => void,
  ) {}

  async list(): Promise<TaxiiFeed[]> {
    return (await this.ctx.store.indicators.feeds.list()).map(toTaxiiFeed);
  }

  async get(id: string): Promise<TaxiiFeed> {
    return toTaxiiFeed(await this.mustGet(id));
  }

  async create(principal: Principal, input: TaxiiFeedInput): Promise<TaxiiFeed> {
    const now = this.ctx.clock.now();
    const row: TaxiiFeedRow = {
      id: this.ctx.ids.next('feed'),
      name: input.name,
      discovery_url: input.discoveryUrl ?? null,
      api_root_url: input.apiRootUrl ?? null,
      collection_id: input.collectionId,
      auth_kind: input.authKind ?? 'none',
      username: input.username ?? null,
      secret_env: input.secretEnv ?? null,
      default_action: input.defaultAction ?? 'block',
      default_severity: input.defaultSeverity ?? 'medium',
      interval_minutes: input.intervalMinutes ?? 60,
      enabled: input.enabled === false ? 0 : 1,
      added_after: null,
      last_pulled_at: null,
      last_error: null,
      last_imported: 0,
      last_updated: 0,
      last_rejected: 0,
      last_removed: 0,
      created_by: actorName(principal),
      created_at: now,
      updated_at: now,
    };
    checkFeed(row);
    await this.ctx.store.transaction(async (trx) => {
      if (await this.ctx.store.indicators.feeds.byName(trx, row.name))
        throw new ConflictError(`A TAXII feed named "${row.name}" exists; pick another name.`, {
          name: row.name,
        });
      await this.ctx.store.indicators.feeds.insert(trx, row);
      await audit(this.ctx, trx, principal, 'indicator_feed.created', row.id, publicSettings(row));
    });
    return toTaxiiFeed(row);
  }

  async patch(principal: Principal, id: string, p: TaxiiFeedPatch): Promise<TaxiiFeed> {
    return this.ctx.store.transaction(async (trx) => {
      // Read through the transaction: on SQLite it holds the only connection.
      const row = await this.mustGet(id, trx);
      const next: TaxiiFeedRow = {
        ...row,
        ...(p.name !== undefined && { name: p.name }),
        ...(p.discoveryUrl !== undefined && { discovery_url: p.discoveryUrl }),
        ...(p.apiRootUrl !== undefined && { api_root_url: p.apiRootUrl }),
        ...(p.collectionId !== undefined && { collection_id: p.collectionId }),
        ...(p.authKind !== undefined && { auth_kind: p.authKind }),
        ...(p.username !== undefined && { username: p.username }),
        ...(p.secretEnv !== undefined && { secret_env: p.secretEnv }),
        ...(p.defaultAction !== undefined && { default_action: p.defaultAction }),
        ...(p.defaultSeverity !== undefined && { default_severity: p.defaultSeverity }),
        ...(p.intervalMinutes !== undefined && { interval_minutes: p.intervalMinutes }),
        ...(p.enabled !== undefined && { enabled: p.enabled ? 1 : 0 }),
        ...(p.resetCursor && { added_after: null }),
        updated_at: this.ctx.clock.now(),
      };
      checkFeed(next);
      const other =
        p.name !== undefined ? await this.ctx.store.indicators.feeds.byName(trx, p.name) : undefined;
      if (other && other.id !== id)
        throw new ConflictError(`A TAXII feed named "${p.name}" exists; pick another name.`, {
          name: p.name,
        });
      await this.ctx.store.indicators.feeds.update(trx, id, next);
      await audit(this.ctx, trx, principal, 'indicator_feed.changed', id, { ...p });
      return toTaxiiFeed(next);
    });
  }

  async remove(principal: Principal, id: string): Promise<void> {
    await this.ctx.store.transaction(async (trx) => {
      if (!(await this.ctx.store.indicators.feeds.delete(trx, id)))
        throw new NotFoundError(`No TAXII feed ${id}. \`quell indicators feeds list\` lists them.`, { id });
      await audit(this.ctx, trx, principal, 'indicator_feed.deleted', id);
    });
  }

  /**
   * Pulls a feed now: the objects added since its cursor, imported in one transaction with the
   * feed's defaults, revoked ones withdrawn. The cursor, counts and error are recorded whatever
   * happens; a failure is also thrown (TAXII errors as InputError, with the server's answer).
   */
  pull(principal: Principal | string, id: string): Promise<TaxiiPullResult> {
    const inFlight = this.pulling.get(id);
    if (inFlight) return inFlight;
    const p = this.pullNow(principal, id).finally(() => this.pulling.delete(id));
    this.pulling.set(id, p);
    return p;
  }

  private async pullNow(principal: Principal | string, id: string): Promise<TaxiiPullResult> {
    const row = await this.mustGet(id);
    const now = this.ctx.clock.now();
    try {
      const client = new TaxiiClient(this.clientOptions(row));
      const pulled = await pullIndicators(client, row.collection_id, row.added_after);
      const parsed = importStixObjects(pulled.objects, {
        now,
        source: 'taxii',
        defaultAction: row.default_action as IndicatorAction,
        defaultSeverity: row.default_severity as Severity,
        resolveDeviceGroup: await groupResolver(this.ctx),
      });
      const landed: LandedImport = await landImport(
        this.ctx,
        principal,
        { ...parsed, revokedIds: parsed.revokedIds },
        {
          event: 'indicators.taxii_pulled',
          subject: id,
          dryRun: false,
          extra: { feed: row.name, pages: pulled.pages, objects: pulled.objects.length },
        },
      );
      const after: Partial<TaxiiFeedRow> = {
        added_after: pulled.nextAddedAfter,
        last_pulled_at: now,
        last_error: null,
        last_imported: landed.imported,
        last_updated: landed.updated,
        last_rejected: landed.rejected.length,
        last_removed: landed.removed,
      };
      await this.ctx.store.indicators.feeds.update(this.ctx.store.db, id, after);
      if (landed.imported + landed.updated + landed.removed > 0) this.changed(landed.rev);
      return {
        feed: toTaxiiFeed({ ...row, ...after }),
        import: landed,
        pages: pulled.pages,
        complete: pulled.complete,
      };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      await this.ctx.store.indicators.feeds.update(this.ctx.store.db, id, {
        last_pulled_at: now,
        last_error: message,
      });
      if (e instanceof TaxiiError)
        throw new InputError(
          `Pulling TAXII feed "${row.name}" failed: ${message}`,
          { feed: id, status: e.status },
          {
            cause: e,
          },
        );
      throw e;
    }
  }

  private clientOptions(row: TaxiiFeedRow): TaxiiClientOptions {
    const base = {
      ...(row.discovery_url && { discoveryUrl: row.discovery_url }),
      ...(row.api_root_url && { apiRootUrl: row.api_root_url }),
    };
    if (row.auth_kind === 'none') return base;
    const secret = row.secret_env ? this.env[row.secret_env] : undefined;
    if (!secret)
      throw new InputError(
        `TAXII feed "${row.name}" takes its ${row.auth_kind === 'basic' ? 'password' : 'token'} from the environment variable ${row.secret_env ?? '(none set)'}, which is not set on the server. Set it before starting the server (e.g. ${row.secret_env ?? 'QUELL_TAXII_SECRET'}=… quell up), or change the feed's secretEnv.`,
        { feed: row.id, secretEnv: row.secret_env },
      );
    return row.auth_kind === 'basic'
      ? { ...base, auth: { kind: 'basic', username: row.username ?? '', password: secret } }
      : { ...base, auth: { kind: 'bearer', token: secret } };
  }

  /**
   * Pulls every enabled feed whose interval has passed since its last pull, one after another.
   * Each due pull is claimed in the database first, so server instances sharing it pull once.
   */
  async pullDue(): Promise<void> {
    const now = this.ctx.clock.now();
    for (const f of await this.ctx.store.indicators.feeds.list()) {
      if (f.enabled !== 1) continue;
      if (f.last_pulled_at !== null && f.last_pulled_at + f.interval_minutes * MINUTE > now) continue;
      if (!(await this.ctx.store.indicators.feeds.claimPull(this.ctx.store.db, f.id, f.last_pulled_at, now)))
        continue;
      try {
        await this.pull('Quell', f.id);
      } catch (e) {
        // Recorded on the feed (last_error) for people to see; logged here for operators.
        this.ctx.log.warn({ err: e, feed: f.id }, 'TAXII feed pull failed');
      }
    }
  }

  start(intervalMs: number, tick: () => Promise<void>): void {
    if (this.timer) return;
    const run = () => {
      if (this.running) return;
      this.running = tick()
        .catch((e: unknown) => this.ctx.log.error({ err: e }, 'indicator feed tick failed'))
        .finally(() => (this.running = null));
    };
    this.timer = setInterval(run, intervalMs);
    this.timer.unref();
    run();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await Promise.allSettled([...this.pulling.values()]);
  }

  private async mustGet(id: string, trx: Tx = this.ctx.store.db): Promise<TaxiiFeedRow> {
    const row = await this.ctx.store.indicators.feeds.get(trx, id);
    if (!row)
      throw new NotFoundError(`No TAXII feed ${id}. \`quell indicators feeds list\` lists them.`, { id });
    return row;
  }
}

/** A feed's settings without anything secret-adjacent beyond the variable's name, for the audit log. */
function publicSettings(r: TaxiiFeedRow): Record<string, unknown> {
  return {
    name: r.name,
    discoveryUrl: r.discovery_url,
    apiRootUrl: r.api_root_url,
    collectionId: r.collection_id,
    authKind: r.auth_kind,
    secretEnv: r.secret_env,
  };
}

function checkFeed(r: TaxiiFeedRow): void {
  if (!r.discovery_url && !r.api_root_url)
    throw new InputError('A TAXII feed needs discoveryUrl or apiRootUrl.', { field: 'discoveryUrl' });
  if (r.auth_kind !== 'none' && !r.secret_env)
    throw new InputError(
      `${r.auth_kind} authentication needs secretEnv: the name of the server's environment variable holding the ${r.auth_kind === 'basic' ? 'password' : 'token'}.`,
      { field: 'secretEnv' },
    );
  if (r.auth_kind === 'basic' && !r.username)
    throw new InputError('basic authentication needs a username.', { field: 'username' });
}
