import { Type, type TSchema } from '@sinclair/typebox';
import type { Permission } from '@quell/core';
import { IdParams, Ok, Page } from './common.schemas.js';
import { Alert, AlertOrBatchInput, IngestResult, OcsfBatchInput } from './alert.schemas.js';
import {
  AttackStory,
  CommentInput,
  Incident,
  IncidentActivity,
  IncidentListQuery,
  IncidentPatch,
  IncidentSummary,
  MergeInput,
} from './incident.schemas.js';
import {
  Action,
  ActionDetail,
  ActionListQuery,
  ActionRequest,
  BulkInput,
  BulkResult,
  CatalogEntry,
  DecisionInput,
  RejectInput,
} from './action.schemas.js';
import {
  ApiToken,
  ApiTokenCreated,
  ApiTokenInput,
  AuditEntry,
  AuditListQuery,
  AuditVerifyResult,
  Device,
  DeviceGroup,
  DeviceGroupInput,
  DeviceGroupPatch,
  DeviceGroupPreviewInput,
  Health,
  LoginInput,
  Me,
  Session,
  Settings,
  SettingsPatch,
  User,
  UserInput,
  UserPatch,
} from './admin.schemas.js';

export interface RouteDef {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  summary: string;
  tag: string;
  /** `public`: no login; `authenticated`: any logged-in principal; otherwise the permission needed. */
  auth: Permission | 'public' | 'authenticated';
  params?: TSchema;
  query?: TSchema;
  body?: TSchema;
  response: TSchema;
  /** Status code of a success. */
  status?: number;
  /** Response content type when not JSON. */
  produces?: string;
}

const r = <const T extends RouteDef>(d: T) => d;

