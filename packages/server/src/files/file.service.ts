import type { ServiceContext } from '../services/context.js';
import type { ServiceDeps } from '../services/service-deps.js';

/** Files: observations, prevalence, quarantine everywhere, collection and download (issue 4). */
export class FileService {
  constructor(
    protected readonly ctx: ServiceContext,
    protected readonly deps: ServiceDeps,
  ) {}
}
