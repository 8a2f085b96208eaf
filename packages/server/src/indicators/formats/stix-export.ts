import { randomUUID } from 'node:crypto';
import type { IndicatorAction, IndicatorInput, IndicatorType } from '@quell/core';
import { STIX_INDICATOR_ID, type StixBundle, type StixIndicatorObject } from './stix-objects.js';
import { uuidV5 } from './stix-ids.js';

/** An indicator with the times STIX needs (`created`, `modified`, `valid_from`). */
export interface StixExportIndicator extends IndicatorInput {
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms. */
  updatedAt: number;
}

export interface StixExportOptions {
  /** Default: a random `bundle--<uuid v4>`; a bundle id only names this one file. */
  bundleId?: string | undefined;
  /**
   * What to write in `x_quell_device_groups` for a group id, e.g. its name, so another Quell
   * can map it with the import's `resolveDeviceGroup`. Default: the id.
   */
  deviceGroupLabel?: ((id: string) => string) | undefined;
}

/** Object path per type, in the spellings the STIX 2.1 examples use. */
const PATHS: Record<IndicatorType, string> = {
  sha256: "file:hashes.'SHA-256'",
  sha1: "file:hashes.'SHA-1'",
  md5: 'file:hashes.MD5',
  ipv4: 'ipv4-addr:value',
  ipv6: 'ipv6-addr:value',
  domain: 'domain-name:value',
  url: 'url:value',
};

/** STIX `indicator-type-ov` value closest to each action. */
const INDICATOR_TYPES: Record<IndicatorAction, string> = {
  allow: 'benign',
  audit: 'anomalous-activity',
  block: 'malicious-activity',
  block_and_remediate: 'malicious-activity',
};

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function stixPattern(type: IndicatorType, value: string): string {
  return `[${PATHS[type]} = ${quote(value)}]`;
}

/**
 * Ids are stable across exports so that a receiver updates rather than duplicates: the
 * indicator's own STIX id when it came from STIX and no other indicator in this export shares it
 * (one STIX pattern joined by OR becomes several Quell indicators), else a version 5 UUID of
 * type, value and device groups.
 */
function stixIds(indicators: readonly StixExportIndicator[]): string[] {
  const uses = new Map<string, number>();
  for (const i of indicators) if (i.externalId) uses.set(i.externalId, (uses.get(i.externalId) ?? 0) + 1);
  return indicators.map((i) =>
    i.externalId && STIX_INDICATOR_ID.test(i.externalId) && uses.get(i.externalId) === 1
      ? i.externalId
      : `indicator--${uuidV5(`${i.type}|${i.value}|${i.deviceGroupIds.join(',')}`)}`,
  );
}

/**
 * A STIX 2.1 bundle with one indicator SDO per indicator. What STIX has no field for travels in
 * custom properties (`x_quell_action`, `x_quell_severity`, `x_quell_generate_alert`,
 * `x_quell_device_groups`), which `importStixBundle` reads back.
 */
export function exportStixBundle(
  indicators: readonly StixExportIndicator[],
  options: StixExportOptions = {},
): StixBundle {
  const ids = stixIds(indicators);
  const label = options.deviceGroupLabel ?? ((id: string) => id);
  const objects = indicators.map((i, n): StixIndicatorObject => {
    const created = new Date(i.createdAt).toISOString();
    return {
      type: 'indicator',
      spec_version: '2.1',
      id: ids[n] as string,
      created,
      modified: new Date(Math.max(i.createdAt, i.updatedAt)).toISOString(),
      name: i.title,
      ...(i.description ? { description: i.description } : {}),
      indicator_types: [INDICATOR_TYPES[i.action]],
      pattern: stixPattern(i.type, i.value),
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: created,
      ...(i.expiresAt ? { valid_until: new Date(i.expiresAt).toISOString() } : {}),
      x_quell_action: i.action,
      x_quell_severity: i.severity,
      x_quell_generate_alert: i.generateAlert,
      ...(i.deviceGroupIds.length ? { x_quell_device_groups: i.deviceGroupIds.map(label) } : {}),
    };
  });
  return { type: 'bundle', id: options.bundleId ?? `bundle--${randomUUID()}`, objects };
}
