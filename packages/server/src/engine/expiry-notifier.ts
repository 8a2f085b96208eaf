import type { Logger } from 'pino';
import type { Notification, NotifierRegistry } from '@quell/connectors';
import { actionDefinition } from '@quell/core';
import { iso, type ActionRow } from '@quell/store';
import type { SettingsService } from '../services/settings.service.js';
import type { Dispatcher } from './dispatcher.js';

/** Past this many expiries in one pass, one summary goes out instead of one message each. */
const MAX_SINGLE = 20;
const SEND_TIMEOUT_MS = 10_000;

/**
 * Tells people when queued actions expire (ARCHITECTURE §4: expiry is a visible status and a
 * notification, never silence). Event `action.expired` goes to every webhook configured under
 * Settings → Webhooks, through the notifier registry, and is logged at warn level either way.
 */
export class ExpiryNotifier {
  constructor(
    private readonly settings: SettingsService,
    private readonly notifiers: NotifierRegistry,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Logger,
  ) {}

  /** Fire and forget: delivery problems are logged, never thrown into the dispatcher. */
  expired(rows: readonly ActionRow[]): void {
    void this.send(rows).catch((e: unknown) =>
      this.log.error({ err: e }, 'could not send action expiry notifications'),
    );
  }

  /** The messages for a pass of expiries (exported for tests and other channels). */
  static notifications(rows: readonly ActionRow[]): Notification[] {
    const one = (r: ActionRow): Notification => ({
      event: 'action.expired',
      text: `${actionDefinition(r.type).title} on ${r.target_id} expired before it could run${r.error ? ` (${r.error})` : ''}.`,
      data: {
        actionId: r.id,
        type: r.type,
        target: r.target_id,
        incidentId: r.incident_id,
        requestedBy: r.requested_by,
        expiredAt: iso(r.updated_at),
        lastError: r.error,
      },
    });
    if (rows.length <= MAX_SINGLE) return rows.map(one);
    return [
      {
        event: 'action.expired',
        text: `${rows.length} actions expired before they could run.`,
        data: { actionIds: rows.map((r) => r.id), count: rows.length },
      },
    ];
  }

  private async send(rows: readonly ActionRow[]): Promise<void> {
    this.log.warn({ actions: rows.map((r) => r.id) }, 'actions expired before they could run');
    const { webhooks } = await this.settings.get();
    if (webhooks.length === 0) return;
    const notifier = this.notifiers.get('webhook');
    for (const n of ExpiryNotifier.notifications(rows)) {
      for (const hook of webhooks) {
        const secret = hook.secretRef ? this.env[hook.secretRef] : undefined;
        try {
          await notifier.send({ url: hook.url, secret }, n, AbortSignal.timeout(SEND_TIMEOUT_MS));
        } catch (e) {
          this.log.warn({ err: e, webhook: hook.name, event: n.event }, 'expiry notification not delivered');
        }
      }
    }
  }
}

/** Sends expiry notifications for the dispatcher's expiries (see {@link ExpiryNotifier}). */
export function attachExpiryNotifier(
  services: { settings: SettingsService; notifiers: NotifierRegistry; dispatcher: Dispatcher },
  env: NodeJS.ProcessEnv,
  log: Logger,
): ExpiryNotifier {
  const notifier = new ExpiryNotifier(services.settings, services.notifiers, env, log);
  services.dispatcher.onExpired = (rows) => notifier.expired(rows);
  return notifier;
}
