import type { INDICATOR_ROUTES } from '@quell/contracts';
import type { Services } from '../services/services.js';
import type { Handlers } from './handler-types.js';

/** Handlers of the indicator routes (thin: one service call each). */
export function indicatorHandlers(s: Services): Pick<Handlers, keyof typeof INDICATOR_ROUTES> {
  void s;
  return {};
}
