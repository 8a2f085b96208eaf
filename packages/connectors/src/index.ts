export { BaseNotifier, NotifierRegistry, DeliveryError } from './notifier.js';
export type { Notifier, Notification, NotifierTarget, DeliveryResult } from './notifier.js';
export { WebhookNotifier } from './webhook.notifier.js';
