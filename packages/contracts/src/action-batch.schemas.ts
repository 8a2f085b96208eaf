import { Type, type Static } from '@sinclair/typebox';
import { ACTION_SOURCES, ACTION_STATUSES, ACTION_TYPES, type ActionStatus } from '@quell/core';
import { Cursor, DateTime, Enum, Id, Limit } from './common.schemas.js';

/** The most devices one batch may address; beyond it, split the request (or use groups). */
export const MAX_BATCH_DEVICES = 50_000;

/**
 * Which devices a batch addresses. The parts add up (a union); at least one is needed. Devices are
 * named by id or hostname. `all` means every enrolled device the requester's scope covers.
 */
export const DeviceSelector = Type.Object(
  {
    devices: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
        minItems: 1,
        maxItems: MAX_BATCH_DEVICES,
        description: 'Device ids or hostnames',
      }),
    ),
    deviceGroupIds: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 200 })),
    all: Type.Optional(Type.Literal(true, { description: 'Every enrolled, not revoked device' })),
  },
  { additionalProperties: false },
);
export type DeviceSelector = Static<typeof DeviceSelector>;

export const ActionBatchRequest = Type.Object(
  {
    type: Enum(ACTION_TYPES),
    select: DeviceSelector,
    params: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'Per the catalog entry’s parameter schema; the same for every device',
      }),
    ),
    comment: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    incidentId: Type.Optional(Id),
    source: Type.Optional(Enum(ACTION_SOURCES, 'Only API tokens may set a source other than manual')),
    ttlHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 30 })),
  },
  { additionalProperties: false },
);
export type ActionBatchRequest = Static<typeof ActionBatchRequest>;

export const BatchSkip = Type.Object({
  device: Type.String(),
  reason: Type.String(),
});
export type BatchSkip = Static<typeof BatchSkip>;

export const ActionBatch = Type.Object({
  id: Type.String(),
  type: Enum(ACTION_TYPES),
  title: Type.String(),
  select: DeviceSelector,
  params: Type.Record(Type.String(), Type.Unknown()),
  requestedBy: Type.String(),
  requestComment: Type.Union([Type.String(), Type.Null()]),
  incidentId: Type.Union([Type.String(), Type.Null()]),
  createdAt: DateTime,
  total: Type.Integer({ description: 'Actions created, one per device' }),
  // Unsafe only to give the static type: the schema is the record of every status.
  counts: Type.Unsafe<Record<ActionStatus, number>>(
    Type.Record(Type.Union(ACTION_STATUSES.map((s) => Type.Literal(s))), Type.Integer({ minimum: 0 }), {
      description: 'Actions of this batch by status, now',
    }),
  ),
  skipped: Type.Array(BatchSkip, { description: 'Selected devices that got no action, and why' }),
});
export type ActionBatch = Static<typeof ActionBatch>;

export const ActionBatchListQuery = Type.Object(
  { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);
export type ActionBatchListQuery = Static<typeof ActionBatchListQuery>;
