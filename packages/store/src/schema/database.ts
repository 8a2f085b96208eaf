import type { IndicatorTables } from './indicator.tables.js';
import type { FileTables } from './file.tables.js';
import type { AnalysisTables } from './analysis.tables.js';
import type { ColumnType, Generated } from 'kysely';

/**
 * Table shapes. Times are milliseconds since the epoch (BIGINT on PostgreSQL); JSON is stored as
 * text on both dialects so one set of queries serves both.
 */
export interface AlertsTable {
  id: string;
  external_id: string | null;
  incident_id: string;
  title: string;
  description: string;
  severity: string;
  status: string;
  category: string;
  detection_source: string;
  mitre: string;
  entities: string;
  first_activity_at: number;
  last_activity_at: number;
  created_at: number;
}

export interface IncidentsTable {
  id: string;
  title: string;
  status: string;
  severity: string;
  severity_rank: number;
  alert_severity: string;
  severity_override: string | null;
  assignee: string | null;
  classification: string | null;
  determination: string | null;
  tags: string;
  system_tags: string;
  resolution_note: string | null;
  redirected_to: string | null;
  alert_count: number;
  entity_count: number;
  mitre: string;
  first_activity_at: number;
  last_activity_at: number;
  created_at: number;
  updated_at: number;
  version: number;
}

export interface IncidentEntitiesTable {
  incident_id: string;
  entity_key: string;
  kind: string;
  label: string;
  evidence: string;
  last_seen_at: number;
}

export interface IncidentActivityTable {
  id: string;
  incident_id: string;
  kind: string;
  actor: string;
  at: number;
  text: string | null;
  data: string;
}

export interface ActionsTable {
  id: string;
  type: string;
  status: string;
  source: string;
  target_kind: string;
  target_id: string;
  target: string;
  device_group_id: string | null;
  params: string;
  result: string | null;
  error: string | null;
  requested_by: string;
  requested_by_id: string;
  request_comment: string | null;
  approval_reason: string;
  decided_by: string | null;
  decision_comment: string | null;
  incident_id: string | null;
  alert_id: string | null;
  investigation_id: string | null;
  undo_of: string | null;
  undone_by: string | null;
  attempts: number;
  next_attempt_at: number | null;
  claimed_by: string | null;
  claimed_until: number | null;
  approval_expires_at: number | null;
  expires_at: number;
  created_at: number;
  updated_at: number;
  version: number;
  /**
   * JSON `{done, total, message, at}` (at in ms) while an executor reports progress. Optional in
   * the row type because actions are created without it.
   */
  progress?: string | null;
  /** The batch this action was fanned out from, if any (optional: most actions have none). */
  batch_id?: string | null;
}

export interface ActionBatchesTable {
  id: string;
  type: string;
  /** JSON of the device selector as requested. */
  selector: string;
  params: string;
  requested_by: string;
  requested_by_id: string;
  request_comment: string | null;
  incident_id: string | null;
  total: number;
  /** JSON array of `{device, reason}` for selected devices that got no action. */
  skipped: string;
  created_at: number;
}

export interface ActionEventsTable {
  id: string;
  action_id: string;
  at: number;
  from_status: string | null;
  to_status: string;
  actor: string;
  reason: string | null;
}

/** JSON array text that defaults to `'[]'` when a row is inserted without it. */
type JsonArrayColumn = ColumnType<string, string | undefined, string>;

export interface DevicesTable {
  id: string;
  hostname: string;
  os: string | null;
  tags: string;
  device_group_id: string;
  first_seen_at: number;
  last_seen_at: number;
  /** Ed25519 public key, SPKI DER base64; null for devices known only from alerts. */
  public_key: string | null;
  enrolled_at: number | null;
  revoked_at: number | null;
  /** Set while some server instance holds the agent's socket. */
  connected_at: number | null;
  connected_instance: string | null;
  agent_version: string | null;
  os_version: string | null;
  kernel: string | null;
  machine_id: string | null;
  /** Group pinned by the enrollment token; wins over the group rules while it exists. */
  pinned_group_id: string | null;
  /** JSON AgentState as last reported. */
  agent_state: string | null;
  addresses: JsonArrayColumn;
  capabilities: JsonArrayColumn;
  /** The group the agent's indicator set was last computed for (migration 008); null before its first sync. */
  indicators_group_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface DeviceGroupsTable {
  id: string;
  name: string;
  description: string;
  rank: number;
  rule: string;
  automation_level: string;
  built_in: number;
  created_at: number;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  role: string;
  device_group_ids: string;
  password_hash: string;
  disabled: number;
  created_at: number;
  last_login_at: number | null;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  csrf_token: string | null;
  kind: string;
  created_at: number;
  expires_at: number;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  token_hash: string;
  role: string;
  device_group_ids: string;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface AuditLogTable {
  seq: number;
  at: number;
  actor: string;
  event: string;
  subject: string;
  data: string;
  prev_hash: string;
  hash: string;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface EnrollmentTokensTable {
  id: string;
  label: string;
  /** SHA-256 hex of the token's secret part; the secret itself is never stored. */
  token_hash: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  used_by_device_id: string | null;
  revoked_at: number | null;
  device_group_id: string | null;
  tags: string;
}

export interface ServerKeysTable {
  name: string;
  value: string;
  created_at: number;
}

export interface YaraRulesTable {
  id: string;
  name: string;
  source: string;
  created_by: string;
  created_at: number;
}

export interface BlobsTable {
  sha256: string;
  size: number;
  content_type: string;
  created_at: number;
}

export interface MigrationMarker {
  id: Generated<number>;
}

export interface Database extends IndicatorTables, FileTables, AnalysisTables {
  alerts: AlertsTable;
  incidents: IncidentsTable;
  incident_entities: IncidentEntitiesTable;
  incident_activity: IncidentActivityTable;
  actions: ActionsTable;
  action_events: ActionEventsTable;
  action_batches: ActionBatchesTable;
  devices: DevicesTable;
  device_groups: DeviceGroupsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  settings: SettingsTable;
  enrollment_tokens: EnrollmentTokensTable;
  server_keys: ServerKeysTable;
  yara_rules: YaraRulesTable;
  blobs: BlobsTable;
}
