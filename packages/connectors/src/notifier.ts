import { NotSupportedError } from '@quell/core';

/** A message Quell sends to people or systems: an approval request, an action result, an expiry. */
export interface Notification {
  event: string;
  text: string;
  data: Record<string, unknown>;
}

export interface DeliveryResult {
  status: number;
}

/** Whether a failed delivery is worth retrying (the receiver may recover) or final. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** One interface per connector kind (notifications here); each channel implements `send`. */
export interface Notifier {
  readonly channel: string;
  send(target: NotifierTarget, n: Notification, signal: AbortSignal): Promise<DeliveryResult>;
}

export interface NotifierTarget {
  url: string;
  /** HMAC key used to sign the body, when the receiver verifies signatures. */
  secret?: string | undefined;
}

/** Shared flow for notifiers; channels that cannot send a kind of message say so with a typed error. */
export abstract class BaseNotifier implements Notifier {
  abstract readonly channel: string;
  send(_target: NotifierTarget, n: Notification, _signal: AbortSignal): Promise<DeliveryResult> {
    return Promise.reject(
      new NotSupportedError(`The ${this.channel} notifier cannot send ${n.event}.`, { event: n.event }),
    );
  }
}

/** Resolves notifiers by channel name. */
export class NotifierRegistry {
  private readonly byChannel = new Map<string, Notifier>();
  register(n: Notifier): this {
    this.byChannel.set(n.channel, n);
    return this;
  }
  get(channel: string): Notifier {
    const n = this.byChannel.get(channel);
    if (!n) throw new NotSupportedError(`No notifier for channel "${channel}" is installed.`, { channel });
    return n;
  }
}
