import type { ActionBatchService } from './action-batch.service.js';
import type { ActionService } from './action.service.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { DeviceGroupService } from './device-group.service.js';
import type { IncidentService } from './incident.service.js';
import type { IngestService } from './ingest.service.js';
import type { SettingsService } from './settings.service.js';

/** The services later areas build on, handed over as one bag so adding an area touches no signature. */
export interface ServiceDeps {
  settings: SettingsService;
  deviceGroups: DeviceGroupService;
  incidents: IncidentService;
  ingest: IngestService;
  actions: ActionService;
  actionBatches: ActionBatchService;
  blobs: BlobStore;
}
