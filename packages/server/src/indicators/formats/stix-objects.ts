import type { IndicatorAction, Severity } from '@quell/core';

/** STIX 2.1 identifiers: `<type>--<RFC 4122 UUID>`. */
export const STIX_INDICATOR_ID =
  /^indicator--[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** STIX timestamps are RFC 3339 in UTC with a literal `Z` (STIX 2.1 section 3.2). */
export const STIX_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/** An indicator SDO as Quell writes it; imports read anything shaped like one. */
export interface StixIndicatorObject {
  type: 'indicator';
  spec_version: '2.1';
  id: string;
  created: string;
  modified: string;
  name: string;
  description?: string;
  indicator_types: string[];
  pattern: string;
  pattern_type: 'stix';
  pattern_version: '2.1';
  valid_from: string;
  valid_until?: string;
  /** Custom properties (STIX 2.1 section 11.1) carrying what STIX has no field for. */
  x_quell_action: IndicatorAction;
  x_quell_severity: Severity;
  x_quell_generate_alert: boolean;
  x_quell_device_groups?: string[];
}

export interface StixBundle {
  type: 'bundle';
  id: string;
  objects: StixIndicatorObject[];
}

/** Whether `s` is a STIX timestamp that denotes a real instant; its epoch ms, or null. */
export function stixTime(s: unknown): number | null {
  if (typeof s !== 'string' || !STIX_TIMESTAMP.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : null;
}
