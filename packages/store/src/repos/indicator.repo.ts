import type { DatabaseHandle } from '../database.js';

/** Indicators and their versioned feed (issue 4). */
export class IndicatorRepo {
  constructor(protected readonly h: DatabaseHandle) {}
}
