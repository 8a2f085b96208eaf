import { Type, type Static } from '@sinclair/typebox';
import { Enum } from '../common.schemas.js';

/**
 * Device events (issue 4): what an agent tells the server happened on the device outside a
 * command: executions it denied, the exec-control helper failing open, files it saw (executed
 * images, scan detections), copies it remediated on its own. The agent sends them in batches
 * (`events`); the server answers each batch with `events_ack`. A batch is applied whole or not
 * at all (a schema failure rejects the batch; nothing of it is written), and every event is
 * idempotent on the server, so the agent re-sends a batch it got no ack for.
 */

/** Most events in one `events` message. */
export const MAX_EVENTS_PER_BATCH = 500;
export const DEVICE_EVENT_KINDS = [
  'exec_denied',
  'exec_control_failed_open',
  'file_observed',
  'remediated',
] as const;
export const EXEC_DENIAL_REASONS = ['untrusted', 'blocked_indicator'] as const;
export const FILE_OBSERVATION_SOURCES = ['exec', 'scan', 'package'] as const;
export const REMEDIATION_OUTCOMES = ['quarantined', 'refused', 'failed'] as const;

const Sha256 = Type.String({ pattern: '^[a-f0-9]{64}$' });
const Path = Type.String({ minLength: 1, maxLength: 4096 });
/** ms since epoch; bounded so a garbage clock cannot write dates past year 2286. */
const At = Type.Integer({ minimum: 0, maximum: 9_999_999_999_999 });
const Ref = Type.String({ minLength: 1, maxLength: 200 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const ExecDeniedEvent = Type.Object(
  {
    kind: Type.Literal('exec_denied'),
    path: Path,
    pid: Type.Integer({ minimum: 0, maximum: 4_194_304 }),
    sha256: Nullable(Sha256),
    reason: Enum(EXEC_DENIAL_REASONS),
    /** The block indicator that matched, when `reason` is `blocked_indicator`. */
    indicatorId: Nullable(Ref),
    at: At,
  },
  { additionalProperties: false },
);
export const ExecControlFailedOpenEvent = Type.Object(
  {
    kind: Type.Literal('exec_control_failed_open'),
    error: Type.String({ maxLength: 2000 }),
    at: At,
  },
  { additionalProperties: false },
);
export const FileObservedEvent = Type.Object(
  {
    kind: Type.Literal('file_observed'),
    source: Enum(FILE_OBSERVATION_SOURCES),
    path: Path,
    sha256: Sha256,
    sha1: Nullable(Type.String({ pattern: '^[a-f0-9]{40}$' })),
    md5: Nullable(Type.String({ pattern: '^[a-f0-9]{32}$' })),
    size: Nullable(Type.Integer({ minimum: 0 })),
    /** The user that ran it (`exec`), by name or `uid:<n>`. */
    user: Nullable(Type.String({ minLength: 1, maxLength: 256 })),
    at: At,
  },
  { additionalProperties: false },
);
export const RemediatedEvent = Type.Object(
  {
    kind: Type.Literal('remediated'),
    path: Path,
    sha256: Sha256,
    /** The block-and-remediate indicator that matched. */
    indicatorId: Nullable(Ref),
    /** The vault entry, when the copy was quarantined. */
    quarantineId: Nullable(Ref),
    outcome: Enum(REMEDIATION_OUTCOMES),
    error: Nullable(Type.String({ maxLength: 2000 })),
    at: At,
  },
  { additionalProperties: false },
);

export const DeviceEvent = Type.Union([
  ExecDeniedEvent,
  ExecControlFailedOpenEvent,
  FileObservedEvent,
  RemediatedEvent,
]);

/** Agent → server: a batch of device events. */
export const EventsMessage = Type.Object(
  {
    type: Type.Literal('events'),
    /** Unique per batch on this agent; the ack names it. */
    batchId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' }),
    events: Type.Array(DeviceEvent, { minItems: 1, maxItems: MAX_EVENTS_PER_BATCH }),
    /** Events the agent dropped (its queue was full) since its previous batch. */
    dropped: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/**
 * Server → agent: what became of a batch. `accepted`: applied (or already applied), forget it.
 * `retry`: not applied now (the device's event rate is over its limit, or the server failed):
 * send it again after `retryAfterMs`. `rejected`: it will never be applied (it does not match
 * the schema: `error` says why); the agent drops it.
 */
export const EVENTS_ACK_STATUSES = ['accepted', 'retry', 'rejected'] as const;
export const EventsAckMessage = Type.Object(
  {
    type: Type.Literal('events_ack'),
    batchId: Type.String({ minLength: 1, maxLength: 64 }),
    status: Enum(EVENTS_ACK_STATUSES),
    retryAfterMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    error: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export type DeviceEventKind = (typeof DEVICE_EVENT_KINDS)[number];
export type ExecDenialReason = (typeof EXEC_DENIAL_REASONS)[number];
export type FileObservationSource = (typeof FILE_OBSERVATION_SOURCES)[number];
export type RemediationOutcome = (typeof REMEDIATION_OUTCOMES)[number];
export type EventsAckStatus = (typeof EVENTS_ACK_STATUSES)[number];
export type ExecDeniedEvent = Static<typeof ExecDeniedEvent>;
export type ExecControlFailedOpenEvent = Static<typeof ExecControlFailedOpenEvent>;
export type FileObservedEvent = Static<typeof FileObservedEvent>;
export type RemediatedEvent = Static<typeof RemediatedEvent>;
export type DeviceEvent = Static<typeof DeviceEvent>;
export type EventsMessage = Static<typeof EventsMessage>;
export type EventsAckMessage = Static<typeof EventsAckMessage>;
