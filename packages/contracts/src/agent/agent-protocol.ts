import { Type, type Static } from '@sinclair/typebox';
import {
  ACTION_TYPES,
  ENFORCEMENT_STATES,
  EXCLUSION_PROTOCOLS,
  ISOLATION_MODES,
  SEVERITIES,
  TRAFFIC_DIRECTIONS,
} from '@quell/core';
import { Enum } from '../common.schemas.js';
import { EventsAckMessage, EventsMessage } from './agent-events.protocol.js';

/**
 * The agent protocol (ARCHITECTURE §4). Agents talk to the server's agent listener, which is
 * TLS with a certificate pinned at enrollment:
 *
 * - `POST /agent/v1/enroll` (JSON, {@link EnrollRequest} → {@link EnrollResponse}): once, with a
 *   single-use token; the agent sends the public half of the Ed25519 key it generated.
 * - `GET /agent/v1/connect` upgraded to one WebSocket per agent. Text frames carry one JSON
 *   message each ({@link ServerMessage} / {@link AgentMessage}, told apart by `type`). Binary
 *   frames are reserved for bulk stream data (see {@link StreamFrame}).
 *
 * Connection: the server sends `challenge`; the agent answers `hello` signed with its key over
 * {@link helloSigningText}; the server answers `welcome` (or closes with a {@link CLOSE_CODES}
 * code). Then: agent `heartbeat`s every `heartbeatMs`; the server pushes `command`s, each
 * signed by the server's Ed25519 key over {@link commandSigningText}; the agent `ack`s,
 * reports `progress`, and ends with a `result`, which it keeps in an on-disk outbox until the
 * server answers `result_ack` (so a result survives a server restart). Commands are delivered
 * at least once; the agent remembers executed action ids on disk and answers a repeat with
 * `ack{status:'duplicate'}` and the stored result, so each action takes effect once.
 */
export const AGENT_PROTOCOL_VERSION = 1;

/** WebSocket close codes the server uses; the agent decides whether to reconnect from them. */
export const CLOSE_CODES = {
  /** Signature or protocol failure: reconnect with backoff. */
  badHello: 4001,
  /** Unknown device: do not reconnect, re-enroll. */
  unknownDevice: 4004,
  /** The device was revoked: stop reconnecting. */
  revoked: 4003,
  /** A newer connection of the same device replaced this one. */
  replaced: 4009,
  /** The server is shutting down: reconnect with backoff. */
  shuttingDown: 1001,
} as const;

const Sha256 = Type.String({ pattern: '^[a-f0-9]{64}$' });
const Base64 = Type.String({ maxLength: 1_500_000, pattern: '^[A-Za-z0-9+/]*={0,2}$' });
const ActionId = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' });
const Text = (max = 2000) => Type.String({ maxLength: max });

// ---------------------------------------------------------------------------------------------
// Enrollment (HTTP on the agent listener)

export const Inventory = Type.Object(
  {
    hostname: Type.String({ minLength: 1, maxLength: 255 }),
    os: Text(200),
    osVersion: Text(200),
    kernel: Text(200),
    arch: Text(50),
    addresses: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 256 }),
    agentVersion: Text(50),
    machineId: Type.Optional(Text(100)),
    /** What the agent can do here: which optional pieces are installed (yara, clamd, exec helper). */
    capabilities: Type.Array(Type.String({ maxLength: 50 }), { maxItems: 50 }),
  },
  { additionalProperties: false },
);
export type Inventory = Static<typeof Inventory>;

export const EnrollRequest = Type.Object(
  {
    token: Type.String({ minLength: 10, maxLength: 200 }),
    /** Ed25519 public key, SPKI DER, base64. */
    publicKey: Type.String({ minLength: 40, maxLength: 200 }),
    inventory: Inventory,
  },
  { additionalProperties: false },
);
export type EnrollRequest = Static<typeof EnrollRequest>;

export const EnrollResponse = Type.Object({
  deviceId: Type.String(),
  /** The server's command-signing Ed25519 public key, SPKI DER, base64. */
  serverPublicKey: Type.String(),
  heartbeatMs: Type.Integer(),
  deviceGroupId: Type.String(),
  tags: Type.Array(Type.String()),
});
export type EnrollResponse = Static<typeof EnrollResponse>;

/**
 * What an enrollment token string holds: `qe1.<secret>.<sha256 of the agent listener's
 * certificate, hex>`. The agent pins that certificate from its first connection on.
 */
export const ENROLLMENT_TOKEN_PREFIX = 'qe1';

