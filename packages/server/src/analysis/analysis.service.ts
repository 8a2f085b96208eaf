import type { ServiceContext } from '../services/context.js';
import type { ServiceDeps } from '../services/service-deps.js';

/** Deep analysis: files detonated in the sandbox, queued, reported, stored (issue 4). */
export class AnalysisService {
  constructor(
    protected readonly ctx: ServiceContext,
    protected readonly deps: ServiceDeps,
  ) {}
}
