import { stringify } from 'csv-stringify/sync';
import type { IndicatorInput } from '@quell/core';
import {
  DEVICE_GROUP_SEPARATOR,
  guardCell,
  INDICATOR_CSV_COLUMNS,
  type IndicatorCsvColumn,
} from './csv-columns.js';

export interface IndicatorCsvExportOptions {
  /**
   * What to write for a device group id, e.g. its name. Default: the id. Whatever it returns
   * must not contain `;` and must be what the import's `resolveDeviceGroup` accepts.
   */
  deviceGroupLabel?: ((id: string) => string) | undefined;
}

/** Indicators as CSV text with a header, in the columns the importer reads. */
export function exportIndicatorCsv(
  indicators: readonly IndicatorInput[],
  options: IndicatorCsvExportOptions = {},
): string {
  const label = options.deviceGroupLabel ?? ((id: string) => id);
  const rows = indicators.map((i) => {
    const cells: Record<IndicatorCsvColumn, string> = {
      type: i.type,
      value: i.value,
      action: i.action,
      title: i.title,
      description: i.description ?? '',
      severity: i.severity,
      generateAlert: String(i.generateAlert),
      expiresAt: i.expiresAt ?? '',
      deviceGroups: i.deviceGroupIds.map(label).join(DEVICE_GROUP_SEPARATOR),
    };
    return INDICATOR_CSV_COLUMNS.map((c) => guardCell(cells[c]));
  });
  return stringify(rows, { header: true, columns: [...INDICATOR_CSV_COLUMNS] });
}
