// Wire types the tests read from `--json` output.
export type {
  Action,
  ActionDetail,
  ApiToken,
  ApiTokenCreated,
  AuditEntry,
  DeviceGroup,
  Incident,
  IncidentSummary,
  IngestResult,
  Settings,
  User,
} from '@quell/contracts';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
