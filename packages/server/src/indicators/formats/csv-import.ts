import { CsvError, parse } from 'csv-parse/sync';
import { InputError, INDICATOR_TYPES, type IndicatorInput } from '@quell/core';
import {
  DEVICE_GROUP_SEPARATOR,
  INDICATOR_CSV_COLUMNS,
  REQUIRED_CSV_COLUMNS,
  unguardCell,
  type IndicatorCsvColumn,
} from './csv-columns.js';
import {
  checkDraft,
  dedupeKey,
  IMPORT_DEFAULTS,
  IMPORT_LIMITS,
  resolveGroups,
  type IndicatorImportOptions,
} from './indicator-import.js';

export interface CsvRejection {
  /** Line of the file where the row starts (the header is line 1), as a spreadsheet numbers it. */
  row: number;
  value?: string;
  reason: string;
}

export interface CsvImportResult {
  accepted: IndicatorInput[];
  rejected: CsvRejection[];
}

const TRUE = new Set(['true', 'yes', '1']);
const FALSE = new Set(['false', 'no', '0']);
const TITLE_FROM_VALUE_MAX = 200;

type Cells = Partial<Record<IndicatorCsvColumn, string>>;

function decode(input: string | Uint8Array): string {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (bytes > IMPORT_LIMITS.csvBytes)
    throw new InputError(
      `The file is ${bytes} bytes; a CSV import takes at most ${IMPORT_LIMITS.csvBytes}. Split it into several files.`,
    );
  let text: string;
  try {
    text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw new InputError('The file is not UTF-8 text. Save it as CSV (UTF-8) and import it again.');
  }
  if (text.includes('\u0000')) throw new InputError('The file is binary, not CSV text.');
  return text;
}

/** Column index per known column; throws an InputError for a header Quell cannot read. */
function readHeader(header: readonly string[]): Map<IndicatorCsvColumn, number> {
  const known = new Map(INDICATOR_CSV_COLUMNS.map((c) => [c.toLowerCase(), c] as const));
  const columns = new Map<IndicatorCsvColumn, number>();
  const list = INDICATOR_CSV_COLUMNS.join(',');
  if (header.length === 1 && header[0]?.includes(';'))
    throw new InputError(
      `Columns must be separated by commas; this file uses semicolons. The header is: ${list}`,
    );
  header.forEach((name, i) => {
    const col = known.get(name.trim().toLowerCase());
    if (!col) {
      const looksLikeData = (INDICATOR_TYPES as readonly string[]).includes(name.trim().toLowerCase());
      throw new InputError(
        looksLikeData
          ? `The first line must be a header naming the columns, e.g. ${list}`
          : `Unknown column "${name}" in the header. The columns are: ${list}`,
        { column: name },
      );
    }
    if (columns.has(col))
      throw new InputError(`The column "${col}" appears twice in the header.`, { column: col });
    columns.set(col, i);
  });
  const missing = REQUIRED_CSV_COLUMNS.filter((c) => !columns.has(c));
  if (missing.length)
    throw new InputError(
      `The header lacks the required column(s) ${missing.join(', ')}. The columns are: ${list}`,
    );
  return columns;
}

function parseBool(cell: string | undefined, fallback: boolean): boolean | string {
  const v = (cell ?? '').trim().toLowerCase();
  if (v === '') return fallback;
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return `generateAlert "${cell}" must be true or false`;
}

