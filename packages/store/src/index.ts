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
export type { ActionRow, ActionEventRow } from './repos/action.repo.js';
export { AuditRepo } from './repos/audit.repo.js';
export type { AuditInput } from './repos/audit.repo.js';
export { DeviceRepo, toDeviceGroup, toDevice } from './repos/device.repo.js';
export type { DeviceRow, DeviceGroupRow } from './repos/device.repo.js';
export { AccessRepo, toUser, toApiToken } from './repos/access.repo.js';
export type { UserRow, SessionRow, ApiTokenRow } from './repos/access.repo.js';
export { SettingsRepo } from './repos/settings.repo.js';
