import type { ColumnType } from 'kysely';

/** Tables of indicators of compromise (issue 4); migration 005. Times are epoch ms. */
export interface IndicatorTables {
  indicators: IndicatorsTable;
  indicator_revision: IndicatorRevisionTable;
  taxii_feeds: TaxiiFeedsTable;
}

export interface IndicatorsTable {
  id: string;
  type: string;
  /** Canonical form (core's `normalizeIndicatorValue`), so one thing is one row. */
  value: string;
  action: string;
  title: string;
  description: string | null;
  severity: string;
  generate_alert: number;
  expires_at: number | null;
  /** JSON array of device group ids, sorted; `[]` = all devices. */
  device_group_ids: string;
  /** The sorted group ids joined by `,`, or `*` for all devices: part of the row's identity. */
  scope_key: string;
  external_id: string | null;
  source: string;
  created_by: string;
  created_at: number;
  updated_at: number;
  /** Feed revision of the last change to this row (creation, update, removal, announced expiry). */
  rev: number;
  /** Set when removed: the row stays as a tombstone so agents syncing deltas learn of the removal. */
  deleted_at: number | null;
  /** 1 once the expiry sweep has given the row a revision of its own after `expires_at` passed. */
  expiry_announced: number;
  /** On the tombstone a scope change leaves: the indicator that took its place (migration 008). */
  replaced_by: ColumnType<string | null, string | null | undefined, string | null>;
}

/** One row (id 1): the feed's current revision and the newest revision whose tombstones are gone. */
export interface IndicatorRevisionTable {
  id: number;
  rev: number;
  /** Deltas from before this revision cannot be served (tombstones pruned): agents get a snapshot. */
  pruned_rev: number;
}

export interface TaxiiFeedsTable {
  id: string;
  name: string;
  discovery_url: string | null;
  api_root_url: string | null;
  collection_id: string;
  /** `none`, `basic` or `bearer`. */
  auth_kind: string;
  username: string | null;
  /** NAME of the server's environment variable holding the password or token; never the secret. */
  secret_env: string | null;
  default_action: string;
  default_severity: string;
  interval_minutes: number;
  enabled: number;
  /** TAXII `added_after` cursor for the next pull. */
  added_after: string | null;
  last_pulled_at: number | null;
  last_error: string | null;
  last_imported: number;
  last_updated: number;
  last_rejected: number;
  last_removed: number;
  created_by: string;
  created_at: number;
  updated_at: number;
}
