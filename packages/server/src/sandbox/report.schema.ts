import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { SEVERITIES } from '@quell/core';
import { Enum } from '@quell/contracts';
import {
  ADDRESS_FAMILIES,
  ATTACK_TACTICS,
  BEHAVIOUR_IDS,
  FILE_CHANGES,
  FILE_TYPES,
  LIMIT_KINDS,
  NETWORK_PROTOCOLS,
  NETWORK_RESULTS,
  PERSISTENCE_KINDS,
  SANDBOX_STATUSES,
  SANDBOX_VERDICTS,
} from './sandbox.vocab.js';

const Sha256 = Type.String({ pattern: '^[a-f0-9]{64}$' });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
/** Paths are absolute paths inside the sandbox (`/tmp/x`), never host paths. */
const SandboxPath = Type.String({ minLength: 1, description: 'Absolute path inside the sandbox' });

export const SandboxLimitsSchema = Type.Object(
  {
    cpuSeconds: Type.Integer(),
    addressSpaceBytes: Type.Integer(),
    maxProcesses: Type.Integer(),
    maxFileBytes: Type.Integer(),
    maxOpenFiles: Type.Integer(),
    workspaceBytes: Type.Integer(),
    traceBytes: Type.Integer(),
    maxDroppedFiles: Type.Integer(),
    maxDroppedBytes: Type.Integer(),
  },
  { additionalProperties: false },
);

export const BehaviourSchema = Type.Object(
  {
    id: Enum(BEHAVIOUR_IDS),
    title: Type.String(),
    techniqueId: Type.String({ pattern: '^T\\d{4}(\\.\\d{3})?$', description: 'MITRE ATT&CK technique id' }),
    tactic: Enum(ATTACK_TACTICS),
    severity: Enum(SEVERITIES),
    /** What was seen, as the syscalls or file changes that show it; at most 10 lines plus a count. */
    evidence: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
export type Behaviour = Static<typeof BehaviourSchema>;

export const ProcessSchema = Type.Object(
  {
    /** The pid as the host sees it (unique within the report). */
    pid: Type.Integer(),
    /** The pid as the sample saw it inside the sandbox, when known. */
    sandboxPid: Nullable(Type.Integer()),
    /** Null for the sample's own process. */
    ppid: Nullable(Type.Integer()),
    /** The image it last executed (a forked child keeps its parent's). */
    executable: Type.String(),
    argv: Type.Array(Type.String()),
    /** Milliseconds after the sample started. */
    startMs: Type.Integer(),
    exitCode: Nullable(Type.Integer()),
    /** `SIGKILL`… when a signal ended it. Both null: still running when the run ended. */
    signal: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type SandboxProcess = Static<typeof ProcessSchema>;

export const FileRecordSchema = Type.Object(
  {
    path: SandboxPath,
    change: Enum(FILE_CHANGES),
    type: Enum(FILE_TYPES),
    /** Size after the run (null when deleted). */
    size: Nullable(Type.Integer()),
    /** SHA-256 of regular files after the run. */
    sha256: Nullable(Sha256),
    /** Where the content was copied, relative to the output directory; null when not copied (caps). */
    artifact: Nullable(Type.String()),
    /** A symlink's target. */
    linkTarget: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type FileRecord = Static<typeof FileRecordSchema>;

export const PersistenceRecordSchema = Type.Object(
  {
    path: SandboxPath,
    kind: Enum(PERSISTENCE_KINDS),
    change: Enum(FILE_CHANGES),
    /** Lines added to a file that existed, or the start of a new one (at most 2 KiB). */
    excerpt: Type.String(),
  },
  { additionalProperties: false },
);
export type PersistenceRecord = Static<typeof PersistenceRecordSchema>;

export const NetworkAttemptSchema = Type.Object(
  {
    pid: Type.Integer(),
    family: Enum(ADDRESS_FAMILIES),
    address: Type.String(),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    protocol: Enum(NETWORK_PROTOCOLS),
    result: Enum(NETWORK_RESULTS),
    errno: Nullable(Type.String()),
    /** Identical attempts (same process, peer, protocol and result) are counted, not repeated. */
    count: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type NetworkAttempt = Static<typeof NetworkAttemptSchema>;

export const DnsQuerySchema = Type.Object(
  {
    name: Type.String(),
    type: Type.String(),
    /** The resolver the query was sent to (`address:port`). */
    server: Type.String(),
    count: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type DnsQuery = Static<typeof DnsQuerySchema>;

export const LimitHitSchema = Type.Object(
  { limit: Enum(LIMIT_KINDS), detail: Type.String() },
  { additionalProperties: false },
);
export type LimitHit = Static<typeof LimitHitSchema>;

export const SandboxReportSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    sample: Type.Object(
      {
        name: Type.String(),
        sha256: Sha256,
        size: Type.Integer({ minimum: 0 }),
        /** Where the sample sat inside the sandbox. */
        path: SandboxPath,
      },
      { additionalProperties: false },
    ),
    status: Enum(SANDBOX_STATUSES),
    /** Why a run failed (or what went wrong around an otherwise complete one). */
    error: Nullable(Type.String()),
    verdict: Enum(SANDBOX_VERDICTS),
    score: Type.Integer({ minimum: 0, maximum: 100 }),
    startedAt: Type.String({ format: 'date-time' }),
    durationMs: Type.Integer({ minimum: 0 }),
    timeoutMs: Type.Integer(),
    limits: SandboxLimitsSchema,
    /** How the sample's own process ended. */
    exit: Type.Object(
      { code: Nullable(Type.Integer()), signal: Nullable(Type.String()) },
      { additionalProperties: false },
    ),
    behaviours: Type.Array(BehaviourSchema),
    processes: Type.Array(ProcessSchema),
    files: Type.Array(FileRecordSchema),
    persistence: Type.Array(PersistenceRecordSchema),
    network: Type.Array(NetworkAttemptSchema),
    dns: Type.Array(DnsQuerySchema),
    limitsHit: Type.Array(LimitHitSchema),
    /** The start of what the sample wrote to stdout and stderr (64 KiB each). */
    output: Type.Object(
      { stdout: Type.String(), stderr: Type.String(), truncated: Type.Boolean() },
      { additionalProperties: false },
    ),
    trace: Type.Object(
      {
        /** The strace log, relative to the output directory (null when none was written). */
        artifact: Nullable(Type.String()),
        bytes: Type.Integer({ minimum: 0 }),
        events: Type.Integer({ minimum: 0 }),
        /** Lines the parser could not read. */
        skippedLines: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, $id: 'SandboxReport' },
);
export type SandboxReport = Static<typeof SandboxReportSchema>;
