import type { DatabaseHandle } from '../database.js';

/** Deep analyses and their reports (issue 4). */
export class AnalysisRepo {
  constructor(protected readonly h: DatabaseHandle) {}
}
