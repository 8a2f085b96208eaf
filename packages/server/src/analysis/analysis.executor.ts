import type { Action } from '@quell/contracts';
import { BaseExecutor } from '../engine/executor.js';
import type { AnalysisService } from './analysis.service.js';

/**
 * Carries out `deep_analysis` on this server: the analysis service detonates the file in its
 * sandbox queue and the action succeeds with the verdict and the report's blob. Synchronous: the
 * dispatcher waits for the report, bounded by the catalog timeout (15 min), which is longer than
 * the longest detonation (10 min) because only free sandbox slots are claimed (see `unavailable`).
 */
export class AnalysisExecutor extends BaseExecutor {
  readonly kind = 'server' as const;
  readonly name = 'sandbox executor';
  protected readonly types = ['deep_analysis'] as const;

  constructor(private readonly analyses: AnalysisService) {
    super();
  }

  /**
   * A busy sandbox leaves the action queued (no attempt spent) instead of letting it wait inside
   * the executor, where queue time would count against its run timeout.
   */
  unavailable(): string | null {
    return this.analyses.claimSlot();
  }

  protected run(action: Action, signal: AbortSignal): Promise<Record<string, unknown>> {
    return this.analyses.execute(action, signal);
  }
}
