import type { IndicatorAction, IndicatorType, Severity } from '@quell/core';

/**
 * What the server sends an agent about indicators (issue 4): only those that apply to this
 * device (its group's and the all-devices ones), kept in step by versioned delta sync. The
 * protocol messages that carry these payloads live in `@quell/contracts`; these are the shapes
 * the agent's store accepts.
 */

/** One indicator as the agent needs it. */
export interface SyncIndicator {
  /** Server id, printable ASCII without spaces, at most {@link MAX_INDICATOR_ID_LENGTH} chars. */
  id: string;
  type: IndicatorType;
  /** Canonical value (lower-case hex, dotted/RFC 5952 address or CIDR, punycode domain, URL). */
  value: string;
  action: IndicatorAction;
  /** True when the indicator targets this device's group, false when it targets all devices. */
  groupScoped: boolean;
  /** Raise an alert when it matches (audit, block…). */
  generateAlert: boolean;
  severity: Severity;
  title: string;
  /** ISO 8601 date-time after which the indicator no longer applies; null: never expires. */
  expiresAt: string | null;
}

/** The full set for this device at `version`; replaces whatever the agent held. */
export interface IndicatorSnapshot {
  version: number;
  indicators: readonly SyncIndicator[];
}

/**
 * The changes from `fromVersion` to `toVersion`. The agent applies it only when it holds exactly
 * `fromVersion`; otherwise it refuses it and asks for a snapshot.
 */
export interface IndicatorDelta {
  fromVersion: number;
  toVersion: number;
  /** New indicators and new versions of known ones (same id). */
  upserts: readonly SyncIndicator[];
  /** Ids to drop; an id the agent does not hold is ignored (it may have expired here first). */
  removals: readonly string[];
}

/** A matching indicator, as lookups return it. */
export interface IndicatorMatch {
  id: string;
  type: IndicatorType;
  value: string;
  action: IndicatorAction;
  groupScoped: boolean;
  generateAlert: boolean;
  severity: Severity;
  title: string;
  /** Epoch ms, or null. */
  expiresAt: number | null;
}

/** What applying a snapshot or a delta changed. */
export interface IndicatorApplyResult {
  version: number;
  /** Indicators now held. */
  total: number;
  added: number;
  replaced: number;
  removed: number;
  /** Upserts already past `expiresAt` when they arrived, so not held. */
  skippedExpired: number;
}

export const MAX_INDICATOR_ID_LENGTH = 128;
/** Longer titles are cut: they are shown in alerts, and a million of them must fit in memory. */
export const MAX_INDICATOR_TITLE_LENGTH = 512;
