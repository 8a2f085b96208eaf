export { createStore } from './store.js';
export type { Store } from './store.js';
export type { DatabaseConfig, Db, Dialect, Tx } from './database.js';
export type { Database } from './schema/database.js';
export { encodeCursor, decodeCursor, toJson, fromJson, iso, isoOrNull } from './json.js';
export { IncidentRepo, toIncidentSummary, toAlert, toActivity } from './repos/incident.repo.js';
export type {
  IncidentRow,
  AlertRow,
  IncidentEntityRow,
  ActivityRow,
  CandidateRow,
  JoinedIncidentUpdate,
} from './repos/incident.repo.js';
export { ActionRepo, toAction, toActionEvent } from './repos/action.repo.js';
export type { ActionRow, ActionEventRow, ActionProgressValue } from './repos/action.repo.js';
export { ActionBatchRepo, toActionBatch } from './repos/action-batch.repo.js';
export type { ActionBatchRow, BatchDeviceRow } from './repos/action-batch.repo.js';
export { AuditRepo } from './repos/audit.repo.js';
export type { AuditInput } from './repos/audit.repo.js';
export { DeviceRepo, toDeviceGroup } from './repos/device.repo.js';
export type { DeviceRow, SeenDeviceRow, DeviceGroupRow } from './repos/device.repo.js';
export { toDevice, toDeviceDetail, deviceHealth } from './repos/device.view.js';
export type { DeviceHealthView } from './repos/device.view.js';
export { AgentRepo } from './repos/agent.repo.js';
export type { InventoryColumns, EnrolledDeviceValues, DeviceFilter } from './repos/agent.repo.js';
export { EnrollmentRepo, toEnrollmentToken, enrollmentTokenStatus } from './repos/enrollment.repo.js';
export type { EnrollmentTokenRow } from './repos/enrollment.repo.js';
export { ServerKeyRepo, SERVER_KEY_NAMES } from './repos/server-key.repo.js';
export type { ServerKeyName } from './repos/server-key.repo.js';
export { YaraRepo, toYaraRule } from './repos/yara.repo.js';
export type { YaraRuleRow } from './repos/yara.repo.js';
export { BlobRepo } from './repos/blob.repo.js';
export type { BlobRow } from './repos/blob.repo.js';
export { AccessRepo, toUser, toApiToken } from './repos/access.repo.js';
export type { UserRow, SessionRow, ApiTokenRow } from './repos/access.repo.js';
export { SettingsRepo } from './repos/settings.repo.js';
// indicators (issue 4)
export {
  IndicatorRepo,
  TaxiiFeedQueries,
  scopeKey,
  ALL_DEVICES_SCOPE,
  INDICATOR_SORT_COLUMNS,
} from './repos/indicator.repo.js';
export type {
  IndicatorRow,
  TaxiiFeedRow,
  IndicatorListFilter,
  IndicatorListOptions,
} from './repos/indicator.repo.js';
// files (issue 4)
export { FileRepo, MAX_FILE_NAMES, fileNames } from './repos/file.repo.js';
export type {
  FileRow,
  FileSightingRow,
  FileAlertRow,
  FileBlobRow,
  FileUpsert,
  SightingView,
  SeenOnDevice,
  FileAlertView,
} from './repos/file.repo.js';
// deep analyses (issue 4)
export { AnalysisRepo, toAnalysis } from './repos/analysis.repo.js';
export type { AnalysisRow, AnalysisFilter } from './repos/analysis.repo.js';
