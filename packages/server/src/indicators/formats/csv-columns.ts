/** The columns of the indicator CSV format, in export order. `type` and `value` are required. */
export const INDICATOR_CSV_COLUMNS = [
  'type',
  'value',
  'action',
  'title',
  'description',
  'severity',
  'generateAlert',
  'expiresAt',
  'deviceGroups',
] as const;
export type IndicatorCsvColumn = (typeof INDICATOR_CSV_COLUMNS)[number];

export const REQUIRED_CSV_COLUMNS = ['type', 'value'] as const satisfies readonly IndicatorCsvColumn[];

/** Separates device groups inside the `deviceGroups` cell. */
export const DEVICE_GROUP_SEPARATOR = ';';

/**
 * Cells a spreadsheet would run as a formula get a leading apostrophe on export (titles and
 * descriptions are user input and must not execute when an analyst opens the file); import
 * takes it off again, so a file round-trips.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const GUARDED = /^'[=+\-@\t\r]/;

export function guardCell(s: string): string {
  return FORMULA_START.test(s) ? `'${s}` : s;
}

export function unguardCell(s: string): string {
  return GUARDED.test(s) ? s.slice(1) : s;
}
