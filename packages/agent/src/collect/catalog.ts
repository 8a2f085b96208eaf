import { ACCOUNT_ITEMS } from './catalog.accounts.js';
import { LIVE_STATE_ITEMS } from './catalog.live.js';
import { PERSISTENCE_ITEMS } from './catalog.persistence.js';
import { SYSTEM_ITEMS } from './catalog.system.js';
import type { CatalogItem } from './catalog.types.js';

/**
 * Everything the "collect investigation package" action gathers, in package order. Commands
 * observe the live host; file items read under `fsRoot`. Deliberately absent: /etc/shadow and
 * private keys (credentials the server has no reason to hold).
 */
export const INVESTIGATION_CATALOG = [
  ...LIVE_STATE_ITEMS,
  ...ACCOUNT_ITEMS,
  ...PERSISTENCE_ITEMS,
  ...SYSTEM_ITEMS,
] as const satisfies readonly CatalogItem[];

/** Ids of the catalog's items (a closed vocabulary derived from the data). */
export type CatalogItemId = (typeof INVESTIGATION_CATALOG)[number]['id'];
