import type { IndicatorAction, IndicatorType, Severity } from '@quell/core';

/**
 * What the server sends an agent about indicators: the shapes of the agent's
 * `indicators/indicator-sync.types.ts`, restated here because the server may not import the agent
 * package (ARCHITECTURE §3). Keep the two in step.
 */
export interface SyncIndicator {
  id: string;
  type: IndicatorType;
  value: string;
  action: IndicatorAction;
  /** True when the indicator lists the device's group, false when it targets all devices. */
  groupScoped: boolean;
  generateAlert: boolean;
  severity: Severity;
  title: string;
  expiresAt: string | null;
}

/** The full set for a device group at `version`; replaces whatever the agent held. */
export interface IndicatorSnapshot {
  version: number;
  indicators: readonly SyncIndicator[];
}

/** The changes from `fromVersion` to `toVersion`, for an agent that holds exactly `fromVersion`. */
export interface IndicatorDelta {
  fromVersion: number;
  toVersion: number;
  upserts: readonly SyncIndicator[];
  removals: readonly string[];
}

/**
 * One answer of `IndicatorService.feedFor`.
 * - `delta`: apply it; when `more`, ask again from `delta.toVersion`.
 * - `snapshot`: one page of a reset. Collect the pages (ask again with `nextCursor` until it is
 *   null), then replace the agent's set with all of them at `snapshot.version`, then ask for the
 *   delta from that version. Every page carries the same version.
 */
export type IndicatorFeedPage =
  | { kind: 'delta'; delta: IndicatorDelta; more: boolean }
  | { kind: 'snapshot'; snapshot: IndicatorSnapshot; nextCursor: string | null };
