import type { ANALYSIS_ROUTES } from '@quell/contracts';
import type { Services } from '../services/services.js';
import type { Handlers } from './handler-types.js';

/** Handlers of the deep-analysis routes (thin: one service call each). */
export function analysisHandlers(s: Services): Pick<Handlers, keyof typeof ANALYSIS_ROUTES> {
  void s;
  return {};
}
