export { BaseNotifier, NotifierRegistry, DeliveryError } from './notifier.js';
export type { Notifier, Notification, NotifierTarget, DeliveryResult } from './notifier.js';
export { WebhookNotifier } from './webhook.notifier.js';
export { TaxiiClient } from './taxii/taxii-client.js';
export type { TaxiiClientOptions } from './taxii/taxii-client.js';
export type { TaxiiHttpOptions } from './taxii/taxii-http.js';
export { TaxiiError } from './taxii/taxii-error.js';
export { pullIndicators } from './taxii/pull-indicators.js';
export type { PullIndicatorsOptions, PullIndicatorsResult } from './taxii/pull-indicators.js';
export { TAXII_MEDIA_TYPE } from './taxii/taxii.types.js';
export type {
  TaxiiAuth,
  TaxiiDiscovery,
  TaxiiApiRoot,
  TaxiiCollection,
  TaxiiEnvelope,
  TaxiiObjectsPage,
  TaxiiObjectsQuery,
} from './taxii/taxii.types.js';
