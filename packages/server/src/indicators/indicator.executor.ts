import type { Action } from '@quell/contracts';
import { BaseExecutor } from '../engine/executor.js';
import type { IndicatorService } from './indicator.service.js';

/**
 * Carries out `add_indicator` and `remove_indicator` on the server: it writes the indicator (a
 * new feed revision), and agents converge through the indicator feed. Writing is idempotent by
 * type, value and scope, so a retry after a crash between the write and the action's success
 * changes nothing twice.
 */
export class IndicatorExecutor extends BaseExecutor {
  readonly kind = 'server' as const;
  readonly name = 'indicator executor';
  protected readonly types = ['add_indicator', 'remove_indicator'] as const;

  constructor(private readonly indicators: IndicatorService) {
    super();
  }

  protected run(action: Action): Promise<Record<string, unknown>> {
    return action.type === 'add_indicator'
      ? this.indicators.applyAdd(action)
      : this.indicators.applyRemove(action);
  }
}