// ---------------------------------------------------------------------------------------------
// Desired and verified state

export const IsolationExclusion = Type.Object(
  {
    remote: Type.String({ minLength: 2, maxLength: 64, description: 'IPv4/IPv6 address or CIDR' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    protocol: Type.Optional(Enum(EXCLUSION_PROTOCOLS)),
    direction: Type.Optional(Enum(TRAFFIC_DIRECTIONS)),
  },
  { additionalProperties: false },
);
export type IsolationExclusion = Static<typeof IsolationExclusion>;

export const IsolationSpec = Type.Object(
  {
    mode: Enum(ISOLATION_MODES),
    exclusions: Type.Array(IsolationExclusion, { maxItems: 64 }),
    allowDns: Type.Boolean(),
    allowDhcp: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type IsolationSpec = Static<typeof IsolationSpec>;

/** One enforced state as the agent verified it. */
export const VerifiedState = Type.Object(
  {
    state: Enum(ENFORCEMENT_STATES),
    /** When the agent last read it back. ms since epoch. */
    checkedAt: Type.Integer(),
    /** Action that set the current desired state, if any. */
    actionId: Type.Union([Type.String(), Type.Null()]),
    /** Isolation: hash of the ruleset read back; restriction: the helper's pid. */
    evidence: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
    error: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
    isolation: Type.Optional(IsolationSpec),
  },
  { additionalProperties: false },
);
export type VerifiedState = Static<typeof VerifiedState>;

export const AgentState = Type.Object(
  {
    isolation: VerifiedState,
    restriction: VerifiedState,
    /** Problems that make the device `degraded` (a crashed helper, a failing re-assert…). */
    issues: Type.Array(Text(500), { maxItems: 20 }),
  },
  { additionalProperties: false },
);
export type AgentState = Static<typeof AgentState>;

// ---------------------------------------------------------------------------------------------
// Commands

export const Command = Type.Object(
  {
    actionId: ActionId,
    deviceId: Type.String({ maxLength: 100 }),
    type: Enum(ACTION_TYPES),
    params: Type.Record(Type.String(), Type.Unknown()),
    /** ms since epoch. The agent refuses a command past its expiry. */
    issuedAt: Type.Integer(),
    expiresAt: Type.Integer(),
    timeoutMs: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type Command = Static<typeof Command>;

/** Text the server signs for a command: a fixed prefix and the command's canonical JSON (sorted keys). */
export function commandSigningText(canonicalCommandJson: string): string {
  return `quell-command-v1\n${canonicalCommandJson}`;
}

/** Text the agent signs to prove its key on each connection. */
export function helloSigningText(deviceId: string, nonce: string): string {
  return `quell-agent-hello-v1\n${deviceId}\n${nonce}`;
}

// ---------------------------------------------------------------------------------------------
// Scan detections and evidence

export const Detection = Type.Object(
  {
    path: Text(4096),
    sha256: Sha256,
    size: Type.Integer({ minimum: 0 }),
    engine: Type.String({ maxLength: 20 }),
    /** Signature or rule name, e.g. `EICAR-Test-File` or a YARA rule id. */
    name: Text(300),
    severity: Enum(SEVERITIES),
  },
  { additionalProperties: false },
);
export type Detection = Static<typeof Detection>;

// ---------------------------------------------------------------------------------------------
// Streams: bulk transfers now (investigation packages), live response later. A stream is
// opened with `stream_open`, carries `stream_data` (base64 in text frames) or binary frames,
// and ends with `stream_close`, which names the SHA-256 of all data for transfers. Either side
// may open one; `kind` says what it is for. Live response will add kinds `shell` (interactive
// command, data both ways) and `file_get`/`file_put`.

export const STREAM_KINDS = ['upload', 'shell', 'file_get', 'file_put'] as const;

/**
 * Binary frame layout, reserved for high-volume streams: 16 bytes of stream id (ASCII, padded
 * with spaces), 4 bytes big-endian sequence number, then the payload.
 */
export const StreamFrame = { idBytes: 16, seqBytes: 4 } as const;

const StreamId = Type.String({ minLength: 1, maxLength: 16, pattern: '^[A-Za-z0-9_-]+$' });

export const StreamOpen = Type.Object(
  {
    type: Type.Literal('stream_open'),
    streamId: StreamId,
    kind: Enum(STREAM_KINDS),
    actionId: Type.Optional(ActionId),
    /** For uploads: the total size and name of what follows. */
    size: Type.Optional(Type.Integer({ minimum: 0 })),
    name: Type.Optional(Text(255)),
    contentType: Type.Optional(Text(100)),
  },
  { additionalProperties: false },
);
export const StreamData = Type.Object(
  {
    type: Type.Literal('stream_data'),
    streamId: StreamId,
    seq: Type.Integer({ minimum: 0 }),
    data: Base64,
  },
  { additionalProperties: false },
);
export const StreamClose = Type.Object(
  {
    type: Type.Literal('stream_close'),
    streamId: StreamId,
    sha256: Type.Optional(Sha256),
    error: Type.Optional(Text()),
  },
  { additionalProperties: false },
);
/** The receiver's answer to a closed stream: for uploads, where the blob landed. */
export const StreamAck = Type.Object(
  {
    type: Type.Literal('stream_ack'),
    streamId: StreamId,
    ok: Type.Boolean(),
    sha256: Type.Optional(Sha256),
    error: Type.Optional(Text()),
  },
  { additionalProperties: false },
);

// ---------------------------------------------------------------------------------------------
// Server → agent

export const ChallengeMessage = Type.Object(
  {
    type: Type.Literal('challenge'),
    nonce: Type.String({ minLength: 16, maxLength: 100 }),
    serverTime: Type.Integer(),
    protocol: Type.Integer(),
  },
  { additionalProperties: false },
);
export const WelcomeMessage = Type.Object(
  {
    type: Type.Literal('welcome'),
    deviceId: Type.String(),
    heartbeatMs: Type.Integer(),
    serverTime: Type.Integer(),
  },
  { additionalProperties: false },
);
export const CommandMessage = Type.Object(
  {
    type: Type.Literal('command'),
    command: Command,
    /** Ed25519 signature over {@link commandSigningText}, base64. */
    signature: Type.String({ maxLength: 200 }),
  },
  { additionalProperties: false },
);
export const CancelMessage = Type.Object(
  { type: Type.Literal('cancel'), actionId: ActionId },
  { additionalProperties: false },
);
export const ResultAckMessage = Type.Object(
  { type: Type.Literal('result_ack'), actionId: ActionId },
  { additionalProperties: false },
);

// Indicators (issue 4): the agent pulls what it lacks; the server only says when something changed.

/**
 * An indicator as an agent enforces it. Values arrive canonical from the server; the agent's
 * store checks each again and refuses the whole page on a bad one.
 */
export const SyncIndicator = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 200 }),
    type: Type.String({ minLength: 1, maxLength: 16 }),
    value: Type.String({ minLength: 1, maxLength: 4096 }),
    action: Type.String({ minLength: 1, maxLength: 32 }),
    groupScoped: Type.Boolean(),
    generateAlert: Type.Boolean(),
    severity: Type.String({ minLength: 1, maxLength: 32 }),
    title: Type.String({ maxLength: 500 }),
    expiresAt: Type.Union([Type.String({ maxLength: 40 }), Type.Null()]),
  },
  { additionalProperties: false },
);
/** Most indicators (or removals) in one message; larger changes come in several. */
export const MAX_SYNC_PAGE = 10_000;
export const IndicatorsChangedMessage = Type.Object(
  { type: Type.Literal('indicators_changed'), rev: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export const IndicatorsDeltaMessage = Type.Object(
  {
    type: Type.Literal('indicators_delta'),
    fromVersion: Type.Integer({ minimum: 0 }),
    toVersion: Type.Integer({ minimum: 0 }),
    upserts: Type.Array(SyncIndicator, { maxItems: MAX_SYNC_PAGE }),
    removals: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: MAX_SYNC_PAGE }),
    /** More changes follow: ask again from `toVersion`. */
    more: Type.Boolean(),
  },
  { additionalProperties: false },
);
export const IndicatorsSnapshotMessage = Type.Object(
  {
    type: Type.Literal('indicators_snapshot'),
    version: Type.Integer({ minimum: 0 }),
    /** The first page of a reset: start a new set. */
    first: Type.Boolean(),
    indicators: Type.Array(SyncIndicator, { maxItems: MAX_SYNC_PAGE }),
    /** Ask for the next page with it; null on the last page. */
    nextCursor: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
  },
  { additionalProperties: false },
);

export const ServerMessage = Type.Union([
  EventsAckMessage,
  IndicatorsChangedMessage,
  IndicatorsDeltaMessage,
  IndicatorsSnapshotMessage,
  ChallengeMessage,
  WelcomeMessage,
  CommandMessage,
  CancelMessage,
  ResultAckMessage,
  StreamOpen,
  StreamData,
  StreamClose,
  StreamAck,
]);
export type ServerMessage = Static<typeof ServerMessage>;

// ---------------------------------------------------------------------------------------------
// Agent → server

export const HelloMessage = Type.Object(
  {
    type: Type.Literal('hello'),
    deviceId: Type.String({ minLength: 1, maxLength: 100 }),
    protocol: Type.Integer(),
    /** Ed25519 signature over {@link helloSigningText}, base64. */
    signature: Type.String({ maxLength: 200 }),
    inventory: Inventory,
    state: AgentState,
    /** Actions the agent is running now; the server re-sends the ones it expects and are not here. */
    running: Type.Array(ActionId, { maxItems: 1000 }),
  },
  { additionalProperties: false },
);
export const HeartbeatMessage = Type.Object(
  { type: Type.Literal('heartbeat'), state: AgentState },
  { additionalProperties: false },
);
/** Sent whenever verified state changes (between heartbeats). */
export const StateMessage = Type.Object(
  { type: Type.Literal('state'), state: AgentState },
  { additionalProperties: false },
);
export const AckMessage = Type.Object(
  {
    type: Type.Literal('ack'),
    actionId: ActionId,
    /** `accepted`: will run; `duplicate`: already ran (a `result` follows); `refused`: will not run. */
    status: Enum(['accepted', 'duplicate', 'refused'] as const),
    reason: Type.Optional(Text()),
  },
  { additionalProperties: false },
);
export const ProgressMessage = Type.Object(
  {
    type: Type.Literal('progress'),
    actionId: ActionId,
    done: Type.Integer({ minimum: 0 }),
    total: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    message: Type.Optional(Text(500)),
  },
  { additionalProperties: false },
);
export const ResultMessage = Type.Object(
  {
    type: Type.Literal('result'),
    actionId: ActionId,
    status: Enum(['succeeded', 'failed', 'cancelled'] as const),
    /** Must match the catalog entry's result schema when succeeded. */
    result: Type.Record(Type.String(), Type.Unknown()),
    /** What the agent saw that proves it: read-back ruleset, helper pid, counts, item list… */
    evidence: Type.Record(Type.String(), Type.Unknown()),
    error: Type.Optional(Text(4000)),
    /** Scan detections, turned into alerts with file entities by the server. */
    detections: Type.Optional(Type.Array(Detection, { maxItems: 10_000 })),
    finishedAt: Type.Integer(),
  },
  { additionalProperties: false },
);

/** The agent asks for what it lacks: a delta from `version`, a reset (null), or a reset's next page. */
export const IndicatorsSyncMessage = Type.Object(
  {
    type: Type.Literal('indicators_sync'),
    version: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const AgentMessage = Type.Union([
  EventsMessage,
  IndicatorsSyncMessage,
  HelloMessage,
  HeartbeatMessage,
  StateMessage,
  AckMessage,
  ProgressMessage,
  ResultMessage,
  StreamOpen,
  StreamData,
  StreamClose,
  StreamAck,
]);
export type AgentMessage = Static<typeof AgentMessage>;

export type ChallengeMessage = Static<typeof ChallengeMessage>;
export type WelcomeMessage = Static<typeof WelcomeMessage>;
export type CommandMessage = Static<typeof CommandMessage>;
export type CancelMessage = Static<typeof CancelMessage>;
export type ResultAckMessage = Static<typeof ResultAckMessage>;
export type HelloMessage = Static<typeof HelloMessage>;
export type HeartbeatMessage = Static<typeof HeartbeatMessage>;
export type StateMessage = Static<typeof StateMessage>;
export type AckMessage = Static<typeof AckMessage>;
export type ProgressMessage = Static<typeof ProgressMessage>;
export type ResultMessage = Static<typeof ResultMessage>;
export type StreamOpen = Static<typeof StreamOpen>;
export type StreamData = Static<typeof StreamData>;
export type StreamClose = Static<typeof StreamClose>;
export type StreamAck = Static<typeof StreamAck>;
export type SyncIndicator = Static<typeof SyncIndicator>;
export type IndicatorsChangedMessage = Static<typeof IndicatorsChangedMessage>;
export type IndicatorsDeltaMessage = Static<typeof IndicatorsDeltaMessage>;
export type IndicatorsSnapshotMessage = Static<typeof IndicatorsSnapshotMessage>;
export type IndicatorsSyncMessage = Static<typeof IndicatorsSyncMessage>;
