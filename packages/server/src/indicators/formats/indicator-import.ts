import {
  checkIndicatorInput,
  type IndicatorAction,
  type IndicatorDraft,
  type IndicatorInput,
  type IndicatorSource,
  type Severity,
} from '@quell/core';

/**
 * Size limits of the import formats. Imports are parsed in memory inside a request, so these
 * bound what one upload can cost; feeds larger than this are pulled in TAXII pages instead.
 */
export const IMPORT_LIMITS = {
  /** Bytes of one CSV file. */
  csvBytes: 10 * 1024 * 1024,
  /** Data rows of one CSV file. */
  csvRows: 100_000,
  /** Bytes of one STIX bundle (as text). */
  stixBytes: 32 * 1024 * 1024,
  /** Objects in one STIX bundle or TAXII page. */
  stixObjects: 100_000,
  /** Characters of one STIX pattern. */
  stixPatternChars: 10_000,
  /** Indicators one STIX pattern may expand to (comparisons joined by OR). */
  stixPatternValues: 1_000,
} as const;

/** How an import fills what the file leaves out, and where the result says it came from. */
export interface IndicatorImportOptions {
  /** Epoch ms; expiries at or before it are rejected. */
  now: number;
  /** Default `block`. */
  defaultAction?: IndicatorAction | undefined;
  /** Default `medium`. */
  defaultSeverity?: Severity | undefined;
  /** Default true; an `allow` never alerts, whatever this says. */
  defaultGenerateAlert?: boolean | undefined;
  /** Default `import_csv` for CSV, `import_stix` for STIX; a TAXII pull passes `taxii`. */
  source?: IndicatorSource | undefined;
  /**
   * Turns a device group named in the file (id or name) into its id, or null when there is no
   * such group (the row is then rejected). Without it, the names are taken as ids. Synchronous
   * on purpose: the caller loads the groups once, not once per row.
   */
  resolveDeviceGroup?: ((ref: string) => string | null) | undefined;
}

export const IMPORT_DEFAULTS = { action: 'block', severity: 'medium', generateAlert: true } as const;

/** Device group references to ids; a string naming the first unknown one on failure. */
export function resolveGroups(refs: readonly string[], options: IndicatorImportOptions): string[] | string {
  const out: string[] = [];
  for (const ref of refs) {
    const id = options.resolveDeviceGroup ? options.resolveDeviceGroup(ref) : ref;
    if (id === null) return `there is no device group "${ref}"`;
    out.push(id);
  }
  return out;
}

/** Validates a draft; the normalised indicator, or every problem as one reason. */
export function checkDraft(draft: IndicatorDraft, now: number): IndicatorInput | string {
  const r = checkIndicatorInput(draft, now);
  return r.ok ? r.indicator : r.problems.map((p) => p.reason).join('; ');
}

/** Two indicators with this key are the same rule; an import keeps the first. */
export function dedupeKey(i: IndicatorInput): string {
  return `${i.type}\u0000${i.value}\u0000${i.deviceGroupIds.join('\u0001')}`;
}
