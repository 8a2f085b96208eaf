import type { FileVerdictValue, Indicator } from '@quell/contracts';
import type { IndicatorAction } from '@quell/core';
import type { VerdictSource } from './file.service.js';

/** What an indicator's action says of a file. */
const VERDICT_OF: Record<IndicatorAction, FileVerdictValue> = {
  allow: 'clean',
  audit: 'suspicious',
  block: 'malicious',
  block_and_remediate: 'malicious',
};

/**
 * The file page's verdict from indicators: the fleet-wide indicator that decides the SHA-256
 * (indicators scoped to device groups decide per device and are left to the indicators page).
 */
export function indicatorVerdicts(indicators: {
  matchSha256(
    hashes: readonly string[],
    deviceGroupId: string | null,
  ): Promise<Array<{ sha256: string; indicator: Indicator }>>;
}): VerdictSource {
  return async (sha256) => {
    const [m] = await indicators.matchSha256([sha256], null);
    if (!m) return null;
    return {
      verdict: VERDICT_OF[m.indicator.action],
      source: 'indicator',
      title: `${m.indicator.action.replace(/_/g, ' ')}: ${m.indicator.title}`,
      ref: m.indicator.id,
      at: m.indicator.updatedAt,
    };
  };
}
