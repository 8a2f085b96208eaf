import type { Action } from '@quell/contracts';
import { InputError } from '@quell/core';
import { DeliveryError, type Notifier } from '@quell/connectors';
import type { SettingsService } from '../services/settings.service.js';
import { BaseExecutor, TransientExecutorError } from './executor.js';

/** Carries out `notify_webhook` through the webhook notifier, to a webhook named in settings. */
export class WebhookExecutor extends BaseExecutor {
  readonly kind = 'webhook' as const;
  readonly name = 'webhook executor';
  protected readonly types = ['notify_webhook'] as const;

  constructor(
    private readonly settings: SettingsService,
    private readonly notifier: Notifier,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    super();
  }

  protected async run(action: Action, signal: AbortSignal): Promise<Record<string, unknown>> {
    const name = String(action.params.webhook);
    const hook = (await this.settings.get()).webhooks.find((w) => w.name === name);
    if (!hook)
      throw new InputError(`No webhook named "${name}" is configured; add it under Settings → Webhooks.`, {
        webhook: name,
      });
    const secret = hook.secretRef ? this.env[hook.secretRef] : undefined;
    try {
      const res = await this.notifier.send(
        { url: hook.url, secret },
        {
          event: 'action.notify_webhook',
          text: String(action.params.message),
          data: { actionId: action.id, incidentId: action.incidentId, requestedBy: action.requestedBy },
        },
        signal,
      );
      return { status: res.status };
    } catch (e) {
      if (e instanceof DeliveryError && e.retryable)
        throw new TransientExecutorError(e.message, { cause: e });
      throw e;
    }
  }
}
