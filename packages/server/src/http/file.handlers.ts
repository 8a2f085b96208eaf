import type { FILE_ROUTES } from '@quell/contracts';
import type { Services } from '../services/services.js';
import type { Handlers } from './handler-types.js';

/** Handlers of the file routes (thin: one service call each). */
export function fileHandlers(s: Services): Pick<Handlers, keyof typeof FILE_ROUTES> {
  void s;
  return {};
}
