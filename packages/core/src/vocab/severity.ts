/** Alert and incident severities, lowest first; the order is used to compute incident severity. */
export const SEVERITIES = ['informational', 'low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const severityRank: Record<Severity, number> = { informational: 0, low: 1, medium: 2, high: 3 };

/** The highest of the given severities, or `informational` for none. */
export function highestSeverity(list: readonly Severity[]): Severity {
  let best: Severity = 'informational';
  for (const s of list) if (severityRank[s] > severityRank[best]) best = s;
  return best;
}