/** Every API route, by operation id. The server, the OpenAPI document and the client all read this. */
export const ROUTES = {
  health: r({ method: 'GET', url: '/api/health', summary: 'Liveness and version', tag: 'system', auth: 'public', response: Health }),

  login: r({ method: 'POST', url: '/api/auth/login', summary: 'Log in (cookie for the console, token for the CLI)', tag: 'auth', auth: 'public', body: LoginInput, response: Session }),
  logout: r({ method: 'POST', url: '/api/auth/logout', summary: 'End this session', tag: 'auth', auth: 'authenticated', response: Ok }),
  me: r({ method: 'GET', url: '/api/auth/me', summary: 'Who am I', tag: 'auth', auth: 'authenticated', response: Me }),

  ingestAlerts: r({ method: 'POST', url: '/api/alerts', summary: 'Ingest one alert or a batch ({alerts: [...]}) in Quell’s schema', tag: 'alerts', auth: 'alerts:ingest', body: AlertOrBatchInput, response: IngestResult }),
  ingestOcsf: r({ method: 'POST', url: '/api/alerts/ocsf', summary: 'Ingest OCSF Detection Findings (class 2004), one or an array', tag: 'alerts', auth: 'alerts:ingest', body: OcsfBatchInput, response: IngestResult }),
  getAlert: r({ method: 'GET', url: '/api/alerts/:id', summary: 'One alert', tag: 'alerts', auth: 'incidents:read', params: IdParams, response: Alert }),

  listIncidents: r({ method: 'GET', url: '/api/incidents', summary: 'The incident queue', tag: 'incidents', auth: 'incidents:read', query: IncidentListQuery, response: Page(IncidentSummary) }),
  getIncident: r({ method: 'GET', url: '/api/incidents/:id', summary: 'One incident with alerts and entities', tag: 'incidents', auth: 'incidents:read', params: IdParams, response: Incident }),
  patchIncident: r({ method: 'PATCH', url: '/api/incidents/:id', summary: 'Assign, classify, tag, change status or resolve', tag: 'incidents', auth: 'incidents:write', params: IdParams, body: IncidentPatch, response: Incident }),
  commentIncident: r({ method: 'POST', url: '/api/incidents/:id/comments', summary: 'Add a comment', tag: 'incidents', auth: 'incidents:write', params: IdParams, body: CommentInput, response: IncidentActivity, status: 201 }),
  incidentActivity: r({ method: 'GET', url: '/api/incidents/:id/activity', summary: 'Activity log: every change and by whom', tag: 'incidents', auth: 'incidents:read', params: IdParams, response: Type.Object({ items: Type.Array(IncidentActivity) }) }),
  incidentGraph: r({ method: 'GET', url: '/api/incidents/:id/graph', summary: 'Attack story: the graph of alerts and entities', tag: 'incidents', auth: 'incidents:read', params: IdParams, response: AttackStory }),
  mergeIncidents: r({ method: 'POST', url: '/api/incidents/:id/merge', summary: 'Merge other incidents into this one', tag: 'incidents', auth: 'incidents:write', params: IdParams, body: MergeInput, response: Incident }),

  actionCatalog: r({ method: 'GET', url: '/api/actions/catalog', summary: 'Every action type and its metadata', tag: 'actions', auth: 'actions:read', response: Type.Object({ items: Type.Array(CatalogEntry) }) }),
  requestAction: r({ method: 'POST', url: '/api/actions', summary: 'Request an action', tag: 'actions', auth: 'actions:request', body: ActionRequest, response: Action, status: 201 }),
  listActions: r({ method: 'GET', url: '/api/actions', summary: 'Action Center: pending and history', tag: 'actions', auth: 'actions:read', query: ActionListQuery, response: Page(Action) }),
  exportActions: r({ method: 'GET', url: '/api/actions/export', summary: 'Action Center as CSV (same filters as the list)', tag: 'actions', auth: 'actions:export', query: ActionListQuery, response: Type.String(), produces: 'text/csv' }),
  getAction: r({ method: 'GET', url: '/api/actions/:id', summary: 'One action with its full timeline', tag: 'actions', auth: 'actions:read', params: IdParams, response: ActionDetail }),
  approveAction: r({ method: 'POST', url: '/api/actions/:id/approve', summary: 'Approve a pending action', tag: 'actions', auth: 'actions:decide', params: IdParams, body: DecisionInput, response: Action }),
  rejectAction: r({ method: 'POST', url: '/api/actions/:id/reject', summary: 'Reject a pending action (comment required)', tag: 'actions', auth: 'actions:decide', params: IdParams, body: RejectInput, response: Action }),
  cancelAction: r({ method: 'POST', url: '/api/actions/:id/cancel', summary: 'Cancel an action that has not finished', tag: 'actions', auth: 'actions:request', params: IdParams, body: DecisionInput, response: Action }),
  undoAction: r({ method: 'POST', url: '/api/actions/:id/undo', summary: 'Undo: request the linked inverse action', tag: 'actions', auth: 'actions:request', params: IdParams, body: DecisionInput, response: Action, status: 201 }),
  bulkApprove: r({ method: 'POST', url: '/api/actions/bulk/approve', summary: 'Approve several pending actions of one type', tag: 'actions', auth: 'actions:decide', body: BulkInput, response: BulkResult }),
  bulkReject: r({ method: 'POST', url: '/api/actions/bulk/reject', summary: 'Reject several pending actions of one type', tag: 'actions', auth: 'actions:decide', body: BulkInput, response: BulkResult }),
  bulkUndo: r({ method: 'POST', url: '/api/actions/bulk/undo', summary: 'Undo several actions of one type', tag: 'actions', auth: 'actions:request', body: BulkInput, response: BulkResult }),

  listDeviceGroups: r({ method: 'GET', url: '/api/device-groups', summary: 'Device groups by rank, ungrouped last', tag: 'device groups', auth: 'device_groups:read', response: Type.Object({ items: Type.Array(DeviceGroup) }) }),
  createDeviceGroup: r({ method: 'POST', url: '/api/device-groups', summary: 'Create a device group', tag: 'device groups', auth: 'device_groups:manage', body: DeviceGroupInput, response: DeviceGroup, status: 201 }),
  patchDeviceGroup: r({ method: 'PATCH', url: '/api/device-groups/:id', summary: 'Change a device group (the ungrouped default: automation level only)', tag: 'device groups', auth: 'device_groups:manage', params: IdParams, body: DeviceGroupPatch, response: DeviceGroup }),
  deleteDeviceGroup: r({ method: 'DELETE', url: '/api/device-groups/:id', summary: 'Delete a device group; its devices fall to the next match', tag: 'device groups', auth: 'device_groups:manage', params: IdParams, response: Ok }),
  previewDeviceGroup: r({ method: 'POST', url: '/api/device-groups/preview', summary: 'Which group a device would fall into', tag: 'device groups', auth: 'device_groups:read', body: DeviceGroupPreviewInput, response: DeviceGroup }),
  listDevices: r({ method: 'GET', url: '/api/devices', summary: 'Devices seen in alerts, with their group', tag: 'device groups', auth: 'device_groups:read', response: Type.Object({ items: Type.Array(Device) }) }),

  listUsers: r({ method: 'GET', url: '/api/users', summary: 'Local users', tag: 'users', auth: 'users:manage', response: Type.Object({ items: Type.Array(User) }) }),
  createUser: r({ method: 'POST', url: '/api/users', summary: 'Create a user', tag: 'users', auth: 'users:manage', body: UserInput, response: User, status: 201 }),
  patchUser: r({ method: 'PATCH', url: '/api/users/:id', summary: 'Change role, scope, password or disable', tag: 'users', auth: 'users:manage', params: IdParams, body: UserPatch, response: User }),
  listTokens: r({ method: 'GET', url: '/api/tokens', summary: 'API tokens', tag: 'users', auth: 'tokens:manage', response: Type.Object({ items: Type.Array(ApiToken) }) }),
  createToken: r({ method: 'POST', url: '/api/tokens', summary: 'Create an API token (its secret is shown once)', tag: 'users', auth: 'tokens:manage', body: ApiTokenInput, response: ApiTokenCreated, status: 201 }),
  revokeToken: r({ method: 'DELETE', url: '/api/tokens/:id', summary: 'Revoke an API token', tag: 'users', auth: 'tokens:manage', params: IdParams, response: Ok }),

  listAudit: r({ method: 'GET', url: '/api/audit', summary: 'Audit log, newest first', tag: 'audit', auth: 'audit:read', query: AuditListQuery, response: Type.Object({ items: Type.Array(AuditEntry) }) }),
  verifyAudit: r({ method: 'POST', url: '/api/audit/verify', summary: 'Check the audit hash chain for tampering', tag: 'audit', auth: 'audit:read', response: AuditVerifyResult }),

  getSettings: r({ method: 'GET', url: '/api/settings', summary: 'Approval, correlation and webhook settings', tag: 'settings', auth: 'device_groups:read', response: Settings }),
  patchSettings: r({ method: 'PATCH', url: '/api/settings', summary: 'Change settings', tag: 'settings', auth: 'settings:manage', body: SettingsPatch, response: Settings }),
} as const satisfies Record<string, RouteDef>;

export type Routes = typeof ROUTES;
export type OperationId = keyof Routes;
