import { Type, type Static } from '@sinclair/typebox';
import {
  INDICATOR_ACTIONS,
  INDICATOR_SOURCES,
  INDICATOR_TYPES,
  MAX_INDICATOR_DESCRIPTION_LENGTH,
  MAX_INDICATOR_DEVICE_GROUPS,
  MAX_INDICATOR_TITLE_LENGTH,
  SEVERITIES,
} from '@quell/core';
import { Action } from './action.schemas.js';
import { Cursor, DateTime, Enum, Id, Limit } from './common.schemas.js';

/** Sorts of the indicator list. */
export const INDICATOR_SORTS = ['createdAt', 'updatedAt', 'value'] as const;
/** Formats of indicator files. */
export const INDICATOR_FORMATS = ['csv', 'stix'] as const;
/** How a TAXII feed authenticates. The secret is always the name of an environment variable. */
export const TAXII_AUTH_KINDS = ['none', 'basic', 'bearer'] as const;
/** What became of a single-indicator request that went through the action pipeline. */
export const INDICATOR_OUTCOMES = ['applied', 'pending_approval', 'queued'] as const;

const Value = Type.String({ minLength: 1, maxLength: 2048, description: 'Normalised by the server' });
const GroupIds = Type.Array(Id, {
  maxItems: MAX_INDICATOR_DEVICE_GROUPS,
  description: 'Device groups it applies to; empty or absent for all devices',
});
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const Indicator = Type.Object({
  id: Type.String(),
  type: Enum(INDICATOR_TYPES),
  value: Type.String({ description: 'Canonical form' }),
  action: Enum(INDICATOR_ACTIONS),
  title: Type.String(),
  description: Nullable(Type.String()),
  severity: Enum(SEVERITIES),
  generateAlert: Type.Boolean(),
  expiresAt: Nullable(DateTime),
  /** True once `expiresAt` has passed: it no longer applies. */
  expired: Type.Boolean(),
  deviceGroupIds: Type.Array(Type.String()),
  externalId: Nullable(Type.String()),
  source: Enum(INDICATOR_SOURCES),
  createdBy: Type.String(),
  createdAt: DateTime,
  updatedAt: DateTime,
  rev: Type.Integer({ description: 'Feed revision of its last change' }),
});
export type Indicator = Static<typeof Indicator>;

export const IndicatorCreate = Type.Object(
  {
    type: Enum(INDICATOR_TYPES),
    value: Value,
    action: Enum(INDICATOR_ACTIONS),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_INDICATOR_TITLE_LENGTH })),
    description: Type.Optional(Type.String({ maxLength: MAX_INDICATOR_DESCRIPTION_LENGTH })),
    severity: Type.Optional(Enum(SEVERITIES, 'Default medium')),
    generateAlert: Type.Optional(Type.Boolean({ description: 'Default true, false for allow' })),
    expiresAt: Type.Optional(DateTime),
    deviceGroupIds: Type.Optional(GroupIds),
    comment: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    upsert: Type.Optional(
      Type.Boolean({ description: 'Replace an indicator of the same type, value and scope instead of 409' }),
    ),
  },
  { additionalProperties: false },
);
export type IndicatorCreate = Static<typeof IndicatorCreate>;

export const IndicatorPatch = Type.Object(
  {
    action: Type.Optional(Enum(INDICATOR_ACTIONS)),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_INDICATOR_TITLE_LENGTH })),
    description: Type.Optional(
      Type.Union([Type.String({ maxLength: MAX_INDICATOR_DESCRIPTION_LENGTH }), Type.Null()]),
    ),
    severity: Type.Optional(Enum(SEVERITIES)),
    generateAlert: Type.Optional(Type.Boolean()),
    expiresAt: Type.Optional(Type.Union([DateTime, Type.Null()])),
    deviceGroupIds: Type.Optional(
      Type.Array(Id, {
        maxItems: MAX_INDICATOR_DEVICE_GROUPS,
        description:
          'New scope: device groups, or empty for all devices. A different scope retires the indicator and answers it under a new id, in one transaction',
      }),
    ),
  },
  { additionalProperties: false },
);
export type IndicatorPatch = Static<typeof IndicatorPatch>;

/** The answer of a create or delete that went through the action pipeline. */
export const IndicatorActionResult = Type.Object({
  outcome: Enum(
    INDICATOR_OUTCOMES,
    'applied: done; pending_approval: waits for a decision; queued: not carried out yet (follow the action)',
  ),
  indicator: Type.Union([Indicator, Type.Null()], { description: 'The indicator once applied' }),
  action: Action,
});
export type IndicatorActionResult = Static<typeof IndicatorActionResult>;

export const IndicatorRemoveQuery = Type.Object(
  { comment: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })) },
  { additionalProperties: false },
);

const filterProps = {
  type: Type.Optional(Enum(INDICATOR_TYPES)),
  action: Type.Optional(Enum(INDICATOR_ACTIONS)),
  source: Type.Optional(Enum(INDICATOR_SOURCES)),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Part of the value or title' })),
  deviceGroupId: Type.Optional(Id),
  includeExpired: Type.Optional(Type.Boolean({ default: false })),
};

