import {
  openDatabase,
  type DatabaseConfig,
  type DatabaseHandle,
  type Db,
  type Dialect,
  type Tx,
} from './database.js';
import { AccessRepo } from './repos/access.repo.js';
import { ActionRepo } from './repos/action.repo.js';
import { ActionBatchRepo } from './repos/action-batch.repo.js';
import { IndicatorRepo } from './repos/indicator.repo.js';
import { FileRepo } from './repos/file.repo.js';
import { AnalysisRepo } from './repos/analysis.repo.js';
import { AgentRepo } from './repos/agent.repo.js';
import { AuditRepo } from './repos/audit.repo.js';
import { BlobRepo } from './repos/blob.repo.js';
import { EnrollmentRepo } from './repos/enrollment.repo.js';
import { ServerKeyRepo } from './repos/server-key.repo.js';
import { YaraRepo } from './repos/yara.repo.js';
import { DeviceRepo } from './repos/device.repo.js';
import { IncidentRepo } from './repos/incident.repo.js';
import { SettingsRepo } from './repos/settings.repo.js';

/** Everything the server persists, behind one handle. */
export interface Store {
  db: Db;
  dialect: Dialect;
  incidents: IncidentRepo;
  actions: ActionRepo;
  /** One request for many devices, fanned out into their actions. */
  actionBatches: ActionBatchRepo;
  /** Indicators of compromise and their sync feed. */
  indicators: IndicatorRepo;
  /** File observations, sightings, analyses. */
  files: FileRepo;
  /** Deep analyses and their reports. */
  analyses: AnalysisRepo;
  audit: AuditRepo;
  devices: DeviceRepo;
  access: AccessRepo;
  settings: SettingsRepo;
  /** Enrolled agents on device rows: keys, connection, reported state. */
  agents: AgentRepo;
  enrollment: EnrollmentRepo;
  serverKeys: ServerKeyRepo;
  yara: YaraRepo;
  blobs: BlobRepo;
  /** Runs `fn` in one transaction: all of its writes land, or none do. */
  transaction<T>(fn: (trx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function createStore(config: DatabaseConfig): Promise<Store> {
  const h: DatabaseHandle = await openDatabase(config);
  return {
    db: h.db,
    dialect: h.dialect,
    incidents: new IncidentRepo(h),
    actions: new ActionRepo(h),
    actionBatches: new ActionBatchRepo(h),
    indicators: new IndicatorRepo(h),
    files: new FileRepo(h),
    analyses: new AnalysisRepo(h),
    audit: new AuditRepo(h),
    devices: new DeviceRepo(h),
    access: new AccessRepo(h),
    settings: new SettingsRepo(h),
    agents: new AgentRepo(h),
    enrollment: new EnrollmentRepo(h),
    serverKeys: new ServerKeyRepo(h),
    yara: new YaraRepo(h),
    blobs: new BlobRepo(h),
    transaction: (fn) => h.db.transaction().execute(fn),
    close: () => h.close(),
  };
}
