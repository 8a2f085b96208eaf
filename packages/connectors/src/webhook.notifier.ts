import { createHmac } from 'node:crypto';
import {
  BaseNotifier,
  DeliveryError,
  type DeliveryResult,
  type Notification,
  type NotifierTarget,
} from './notifier.js';

/**
 * POSTs a JSON notification. With a secret, the body is signed as
 * `x-quell-signature: sha256=<hex HMAC of the body>` so the receiver can trust it.
 * 5xx, 429 and network errors are retryable; other 4xx answers are final.
 */
export class WebhookNotifier extends BaseNotifier {
  readonly channel = 'webhook';

  constructor(private readonly doFetch: typeof fetch = fetch) {
    super();
  }

  override async send(target: NotifierTarget, n: Notification, signal: AbortSignal): Promise<DeliveryResult> {
    const body = JSON.stringify({
      event: n.event,
      text: n.text,
      data: n.data,
      sentAt: new Date().toISOString(),
    });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'quell-webhook/1',
    };
    if (target.secret)
      headers['x-quell-signature'] =
        `sha256=${createHmac('sha256', target.secret).update(body).digest('hex')}`;
    let res: Response;
    try {
      res = await this.doFetch(target.url, { method: 'POST', headers, body, signal, redirect: 'error' });
    } catch (e) {
      throw new DeliveryError(`Webhook ${target.url} did not answer: ${(e as Error).message}`, true);
    }
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return { status: res.status };
    const retryable = res.status >= 500 || res.status === 429;
    throw new DeliveryError(`Webhook ${target.url} answered ${res.status}`, retryable, res.status);
  }
}
