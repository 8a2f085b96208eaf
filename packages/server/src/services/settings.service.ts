import type { Settings, SettingsPatch } from '@quell/contracts';
import { InputError, type Principal } from '@quell/core';
import type { Tx } from '@quell/store';
import { audit, type ServiceContext } from './context.js';

export const DEFAULT_SETTINGS: Settings = {
  approvalTimeoutHours: 7 * 24,
  actionTtlHours: 7 * 24,
  twoPersonRule: false,
  correlationWindowHours: 24,
  approvalRules: [],
  webhooks: [],
};

/** Tunables an admin changes at run time; stored in the database, defaults above. */
export class SettingsService {
  private cache: Settings | null = null;
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * Current settings. Inside a transaction pass its handle: on SQLite the transaction holds the
   * only connection, so a read outside it would wait for the transaction forever.
   */
  async get(trx?: Tx): Promise<Settings> {
    if (this.cache) return this.cache;
    const stored = await this.ctx.store.settings.all(trx);
    const merged = { ...DEFAULT_SETTINGS };
    for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
      if (stored[key] !== undefined) (merged as Record<string, unknown>)[key] = stored[key];
    }
    this.cache = merged;
    return merged;
  }

  async patch(principal: Principal, patch: SettingsPatch): Promise<Settings> {
    if (patch.webhooks) {
      const names = patch.webhooks.map((w) => w.name);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup) throw new InputError(`Two webhooks are named "${dup}"; names must be unique.`, { name: dup });
    }
    await this.ctx.store.transaction(async (trx) => {
      await this.ctx.store.settings.put(trx, patch as Record<string, unknown>);
      await audit(this.ctx, trx, principal, 'settings.changed', 'settings', { keys: Object.keys(patch) });
    });
    this.cache = null;
    return this.get();
  }

  /** Forget cached values (another server instance may have changed them). */
  invalidate(): void {
    this.cache = null;
  }
}