/** One data row to an indicator, or the reason it cannot be one. */
function rowToIndicator(c: Cells, options: IndicatorImportOptions): IndicatorInput | string {
  const blank = (v: string | undefined) => (v ?? '').trim();
  const type = blank(c.type).toLowerCase();
  const action = blank(c.action).toLowerCase() || (options.defaultAction ?? IMPORT_DEFAULTS.action);
  const generateAlert = parseBool(
    c.generateAlert,
    action === 'allow' ? false : (options.defaultGenerateAlert ?? IMPORT_DEFAULTS.generateAlert),
  );
  if (typeof generateAlert === 'string') return generateAlert;
  const refs = blank(c.deviceGroups)
    .split(DEVICE_GROUP_SEPARATOR)
    .map((g) => g.trim())
    .filter(Boolean);
  const groups = resolveGroups(refs, options);
  if (typeof groups === 'string') return groups;
  const value = blank(c.value);
  return checkDraft(
    {
      type,
      value,
      action,
      title: blank(c.title) || value.slice(0, TITLE_FROM_VALUE_MAX),
      description: c.description,
      severity: blank(c.severity).toLowerCase() || (options.defaultSeverity ?? IMPORT_DEFAULTS.severity),
      generateAlert,
      expiresAt: blank(c.expiresAt) || null,
      deviceGroupIds: groups,
      source: options.source ?? 'import_csv',
    },
    options.now,
  );
}

/**
 * Reads an indicator CSV (columns in `INDICATOR_CSV_COLUMNS`, header required, any order,
 * names case-insensitive). Every row is validated on its own: good rows are accepted, bad ones
 * come back with their line and reason, and a row repeating an earlier one (same type, value
 * and device groups) is rejected as a duplicate. A problem with the whole file (too big, not
 * UTF-8 text, broken quoting, no or unknown header, over `IMPORT_LIMITS.csvRows` rows) throws an
 * InputError instead. Empty cells take the defaults in `options`; an empty title becomes the value.
 */
export function importIndicatorCsv(
  input: string | Uint8Array,
  options: IndicatorImportOptions,
): CsvImportResult {
  const bytes = Buffer.from(decode(input), 'utf8');
  let records: { record: string[]; info: { bytes: number } }[];
  try {
    records = parse(bytes, {
      bom: true,
      info: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
    }) as unknown as typeof records;
  } catch (e) {
    if (e instanceof CsvError)
      throw new InputError(`The file is not valid CSV: ${e.message}.`, {}, { cause: e });
    throw e;
  }
  const [head, ...rows] = records;
  if (!head)
    throw new InputError(
      `The file is empty. Its first line must be a header: ${INDICATOR_CSV_COLUMNS.join(',')}`,
    );
  if (rows.length > IMPORT_LIMITS.csvRows)
    throw new InputError(
      `The file has ${rows.length} rows; a CSV import takes at most ${IMPORT_LIMITS.csvRows}. Split it into several files.`,
    );
  const columns = readHeader(head.record);

  // Line numbers are counted from byte offsets: csv-parse's own line count is off after a
  // quoted CRLF inside a field, and a spreadsheet user needs the line the row starts on.
  let scanned = 0;
  let line = 1;
  let recordEnd = head.info.bytes;
  const startLine = (end: number): number => {
    let start = recordEnd;
    while (bytes[start] === 0x0a || bytes[start] === 0x0d) start++;
    for (; scanned < start; scanned++) if (bytes[scanned] === 0x0a) line++;
    recordEnd = end;
    return line;
  };

  const result: CsvImportResult = { accepted: [], rejected: [] };
  const firstRow = new Map<string, number>();
  for (const { record, info } of rows) {
    const row = startLine(info.bytes);
    const cells: Cells = {};
    for (const [col, i] of columns) {
      const cell = record[i];
      if (cell !== undefined) cells[col] = unguardCell(cell);
    }
    const value = cells.value?.trim() || undefined;
    if (record.length > columns.size) {
      result.rejected.push({
        row,
        value,
        reason: `the row has ${record.length} fields; the header has ${columns.size}`,
      });
      continue;
    }
    const indicator = rowToIndicator(cells, options);
    if (typeof indicator === 'string') {
      result.rejected.push({ row, value, reason: indicator });
      continue;
    }
    const key = dedupeKey(indicator);
    const first = firstRow.get(key);
    if (first !== undefined) {
      result.rejected.push({ row, value, reason: `it repeats the indicator on line ${first}` });
      continue;
    }
    firstRow.set(key, row);
    result.accepted.push(indicator);
  }
  return result;
}
