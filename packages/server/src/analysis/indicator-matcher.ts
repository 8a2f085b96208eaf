import type { Severity } from '@quell/core';

/** The observable kinds a deep-analysis report is checked against indicators for. */
export const MATCHED_OBSERVABLES = ['sha256', 'ipv4', 'ipv6', 'domain'] as const;
export type MatchedObservable = (typeof MATCHED_OBSERVABLES)[number];

/** An indicator that covers an observable. */
export interface IndicatorMatch {
  indicatorId: string;
  title: string;
  severity: Severity;
  /** The indicator's action (`block`, `audit`…), shown in the alert. */
  action: string;
}

/**
 * The port through which deep analysis asks whether an observable is a known indicator. The
 * indicators service implements it; plug it in with `services.analyses.setIndicatorMatcher(m)`
 * (or `ServiceOptions.analysis.indicatorMatcher`). Values arrive normalised: lower-case hex
 * hashes, lower-case domain names without a trailing dot, addresses as the sample used them.
 */
export interface IndicatorMatcher {
  match(type: MatchedObservable, value: string): Promise<IndicatorMatch | null>;
}

/** The default until an indicators service is plugged in: nothing matches. */
export const NO_INDICATORS: IndicatorMatcher = {
  match: () => Promise.resolve(null),
};
