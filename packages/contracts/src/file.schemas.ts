import { Type, type Static } from '@sinclair/typebox';
import { Action } from './action.schemas.js';
import { ActionBatch, MAX_BATCH_DEVICES } from './action-batch.schemas.js';
import { Cursor, DateTime, Enum, Id, Limit } from './common.schemas.js';

/** How a file was seen on a device. */
export const FILE_SIGHTING_SOURCES = [
  'executed',
  'scan',
  'package',
  'quarantine',
  'collected',
  'alert',
] as const;
export type FileSightingSource = (typeof FILE_SIGHTING_SOURCES)[number];

/** What a verdict source (indicators, deep analysis) says of a file. */
export const FILE_VERDICTS = ['malicious', 'suspicious', 'clean'] as const;
export type FileVerdictValue = (typeof FILE_VERDICTS)[number];

/**
 * Where a file stands on one device, from its quarantine and restore actions: being quarantined,
 * quarantined, being restored, restored, or the last quarantine did not happen (failed, expired…).
 */
export const FILE_QUARANTINE_STATES = [
  'quarantining',
  'quarantined',
  'restoring',
  'restored',
  'not_quarantined',
] as const;
export type FileQuarantineState = (typeof FILE_QUARANTINE_STATES)[number];

const Sha256 = Type.String({ pattern: '^[A-Fa-f0-9]{64}$', description: 'SHA-256, hex' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const DeviceName = Type.String({ minLength: 1, maxLength: 255, description: 'Device id or hostname' });

/** One thing an agent or an alert told us about a file (input of `FileService.record`). */
export const FileObservation = Type.Object(
  {
    sha256: Sha256,
    sha1: Type.Optional(Type.String({ pattern: '^[A-Fa-f0-9]{40}$' })),
    md5: Type.Optional(Type.String({ pattern: '^[A-Fa-f0-9]{32}$' })),
    size: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Device id or hostname; the device must be known. */
    device: DeviceName,
    path: Type.String({ minLength: 1, maxLength: 4096 }),
    source: Enum(FILE_SIGHTING_SOURCES),
    at: DateTime,
  },
  { additionalProperties: false },
);
export type FileObservation = Static<typeof FileObservation>;

export const FileSummary = Type.Object({
  sha256: Type.String(),
  sha1: Nullable(Type.String()),
  md5: Nullable(Type.String()),
  size: Nullable(Type.Integer()),
  names: Type.Array(Type.String(), { description: 'Names it went by, most recent first (up to 20)' }),
  firstSeenAt: DateTime,
  lastSeenAt: DateTime,
  deviceCount: Type.Integer({ description: 'Devices that ever saw it' }),
});
export type FileSummary = Static<typeof FileSummary>;

export const FileDevice = Type.Object({
  deviceId: Type.String(),
  hostname: Type.String(),
  paths: Type.Array(Type.String()),
  sources: Type.Array(Enum(FILE_SIGHTING_SOURCES)),
  firstSeenAt: DateTime,
  lastSeenAt: DateTime,
  count: Type.Integer({ description: 'Observations recorded on this device' }),
});
export type FileDevice = Static<typeof FileDevice>;

export const FileVerdict = Type.Object({
  verdict: Enum(FILE_VERDICTS),
  source: Type.String({ description: 'Who says so, e.g. indicator or deep_analysis' }),
  title: Type.Optional(Type.String()),
  ref: Type.Optional(Type.String({ description: 'Id of the indicator, analysis… behind it' })),
  at: Type.Optional(DateTime),
});
export type FileVerdict = Static<typeof FileVerdict>;

export const FileAlert = Type.Object({
  alertId: Type.String(),
  incidentId: Type.String(),
  title: Type.String(),
  severity: Type.String(),
  at: DateTime,
});
export const FileIncident = Type.Object({
  id: Type.String(),
  title: Type.String(),
  status: Type.String(),
  severity: Type.String(),
});

export const FileQuarantine = Type.Object({
  hostname: Type.String(),
  state: Enum(FILE_QUARANTINE_STATES),
  /** The quarantine action the state comes from. */
  actionId: Type.String(),
  /** The restore action, when there is one. */
  restoreActionId: Nullable(Type.String()),
  at: DateTime,
});
export type FileQuarantine = Static<typeof FileQuarantine>;

export const FileStoredCopy = Type.Object({
  size: Type.Integer(),
  collectedAt: Nullable(DateTime),
  deviceHostname: Nullable(Type.String()),
  actionId: Nullable(Type.String()),
});
export type FileStoredCopy = Static<typeof FileStoredCopy>;

/** Everything the file page shows. */
export const FilePage = Type.Object({
  file: FileSummary,
  paths: Type.Array(Type.String(), { description: 'Distinct paths among the listed sightings' }),
  devices: Type.Array(FileDevice, { description: 'Devices that saw it, most recent first' }),
  devicesTruncated: Type.Boolean({ description: 'More devices saw it than are listed (see deviceCount)' }),
  verdicts: Type.Array(FileVerdict),
  alerts: Type.Array(FileAlert, { description: 'Alerts naming it as evidence, newest first (up to 50)' }),
  incidents: Type.Array(FileIncident),
  actions: Type.Array(Action, { description: 'Actions on this file, newest first (up to 100)' }),
  batches: Type.Array(ActionBatch, { description: 'Batches those actions came from, with counts' }),
  quarantine: Type.Array(FileQuarantine, { description: 'Per device, from its latest quarantine' }),
  storedCopy: Nullable(FileStoredCopy),
});
export type FilePage = Static<typeof FilePage>;

export const FileListQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: 'A hash prefix (4+ hex digits: SHA-256, SHA-1 or MD5) or part of a name',
      }),
    ),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type FileListQuery = Static<typeof FileListQuery>;

const Comment = Type.String({ minLength: 1, maxLength: 1000 });
const Devices = Type.Array(DeviceName, { minItems: 1, maxItems: MAX_BATCH_DEVICES });

export const FileQuarantineInput = Type.Object(
  {
    devices: Type.Optional(Devices),
    seenWithinDays: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 365,
        description: 'Without devices: every device that saw it this recently. Default 30',
      }),
    ),
    cap: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_BATCH_DEVICES,
        description: 'Refuse when more devices than this would be hit. Default: the server’s (1,000)',
      }),
    ),
    comment: Type.Optional(Comment),
    incidentId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type FileQuarantineInput = Static<typeof FileQuarantineInput>;

export const FileRestoreInput = Type.Object(
  {
    devices: Type.Optional(Devices),
    comment: Type.Optional(Comment),
  },
  { additionalProperties: false },
);
export type FileRestoreInput = Static<typeof FileRestoreInput>;

export const FileRestoreResult = Type.Object({
  actions: Type.Array(Action, { description: 'The restore actions, one per quarantine undone' }),
});
export type FileRestoreResult = Static<typeof FileRestoreResult>;

export const FileCollectInput = Type.Object(
  {
    device: DeviceName,
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    comment: Type.Optional(Comment),
    incidentId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type FileCollectInput = Static<typeof FileCollectInput>;

export const FileDownloadInput = Type.Object(
  {
    password: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'Protects the zip (AES-256); 10 characters at least',
    }),
    reason: Type.String({ minLength: 1, maxLength: 1000, description: 'Why; kept in the audit log' }),
  },
  { additionalProperties: false },
);
export type FileDownloadInput = Static<typeof FileDownloadInput>;
