import { Type, type Static } from '@sinclair/typebox';
import {
  CLASSIFICATIONS,
  DETERMINATIONS,
  INCIDENT_ACTIVITY_KINDS,
  INCIDENT_STATUSES,
  MAX_COMMENT_LENGTH,
  SEVERITIES,
} from '@quell/core';
import { Cursor, DateTime, Enum, Id, Limit } from './common.schemas.js';
import { Alert } from './alert.schemas.js';
import { EntityView } from './entity.schemas.js';

const ALL_DETERMINATIONS = [...new Set(Object.values(DETERMINATIONS).flat())] as string[];
const Tag = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^,\\n]+$' });

export const IncidentSummary = Type.Object({
  id: Type.String(),
  title: Type.String(),
  status: Enum(INCIDENT_STATUSES),
  severity: Enum(SEVERITIES),
  severityOverridden: Type.Boolean(),
  assignee: Type.Union([Type.String(), Type.Null()]),
  classification: Type.Union([Enum(CLASSIFICATIONS), Type.Null()]),
  determination: Type.Union([Type.String(), Type.Null()]),
  tags: Type.Array(Type.String()),
  systemTags: Type.Array(Type.String()),
  alertCount: Type.Integer(),
  entityCount: Type.Integer(),
  redirectedTo: Type.Union([Type.String(), Type.Null()]),
  firstActivityAt: DateTime,
  lastActivityAt: DateTime,
  createdAt: DateTime,
  updatedAt: DateTime,
  version: Type.Integer({ description: 'Send back on PATCH; a stale version is refused with 409' }),
});
export type IncidentSummary = Static<typeof IncidentSummary>;

export const Incident = Type.Composite([
  IncidentSummary,
  Type.Object({
    resolutionNote: Type.Union([Type.String(), Type.Null()]),
    alerts: Type.Array(Alert),
    entities: Type.Array(EntityView),
    mitreTechniques: Type.Array(Type.String()),
  }),
]);
export type Incident = Static<typeof Incident>;

export const INCIDENT_SORTS = ['lastActivityAt', 'createdAt', 'severity'] as const;

export const IncidentListQuery = Type.Object(
  {
    status: Type.Optional(Enum(INCIDENT_STATUSES)),
    severity: Type.Optional(Enum(SEVERITIES)),
    assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    tag: Type.Optional(Tag),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Text in the title' })),
    sort: Type.Optional(Enum(INCIDENT_SORTS)),
    order: Type.Optional(Enum(['asc', 'desc'] as const)),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type IncidentListQuery = Static<typeof IncidentListQuery>;

/** Edit an incident. `version` must match the stored one (optimistic concurrency). */
export const IncidentPatch = Type.Object(
  {
    version: Type.Integer({ minimum: 0 }),
    status: Type.Optional(Enum(['active', 'in_progress', 'resolved'] as const)),
    resolutionNote: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_COMMENT_LENGTH })),
    assignee: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 254 }), Type.Null()])),
    severity: Type.Optional(
      Type.Union([Enum(SEVERITIES), Type.Null()], {
        description: 'null: back to the highest alert severity',
      }),
    ),
    classification: Type.Optional(Type.Union([Enum(CLASSIFICATIONS), Type.Null()])),
    determination: Type.Optional(Type.Union([Enum(ALL_DETERMINATIONS), Type.Null()])),
    tags: Type.Optional(Type.Array(Tag, { maxItems: 50 })),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type IncidentPatch = Static<typeof IncidentPatch>;

export const CommentInput = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: MAX_COMMENT_LENGTH }) },
  { additionalProperties: false },
);
export type CommentInput = Static<typeof CommentInput>;

export const MergeInput = Type.Object(
  {
    sourceIds: Type.Array(Id, {
      minItems: 1,
      maxItems: 100,
      description: 'Incidents to absorb into this one',
    }),
  },
  { additionalProperties: false },
);
export type MergeInput = Static<typeof MergeInput>;

export const IncidentActivity = Type.Object({
  id: Type.String(),
  incidentId: Type.String(),
  kind: Enum(INCIDENT_ACTIVITY_KINDS),
  actor: Type.String(),
  at: DateTime,
  text: Type.Union([Type.String(), Type.Null()]),
  data: Type.Record(Type.String(), Type.Unknown()),
});
export type IncidentActivity = Static<typeof IncidentActivity>;

export const GraphNode = Type.Object({
  id: Type.String(),
  type: Type.String({ description: 'alert, or an entity kind' }),
  label: Type.String(),
  severity: Type.Optional(Type.String()),
});
export const GraphEdge = Type.Object({
  id: Type.String(),
  source: Type.String(),
  target: Type.String(),
  label: Type.String(),
});
export const AttackStory = Type.Object({ nodes: Type.Array(GraphNode), edges: Type.Array(GraphEdge) });
export type AttackStory = Static<typeof AttackStory>;
