import { Type, type Static } from '@sinclair/typebox';
import { ACTION_SOURCES, ACTION_STATUSES, ACTION_TYPES, POLICY_STATUSES, TARGET_KINDS } from '@quell/core';
import { Cursor, DateTime, Enum, Id, Limit } from './common.schemas.js';

const Comment = Type.String({ minLength: 1, maxLength: 1000 });

export const ActionTarget = Type.Object(
  {
    kind: Enum(TARGET_KINDS),
    id: Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'Device hostname or id, file SHA-256, user name, mailbox address…',
    }),
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    deviceHostname: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: 'For file actions: the device holding the file',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ActionTarget = Static<typeof ActionTarget>;

export const ActionRequest = Type.Object(
  {
    type: Enum(ACTION_TYPES),
    target: ActionTarget,
    params: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'Per the catalog entry’s parameter schema' }),
    ),
    comment: Type.Optional(Comment),
    incidentId: Type.Optional(Id),
    alertId: Type.Optional(Id),
    investigationId: Type.Optional(Id),
    source: Type.Optional(Enum(ACTION_SOURCES, 'Only API tokens may set a source other than manual')),
    ttlHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 30 })),
  },
  { additionalProperties: false },
);
export type ActionRequest = Static<typeof ActionRequest>;

export const ActionEvent = Type.Object({
  at: DateTime,
  from: Type.Union([Enum(ACTION_STATUSES), Type.Null()]),
  to: Enum(ACTION_STATUSES),
  actor: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
});
export type ActionEvent = Static<typeof ActionEvent>;

export const Action = Type.Object({
  id: Type.String(),
  type: Enum(ACTION_TYPES),
  title: Type.String(),
  status: Enum(ACTION_STATUSES),
  source: Enum(ACTION_SOURCES),
  target: ActionTarget,
  deviceGroupId: Type.Union([Type.String(), Type.Null()]),
  params: Type.Record(Type.String(), Type.Unknown()),
  result: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  requestedBy: Type.String(),
  requestComment: Type.Union([Type.String(), Type.Null()]),
  approvalReason: Type.String({ description: 'Why it needed (or did not need) approval' }),
  decidedBy: Type.Union([Type.String(), Type.Null()]),
  decisionComment: Type.Union([Type.String(), Type.Null()]),
  incidentId: Type.Union([Type.String(), Type.Null()]),
  alertId: Type.Union([Type.String(), Type.Null()]),
  investigationId: Type.Union([Type.String(), Type.Null()]),
  undoOf: Type.Union([Type.String(), Type.Null()]),
  undoneBy: Type.Union([Type.String(), Type.Null()]),
  batchId: Type.Union([Type.String(), Type.Null()], {
    description: 'The batch this action was fanned out from (one action, many devices)',
  }),
  policyStatus: Type.Union([Enum(POLICY_STATUSES), Type.Null()], { description: 'State actions only' }),
  attempts: Type.Integer(),
  progress: Type.Union(
    [
      Type.Object({
        done: Type.Integer({ minimum: 0 }),
        total: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
        message: Type.Union([Type.String(), Type.Null()]),
        at: DateTime,
      }),
      Type.Null(),
    ],
    { description: 'Live progress reported by the executor (scan: files scanned of total)' },
  ),
  createdAt: DateTime,
  updatedAt: DateTime,
  expiresAt: DateTime,
  version: Type.Integer(),
});
export type Action = Static<typeof Action>;

export const ActionDetail = Type.Composite([Action, Type.Object({ timeline: Type.Array(ActionEvent) })]);
export type ActionDetail = Static<typeof ActionDetail>;

export const ACTION_VIEWS = ['pending', 'history', 'all'] as const;
export const ACTION_PERIODS = ['day', 'week', '30d', '6m', 'custom'] as const;
export const ACTION_SORTS = ['createdAt', 'updatedAt', 'type', 'status'] as const;

export const ActionListQuery = Type.Object(
  {
    view: Type.Optional(Enum(ACTION_VIEWS)),
    period: Type.Optional(Enum(ACTION_PERIODS)),
    from: Type.Optional(DateTime),
    to: Type.Optional(DateTime),
    type: Type.Optional(Enum(ACTION_TYPES)),
    source: Type.Optional(Enum(ACTION_SOURCES)),
    status: Type.Optional(Enum(ACTION_STATUSES)),
    entity: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Target id, exact' })),
    incidentId: Type.Optional(Id),
    batchId: Type.Optional(Id),
    requestedBy: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    decidedBy: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    sort: Type.Optional(Enum(ACTION_SORTS)),
    order: Type.Optional(Enum(['asc', 'desc'] as const)),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type ActionListQuery = Static<typeof ActionListQuery>;

export const DecisionInput = Type.Object(
  { comment: Type.Optional(Comment) },
  { additionalProperties: false },
);
export type DecisionInput = Static<typeof DecisionInput>;
export const RejectInput = Type.Object({ comment: Comment }, { additionalProperties: false });
export type RejectInput = Static<typeof RejectInput>;

export const BulkInput = Type.Object(
  { ids: Type.Array(Id, { minItems: 1, maxItems: 500 }), comment: Type.Optional(Comment) },
  { additionalProperties: false },
);
export type BulkInput = Static<typeof BulkInput>;
export const BulkResult = Type.Object({ actions: Type.Array(Action) });
export type BulkResult = Static<typeof BulkResult>;

export const CatalogEntry = Type.Object({
  id: Type.String(),
  title: Type.String(),
  description: Type.String(),
  category: Type.String(),
  targetKind: Type.String(),
  kind: Type.String(),
  destructive: Type.Boolean(),
  reversible: Type.Boolean(),
  readOnly: Type.Boolean(),
  undo: Type.Union([Type.String(), Type.Null()]),
  undoOf: Type.Union([Type.String(), Type.Null()]),
  requestRoles: Type.Array(Type.String()),
  approveRoles: Type.Array(Type.String()),
  executors: Type.Array(Type.String()),
  executorAvailable: Type.Boolean({ description: 'An executor for it is installed on this server' }),
  params: Type.Unknown(),
  result: Type.Unknown(),
});
export type CatalogEntry = Static<typeof CatalogEntry>;
