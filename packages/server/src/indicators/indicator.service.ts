import type { ServiceContext } from '../services/context.js';
import type { ServiceDeps } from '../services/service-deps.js';

/** Indicators of compromise: CRUD, import/export, TAXII pulls and the versioned feed agents sync (issue 4). */
export class IndicatorService {
  constructor(
    protected readonly ctx: ServiceContext,
    protected readonly deps: ServiceDeps,
  ) {}
}