export const IndicatorListQuery = Type.Object(
  {
    ...filterProps,
    sort: Type.Optional(Enum(INDICATOR_SORTS)),
    order: Type.Optional(Enum(['asc', 'desc'] as const)),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type IndicatorListQuery = Static<typeof IndicatorListQuery>;

export const IndicatorExportQuery = Type.Object(filterProps, { additionalProperties: false });
export type IndicatorExportQuery = Static<typeof IndicatorExportQuery>;

/**
 * An import as JSON: the route layer takes JSON bodies only, so a CSV file travels as the text of
 * `csv` and a STIX bundle as the object `bundle` (the one `format` names must be there).
 */
export const IndicatorImport = Type.Object(
  {
    format: Enum(INDICATOR_FORMATS),
    // No maxLength here: the importer measures the file in bytes (IMPORT_LIMITS.csvBytes) and says
    // so, and the request body limit bounds it before that.
    csv: Type.Optional(
      Type.String({ minLength: 1, description: 'format csv: the file as text, header first' }),
    ),
    bundle: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'format stix: a STIX 2.1 bundle' }),
    ),
    dryRun: Type.Optional(Type.Boolean({ description: 'Validate and count; write nothing' })),
    defaultAction: Type.Optional(Enum(INDICATOR_ACTIONS, 'For rows without one; default block')),
    defaultSeverity: Type.Optional(Enum(SEVERITIES, 'For rows without one; default medium')),
  },
  { additionalProperties: false },
);
export type IndicatorImport = Static<typeof IndicatorImport>;

export const ImportRejection = Type.Object({
  row: Type.Optional(Type.Integer({ description: 'CSV: line where the row starts' })),
  index: Type.Optional(Type.Integer({ description: 'STIX: position in the bundle’s objects, from 0' })),
  stixId: Type.Optional(Type.String()),
  value: Type.Optional(Type.String()),
  reason: Type.String(),
});
export type ImportRejection = Static<typeof ImportRejection>;

export const IndicatorImportResult = Type.Object({
  dryRun: Type.Boolean(),
  imported: Type.Integer({ description: 'New indicators' }),
  updated: Type.Integer({ description: 'Existing indicators (same type, value and scope) replaced' }),
  unchanged: Type.Integer({ description: 'Rows equal to the indicator already there (nothing written)' }),
  removed: Type.Integer({ description: 'Indicators withdrawn because the source revoked them (STIX)' }),
  rejected: Type.Array(ImportRejection),
  ignored: Type.Integer({ description: 'STIX objects that are not indicators, and superseded versions' }),
  rev: Type.Integer({ description: 'Feed revision after the import' }),
});
export type IndicatorImportResult = Static<typeof IndicatorImportResult>;

export const StixBundleBody = Type.Object(
  {
    type: Type.Literal('bundle'),
    id: Type.String(),
    objects: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  },
  { description: 'STIX 2.1 bundle of indicator SDOs with x_quell_* properties' },
);

const FeedName = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9 _.-]*$' });
const EnvName = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
  description: 'NAME of an environment variable of the server holding the password or token',
});
const Url = Type.String({ minLength: 8, maxLength: 2000, pattern: '^https?://' });

const feedSettings = {
  discoveryUrl: Type.Optional(Url),
  apiRootUrl: Type.Optional(Url),
  collectionId: Type.String({ minLength: 1, maxLength: 200 }),
  authKind: Type.Optional(Enum(TAXII_AUTH_KINDS, 'Default none')),
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  secretEnv: Type.Optional(EnvName),
  defaultAction: Type.Optional(Enum(INDICATOR_ACTIONS, 'Default block')),
  defaultSeverity: Type.Optional(Enum(SEVERITIES, 'Default medium')),
  intervalMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 10_080, default: 60 })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
};

export const TaxiiFeedInput = Type.Object(
  { name: FeedName, ...feedSettings },
  { additionalProperties: false },
);
export type TaxiiFeedInput = Static<typeof TaxiiFeedInput>;

export const TaxiiFeedPatch = Type.Object(
  {
    name: Type.Optional(FeedName),
    ...feedSettings,
    collectionId: Type.Optional(feedSettings.collectionId),
    discoveryUrl: Type.Optional(Type.Union([Url, Type.Null()])),
    apiRootUrl: Type.Optional(Type.Union([Url, Type.Null()])),
    username: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
    secretEnv: Type.Optional(Type.Union([EnvName, Type.Null()])),
    // No defaults here: the validator fills defaults in (useDefaults), so a patch that left these
    // out would reset the interval to 60 and resume a paused feed.
    intervalMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 10_080 })),
    enabled: Type.Optional(Type.Boolean()),
    resetCursor: Type.Optional(Type.Boolean({ description: 'Pull everything again on the next pull' })),
  },
  { additionalProperties: false },
);
export type TaxiiFeedPatch = Static<typeof TaxiiFeedPatch>;

export const TaxiiFeed = Type.Object({
  id: Type.String(),
  name: Type.String(),
  discoveryUrl: Type.Union([Type.String(), Type.Null()]),
  apiRootUrl: Type.Union([Type.String(), Type.Null()]),
  collectionId: Type.String(),
  authKind: Enum(TAXII_AUTH_KINDS),
  username: Type.Union([Type.String(), Type.Null()]),
  secretEnv: Type.Union([Type.String(), Type.Null()]),
  defaultAction: Enum(INDICATOR_ACTIONS),
  defaultSeverity: Enum(SEVERITIES),
  intervalMinutes: Type.Integer(),
  enabled: Type.Boolean(),
  addedAfter: Type.Union([Type.String(), Type.Null()], { description: 'TAXII cursor of the next pull' }),
  lastPulledAt: Type.Union([DateTime, Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastCounts: Type.Object({
    imported: Type.Integer(),
    updated: Type.Integer(),
    rejected: Type.Integer(),
    removed: Type.Integer(),
  }),
  createdBy: Type.String(),
  createdAt: DateTime,
});
export type TaxiiFeed = Static<typeof TaxiiFeed>;

export const TaxiiPullResult = Type.Object({
  feed: TaxiiFeed,
  import: IndicatorImportResult,
  pages: Type.Integer(),
  complete: Type.Boolean({ description: 'False when the pull stopped at its page limit; the next goes on' }),
});
export type TaxiiPullResult = Static<typeof TaxiiPullResult>;
