import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Cursor, DateTime, Enum, Limit } from './common.schemas.js';

/** Where a deep analysis is in its life; `timed_out` still has a report (what was seen until then). */
export const ANALYSIS_STATUSES = [
  'queued',
  'running',
  'completed',
  'timed_out',
  'failed',
  'cancelled',
] as const;
export type AnalysisStatus = (typeof ANALYSIS_STATUSES)[number];

/** Statuses an analysis may still leave. */
export const UNFINISHED_ANALYSIS_STATUSES = [
  'queued',
  'running',
] as const satisfies readonly AnalysisStatus[];

export const ANALYSIS_VERDICTS = ['clean', 'suspicious', 'malicious'] as const;
export type AnalysisVerdict = (typeof ANALYSIS_VERDICTS)[number];

/** The sandbox's wall-clock limit, in seconds (the engine's 1 s – 10 min). */
export const AnalysisTimeoutSeconds = Type.Integer({
  minimum: 1,
  maximum: 600,
  description: 'Wall-clock limit of the detonation in seconds; default 60',
});

/** Mirrors the server's `MIN_ZIP_PASSWORD_LENGTH` (10), so a short password is refused by the schema. */
const ZipPassword = Type.String({
  minLength: 10,
  maxLength: 256,
  description: 'The zip password you choose (10–256 characters)',
});

const Sha256 = Type.String({ pattern: '^[A-Fa-f0-9]{64}$', description: 'SHA-256, hex' });
const Comment = Type.String({ minLength: 1, maxLength: 1000 });
const FileName = Type.String({ minLength: 1, maxLength: 255, pattern: '^[^/\\u0000]+$' });

/** Submit a file the server already holds (collected from a device or uploaded before). */
export const AnalysisSubmit = Type.Object(
  {
    sha256: Sha256,
    name: Type.Optional(FileName),
    timeoutSeconds: Type.Optional(AnalysisTimeoutSeconds),
    comment: Type.Optional(Comment),
  },
  { additionalProperties: false },
);
export type AnalysisSubmit = Static<typeof AnalysisSubmit>;

/** Query of an upload: the raw file is the body (`application/octet-stream`). */
export const AnalysisUploadQuery = Type.Object(
  {
    name: FileName,
    timeoutSeconds: Type.Optional(AnalysisTimeoutSeconds),
    comment: Type.Optional(Comment),
  },
  { additionalProperties: false },
);
export type AnalysisUploadQuery = Static<typeof AnalysisUploadQuery>;

export const AnalysisResubmit = Type.Object(
  { timeoutSeconds: Type.Optional(AnalysisTimeoutSeconds), comment: Type.Optional(Comment) },
  { additionalProperties: false },
);
export type AnalysisResubmit = Static<typeof AnalysisResubmit>;

export const AnalysisCancel = Type.Object(
  { comment: Type.Optional(Comment) },
  { additionalProperties: false },
);
export type AnalysisCancel = Static<typeof AnalysisCancel>;

/**
 * Which dropped file to download, and how. The file is named in the body rather than the path so
 * the route keeps the one `:id` parameter every route here has.
 */
export const AnalysisFileDownload = Type.Object(
  {
    sha256: Type.String({ pattern: '^[a-f0-9]{64}$', description: 'The dropped file (from the report)' }),
    password: ZipPassword,
    reason: Type.String({ minLength: 1, maxLength: 1000, description: 'Why (kept in the audit log)' }),
  },
  { additionalProperties: false },
);
export type AnalysisFileDownload = Static<typeof AnalysisFileDownload>;

export const AnalysisListQuery = Type.Object(
  {
    status: Type.Optional(Enum(ANALYSIS_STATUSES)),
    sha256: Type.Optional(Sha256),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type AnalysisListQuery = Static<typeof AnalysisListQuery>;

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** One submission: the queue and history are lists of these. */
const analysisFields = {
  id: Type.String(),
  sha256: Type.String(),
  fileName: Type.String(),
  status: Enum(ANALYSIS_STATUSES),
  verdict: Type.Union([Enum(ANALYSIS_VERDICTS), Type.Null()]),
  score: Nullable(Type.Integer({ minimum: 0, maximum: 100 })),
  timeoutSeconds: Type.Integer(),
  reportSha256: Nullable(Type.String({ description: 'The report JSON in the blob store' })),
  traceSha256: Nullable(Type.String({ description: 'The raw strace log in the blob store' })),
  error: Nullable(Type.String()),
  requestedBy: Type.String(),
  comment: Nullable(Type.String()),
  actionId: Nullable(Type.String({ description: 'The deep_analysis action carrying it out' })),
  resubmissionOf: Nullable(Type.String()),
  createdAt: DateTime,
  startedAt: Nullable(DateTime),
  finishedAt: Nullable(DateTime),
};
export const Analysis = Type.Object(analysisFields);
export type Analysis = Static<typeof Analysis>;

/**
 * An analysis with its report. The report is the sandbox engine's `SandboxReport` (schema
 * version 1, described in docs/deep-analysis.md); it is declared loosely here because its schema
 * lives with the engine on the server, whose vocabularies the contracts cannot import.
 */
export const AnalysisDetail = Type.Object({
  ...analysisFields,
  report: Nullable(
    Type.Record(Type.String(), Type.Unknown(), { description: 'SandboxReport (docs/deep-analysis.md)' }),
  ),
});
export type AnalysisDetail = Static<typeof AnalysisDetail>;
