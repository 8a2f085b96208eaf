import type { Severity } from '@quell/core';
import type { Behaviour } from './report.schema.js';
import type { SandboxVerdict } from './sandbox.vocab.js';

/** What one behaviour of each severity adds to the score before damping. */
export const SEVERITY_WEIGHT: Record<Severity, number> = { informational: 0, low: 10, medium: 30, high: 60 };

/** Score thresholds: at or above `malicious`, the sample is malicious; at or above `suspicious`, suspicious. */
export const VERDICT_THRESHOLDS = { suspicious: 25, malicious: 70 } as const;

/**
 * Scores behaviours 0–100: the strongest counts fully, the next half, the next a quarter…, so
 * many weak signals approach but rarely pass one strong pair. One high-severity behaviour alone
 * is suspicious (installers write startup files too); two, or one with a medium, are malicious.
 */
export function scoreBehaviours(behaviours: readonly Behaviour[]): {
  score: number;
  verdict: SandboxVerdict;
} {
  const weights = behaviours.map((b) => SEVERITY_WEIGHT[b.severity]).sort((a, b) => b - a);
  let score = 0;
  weights.forEach((w, i) => (score += w / 2 ** i));
  score = Math.min(100, Math.round(score));
  const verdict: SandboxVerdict =
    score >= VERDICT_THRESHOLDS.malicious
      ? 'malicious'
      : score >= VERDICT_THRESHOLDS.suspicious
        ? 'suspicious'
        : 'clean';
  return { score, verdict };
}
