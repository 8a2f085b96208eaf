import type { Indicator, TaxiiFeed } from '@quell/contracts';
import type { IndicatorAction, IndicatorInput, IndicatorSource, IndicatorType, Severity } from '@quell/core';
import { fromJson, iso, isoOrNull, type IndicatorRow, type TaxiiFeedRow } from '@quell/store';
import type { StixExportIndicator } from './formats/stix-export.js';
import type { SyncIndicator } from './indicator-feed.types.js';

export function groupIdsOf(r: IndicatorRow): string[] {
  return fromJson<string[]>(r.device_group_ids, []);
}

export function isExpired(r: Pick<IndicatorRow, 'expires_at'>, now: number): boolean {
  return r.expires_at !== null && r.expires_at <= now;
}

/** A row as the API shows it. */
export function toIndicator(r: IndicatorRow, now: number): Indicator {
  return {
    id: r.id,
    type: r.type as IndicatorType,
    value: r.value,
    action: r.action as IndicatorAction,
    title: r.title,
    description: r.description,
    severity: r.severity as Severity,
    generateAlert: r.generate_alert === 1,
    expiresAt: isoOrNull(r.expires_at),
    expired: isExpired(r, now),
    deviceGroupIds: groupIdsOf(r),
    externalId: r.external_id,
    source: r.source as IndicatorSource,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    rev: r.rev,
  };
}

/** A row as the formats read it. */
export function toExportIndicator(r: IndicatorRow): StixExportIndicator & IndicatorInput {
  return {
    type: r.type as IndicatorType,
    value: r.value,
    action: r.action as IndicatorAction,
    title: r.title,
    ...(r.description ? { description: r.description } : {}),
    severity: r.severity as Severity,
    generateAlert: r.generate_alert === 1,
    expiresAt: isoOrNull(r.expires_at),
    deviceGroupIds: groupIdsOf(r),
    ...(r.external_id ? { externalId: r.external_id } : {}),
    source: r.source as IndicatorSource,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** A row as an agent of a device group holds it. */
export function toSyncIndicator(r: IndicatorRow): SyncIndicator {
  return {
    id: r.id,
    type: r.type as IndicatorType,
    value: r.value,
    action: r.action as IndicatorAction,
    groupScoped: r.scope_key !== '*',
    generateAlert: r.generate_alert === 1,
    severity: r.severity as Severity,
    title: r.title,
    expiresAt: isoOrNull(r.expires_at),
  };
}

export function toTaxiiFeed(r: TaxiiFeedRow): TaxiiFeed {
  return {
    id: r.id,
    name: r.name,
    discoveryUrl: r.discovery_url,
    apiRootUrl: r.api_root_url,
    collectionId: r.collection_id,
    authKind: r.auth_kind as TaxiiFeed['authKind'],
    username: r.username,
    secretEnv: r.secret_env,
    defaultAction: r.default_action as IndicatorAction,
    defaultSeverity: r.default_severity as Severity,
    intervalMinutes: r.interval_minutes,
    enabled: r.enabled === 1,
    addedAfter: r.added_after,
    lastPulledAt: isoOrNull(r.last_pulled_at),
    lastError: r.last_error,
    lastCounts: {
      imported: r.last_imported,
      updated: r.last_updated,
      rejected: r.last_rejected,
      removed: r.last_removed,
    },
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
  };
}
