export { SEVERITIES, severityRank, highestSeverity } from './vocab/severity.js';
export type { Severity } from './vocab/severity.js';
export { ENTITY_KINDS, entityKey, entityLabel } from './vocab/entity.js';
export type {
  EntityKind,
  Entity,
  DeviceEntity,
  FileEntity,
  ProcessEntity,
  UserEntity,
  MailboxEntity,
  IpEntity,
  UrlEntity,
  DomainEntity,
} from './vocab/entity.js';
export {
  INCIDENT_STATUSES,
  ALERT_STATUSES,
  CLASSIFICATIONS,
  DETERMINATIONS,
  INCIDENT_ACTIVITY_KINDS,
  MAX_COMMENT_LENGTH,
  isDeterminationOf,
} from './vocab/incident.js';
export type {
  IncidentStatus,
  AlertStatus,
  Classification,
  Determination,
  IncidentActivityKind,
} from './vocab/incident.js';
export {
  DEVICE_HEALTH,
  ENFORCEMENT_STATES,
  ISOLATION_MODES,
  TRAFFIC_DIRECTIONS,
  EXCLUSION_PROTOCOLS,
  SCAN_SCOPES,
  SCAN_ENGINES,
} from './vocab/device.js';
export type {
  DeviceHealth,
  EnforcementState,
  IsolationMode,
  TrafficDirection,
  ExclusionProtocol,
  ScanScope,
  ScanEngine,
} from './vocab/device.js';
export {
  INDICATOR_TYPES,
  FILE_INDICATOR_TYPES,
  NETWORK_INDICATOR_TYPES,
  INDICATOR_ACTIONS,
  INDICATOR_ACTION_RANK,
  INDICATOR_SOURCES,
} from './vocab/indicator.js';
export type { IndicatorType, IndicatorAction, IndicatorSource } from './vocab/indicator.js';
export { ROLES, roleRank, AUTOMATION_LEVELS, AUTOMATION_LEVEL_TITLES } from './vocab/access.js';
export type { Role, AutomationLevel } from './vocab/access.js';
export {
  ACTION_STATUSES,
  ACTION_SOURCES,
  TARGET_KINDS,
  EXECUTOR_KINDS,
  ACTION_KINDS,
  POLICY_STATUSES,
} from './vocab/action.js';
export type {
  ActionStatus,
  ActionSource,
  TargetKind,
  ExecutorKind,
  ActionKind,
  PolicyStatus,
} from './vocab/action.js';
export {
  ERROR_CODES,
  ERROR_HTTP_STATUS,
  QuellError,
  InputError,
  NotFoundError,
  ConflictError,
  NotAllowedError,
  UnauthenticatedError,
  NotSupportedError,
  IllegalTransitionError,
  RateLimitedError,
} from './errors.js';
export type { ErrorCode, ErrorDetails } from './errors.js';
export type { JsonSchema } from './actions/json-schema.js';
export type { ActionDefinition } from './actions/action-definition.js';
export { ACTION_CATALOG, ACTION_TYPES, actionDefinition, isActionType } from './actions/catalog.js';
export type { ActionType } from './actions/catalog.js';
export {
  ACTION_TRANSITIONS,
  TERMINAL_STATUSES,
  PENDING_STATUSES,
  isTerminal,
  canTransition,
  assertTransition,
} from './actions/action-lifecycle.js';
export { INCIDENT_TRANSITIONS, assertIncidentTransition } from './incidents/incident-lifecycle.js';
export { planCorrelation } from './incidents/correlation.js';
export type {
  CorrelationCandidate,
  CorrelationInput,
  CorrelationDecision,
  CorrelationPlan,
} from './incidents/correlation.js';
export {
  PERMISSIONS,
  PERMISSION_MIN_ROLE,
  roleHas,
  SYSTEM_PRINCIPAL,
  scopeCovers,
} from './access/permissions.js';
export type { Permission, Principal } from './access/permissions.js';
export { UNGROUPED_ID, ruleMatches, matchDeviceGroup } from './policy/device-groups.js';
export type { DeviceGroup, DeviceGroupRule, DeviceFacts } from './policy/device-groups.js';
export { decideApproval, SYSTEM_FOLDERS, TEMP_FOLDERS } from './policy/approval-policy.js';
export type { ApprovalRule, ApprovalContext, ApprovalDecision } from './policy/approval-policy.js';
export { HASH_HEX_LENGTHS } from './vocab/indicator.js';
export type { FileIndicatorType, NetworkIndicatorType } from './vocab/indicator.js';
export { normalizeIndicatorValue } from './indicators/normalize.js';
export { cidrContains } from './indicators/ip.js';
export { domainCovers } from './indicators/domain.js';
export { urlMatches, MAX_URL_LENGTH } from './indicators/url.js';
export {
  checkIndicatorInput,
  validateIndicatorInput,
  MAX_INDICATOR_TITLE_LENGTH,
  MAX_INDICATOR_DESCRIPTION_LENGTH,
  MAX_INDICATOR_DEVICE_GROUPS,
  MAX_INDICATOR_EXTERNAL_ID_LENGTH,
} from './indicators/indicator-input.js';
export type {
  IndicatorInput,
  IndicatorDraft,
  IndicatorProblem,
  IndicatorCheck,
} from './indicators/indicator-input.js';
export { resolveIndicatorPrecedence } from './indicators/precedence.js';
export type { PrecedenceCandidate } from './indicators/precedence.js';
