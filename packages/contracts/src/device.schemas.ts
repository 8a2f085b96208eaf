import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_HEALTH, ENFORCEMENT_STATES } from '@quell/core';
import { DateTime, Enum, Id } from './common.schemas.js';
import { IsolationSpec } from './agent/agent-protocol.js';

const Tag = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:/-]+$' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/** Isolation or restriction as the agent last verified it (not as commanded). */
export const EnforcementView = Type.Object({
  state: Enum(ENFORCEMENT_STATES),
  checkedAt: Nullable(DateTime),
  actionId: Nullable(Type.String()),
  evidence: Nullable(Type.String()),
  error: Nullable(Type.String()),
  isolation: Type.Optional(IsolationSpec),
});
export type EnforcementView = Static<typeof EnforcementView>;

export const Device = Type.Object({
  id: Type.String(),
  hostname: Type.String(),
  os: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  deviceGroupId: Type.String(),
  deviceGroupName: Type.String(),
  lastSeenAt: DateTime,
  /** Whether a Quell agent runs on it; devices known only from alerts have none. */
  enrolled: Type.Boolean(),
  /** Null for devices without an agent. */
  health: Nullable(Enum(DEVICE_HEALTH)),
  osVersion: Nullable(Type.String()),
  kernel: Nullable(Type.String()),
  addresses: Type.Array(Type.String()),
  agentVersion: Nullable(Type.String()),
  enrolledAt: Nullable(DateTime),
  revokedAt: Nullable(DateTime),
  isolation: EnforcementView,
  restriction: EnforcementView,
  /** Why the device is degraded. */
  issues: Type.Array(Type.String()),
});
export type Device = Static<typeof Device>;

export const DeviceDetail = Type.Composite([
  Device,
  Type.Object({
    capabilities: Type.Array(Type.String()),
    machineId: Nullable(Type.String()),
    connectedAt: Nullable(DateTime),
  }),
]);
export type DeviceDetail = Static<typeof DeviceDetail>;

export const DeviceListQuery = Type.Object(
  {
    health: Type.Optional(Enum(DEVICE_HEALTH)),
    deviceGroupId: Type.Optional(Id),
    enrolled: Type.Optional(Type.Boolean()),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Hostname contains' })),
  },
  { additionalProperties: false },
);
export type DeviceListQuery = Static<typeof DeviceListQuery>;

export const RevokeDeviceInput = Type.Object(
  { comment: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
export type RevokeDeviceInput = Static<typeof RevokeDeviceInput>;

export const EnrollmentToken = Type.Object({
  id: Type.String(),
  label: Type.String(),
  createdBy: Type.String(),
  createdAt: DateTime,
  expiresAt: DateTime,
  usedAt: Nullable(DateTime),
  usedByDeviceId: Nullable(Type.String()),
  revokedAt: Nullable(DateTime),
  /** Devices enrolled with it join this group whatever the group rules say. */
  deviceGroupId: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  status: Enum(['active', 'used', 'expired', 'revoked'] as const),
});
export type EnrollmentToken = Static<typeof EnrollmentToken>;

export const EnrollmentTokenInput = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: 100 }),
    expiresInHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 30, default: 24 })),
    deviceGroupId: Type.Optional(Id),
    tags: Type.Optional(Type.Array(Tag, { maxItems: 20 })),
  },
  { additionalProperties: false },
);
export type EnrollmentTokenInput = Static<typeof EnrollmentTokenInput>;

export const EnrollmentTokenCreated = Type.Composite([
  EnrollmentToken,
  Type.Object({
    token: Type.String({ description: 'Shown once. Pass to `quell agent enroll --token`.' }),
    agentUrl: Type.String({ description: 'The agent listener to pass as `--server`' }),
    certSha256: Type.String({
      description: 'SHA-256 of the agent listener certificate, pinned by the token',
    }),
  }),
]);
export type EnrollmentTokenCreated = Static<typeof EnrollmentTokenCreated>;

export const YaraRule = Type.Object({
  id: Type.String(),
  name: Type.String(),
  source: Type.String(),
  createdBy: Type.String(),
  createdAt: DateTime,
});
export type YaraRule = Static<typeof YaraRule>;

export const YaraRuleInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' }),
    source: Type.String({ minLength: 10, maxLength: 200_000, description: 'YARA rule text' }),
  },
  { additionalProperties: false },
);
export type YaraRuleInput = Static<typeof YaraRuleInput>;
