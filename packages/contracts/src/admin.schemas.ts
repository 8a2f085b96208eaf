import { Type, type Static } from '@sinclair/typebox';
import { ACTION_SOURCES, ACTION_TYPES, AUTOMATION_LEVELS, ROLES } from '@quell/core';
import { DateTime, Email, Enum, Id } from './common.schemas.js';

const Name = Type.String({ minLength: 1, maxLength: 100 });
const Tag = Type.String({ minLength: 1, maxLength: 64 });

export const DeviceGroupRule = Type.Object(
  {
    namePattern: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: 'Hostname glob: * and ?' }),
    ),
    tags: Type.Optional(Type.Array(Tag, { maxItems: 20 })),
    os: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'OS name prefix' })),
  },
  { additionalProperties: false },
);
export const DeviceGroup = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  rank: Type.Integer(),
  rule: DeviceGroupRule,
  automationLevel: Enum(AUTOMATION_LEVELS),
  builtIn: Type.Boolean({ description: 'The ungrouped default: its rule and rank cannot change' }),
  deviceCount: Type.Integer(),
});
export type DeviceGroup = Static<typeof DeviceGroup>;
export const DeviceGroupInput = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    rank: Type.Integer({ minimum: 1, maximum: 10_000 }),
    rule: DeviceGroupRule,
    automationLevel: Enum(AUTOMATION_LEVELS),
  },
  { additionalProperties: false },
);
export type DeviceGroupInput = Static<typeof DeviceGroupInput>;
export const DeviceGroupPatch = Type.Partial(DeviceGroupInput, { additionalProperties: false });
export type DeviceGroupPatch = Static<typeof DeviceGroupPatch>;
export const DeviceGroupPreviewInput = Type.Object(
  {
    hostname: Type.String({ minLength: 1, maxLength: 255 }),
    os: Type.Optional(Type.String({ maxLength: 100 })),
    tags: Type.Optional(Type.Array(Tag, { maxItems: 32 })),
  },
  { additionalProperties: false },
);
export type DeviceGroupPreviewInput = Static<typeof DeviceGroupPreviewInput>;

export const User = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Enum(ROLES),
  deviceGroupIds: Type.Array(Type.String(), { description: 'Empty: every device group' }),
  disabled: Type.Boolean(),
  createdAt: DateTime,
  lastLoginAt: Type.Union([DateTime, Type.Null()]),
});
export type User = Static<typeof User>;
export const Password = Type.String({ minLength: 12, maxLength: 200, description: 'At least 12 characters' });
export const UserInput = Type.Object(
  {
    email: Email,
    name: Type.Optional(Name),
    role: Enum(ROLES),
    password: Password,
    deviceGroupIds: Type.Optional(Type.Array(Id, { maxItems: 100 })),
  },
  { additionalProperties: false },
);
export type UserInput = Static<typeof UserInput>;
export const UserPatch = Type.Object(
  {
    name: Type.Optional(Name),
    role: Type.Optional(Enum(ROLES)),
    password: Type.Optional(Password),
    deviceGroupIds: Type.Optional(Type.Array(Id, { maxItems: 100 })),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UserPatch = Static<typeof UserPatch>;

export const ApiToken = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Enum(ROLES),
  deviceGroupIds: Type.Array(Type.String()),
  createdBy: Type.String(),
  createdAt: DateTime,
  expiresAt: Type.Union([DateTime, Type.Null()]),
  lastUsedAt: Type.Union([DateTime, Type.Null()]),
});
export type ApiToken = Static<typeof ApiToken>;
export const ApiTokenInput = Type.Object(
  {
    name: Name,
    role: Enum(ROLES),
    deviceGroupIds: Type.Optional(Type.Array(Id, { maxItems: 100 })),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
);
export type ApiTokenInput = Static<typeof ApiTokenInput>;
export const ApiTokenCreated = Type.Composite([
  ApiToken,
  Type.Object({ secret: Type.String({ description: 'Shown once; send as `Authorization: Bearer …`' }) }),
]);
export type ApiTokenCreated = Static<typeof ApiTokenCreated>;

export const LoginInput = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 1, maxLength: 200 }),
    mode: Type.Optional(Enum(['cookie', 'token'] as const, 'cookie for the console, token for the CLI')),
  },
  { additionalProperties: false },
);
export type LoginInput = Static<typeof LoginInput>;
export const Session = Type.Object({
  user: User,
  csrfToken: Type.Union([Type.String(), Type.Null()]),
  token: Type.Union([Type.String(), Type.Null()], { description: 'Bearer token, in token mode only' }),
  expiresAt: DateTime,
});
export type Session = Static<typeof Session>;
export const Me = Type.Object({
  kind: Enum(['user', 'token'] as const),
  id: Type.String(),
  name: Type.String(),
  role: Enum(ROLES),
  deviceGroupIds: Type.Array(Type.String()),
  csrfToken: Type.Union([Type.String(), Type.Null()]),
});
export type Me = Static<typeof Me>;

export const AuditEntry = Type.Object({
  seq: Type.Integer(),
  at: DateTime,
  actor: Type.String(),
  event: Type.String(),
  subject: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  hash: Type.String(),
});
export type AuditEntry = Static<typeof AuditEntry>;
export const AuditListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    beforeSeq: Type.Optional(Type.Integer({ minimum: 1 })),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type AuditListQuery = Static<typeof AuditListQuery>;
export const AuditVerifyResult = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer(),
  firstBadSeq: Type.Union([Type.Integer(), Type.Null()]),
  problem: Type.Union([Type.String(), Type.Null()]),
});
export type AuditVerifyResult = Static<typeof AuditVerifyResult>;

export const ApprovalRule = Type.Object(
  {
    source: Type.Optional(Enum(ACTION_SOURCES)),
    actionType: Type.Optional(Enum(ACTION_TYPES)),
    deviceGroupId: Type.Optional(Id),
    requireApproval: Type.Boolean(),
  },
  { additionalProperties: false },
);
export const Webhook = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9][a-z0-9_-]*$' }),
    url: Type.String({ minLength: 8, maxLength: 2000, pattern: '^https?://' }),
    secretRef: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Name of an environment variable holding the HMAC key',
      }),
    ),
  },
  { additionalProperties: false },
);
export const Settings = Type.Object(
  {
    approvalTimeoutHours: Type.Integer({ minimum: 1, maximum: 24 * 90 }),
    actionTtlHours: Type.Integer({ minimum: 1, maximum: 24 * 90 }),
    twoPersonRule: Type.Boolean(),
    correlationWindowHours: Type.Integer({ minimum: 1, maximum: 24 * 30 }),
    approvalRules: Type.Array(ApprovalRule, { maxItems: 200 }),
    webhooks: Type.Array(Webhook, { maxItems: 50 }),
  },
  { additionalProperties: false },
);
export type Settings = Static<typeof Settings>;
export const SettingsPatch = Type.Partial(Settings, { additionalProperties: false });
export type SettingsPatch = Static<typeof SettingsPatch>;

export const Health = Type.Object({
  status: Type.Literal('ok'),
  version: Type.String(),
  database: Type.String(),
});
