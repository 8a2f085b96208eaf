import type { DatabaseHandle } from '../database.js';

/** File observations, sightings per device, analyses (issue 4). */
export class FileRepo {
  constructor(protected readonly h: DatabaseHandle) {}
}
