import { Type, type Static } from '@sinclair/typebox';

const S = (max = 500) => Type.String({ minLength: 1, maxLength: max });
const Hex = (n: number) => Type.String({ pattern: `^[A-Fa-f0-9]{${n}}$` });
const o = { additionalProperties: false } as const;

export const DeviceEntity = Type.Object(
  {
    kind: Type.Literal('device'),
    hostname: S(255),
    deviceId: Type.Optional(S(100)),
    os: Type.Optional(S(100)),
    ip: Type.Optional(S(64)),
    tags: Type.Optional(Type.Array(S(64), { maxItems: 32 })),
  },
  o,
);
export const FileEntity = Type.Object(
  {
    kind: Type.Literal('file'),
    name: Type.Optional(S(255)),
    path: Type.Optional(S(4096)),
    sha256: Type.Optional(Hex(64)),
    sha1: Type.Optional(Hex(40)),
    md5: Type.Optional(Hex(32)),
    size: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  o,
);
export const ProcessEntity = Type.Object(
  {
    kind: Type.Literal('process'),
    pid: Type.Optional(Type.Integer({ minimum: 0 })),
    name: Type.Optional(S(255)),
    commandLine: Type.Optional(S(8192)),
    sha256: Type.Optional(Hex(64)),
    deviceHostname: Type.Optional(S(255)),
  },
  o,
);
export const UserEntity = Type.Object(
  {
    kind: Type.Literal('user'),
    username: S(255),
    domain: Type.Optional(S(255)),
    sid: Type.Optional(S(255)),
    email: Type.Optional(S(254)),
  },
  o,
);
export const MailboxEntity = Type.Object(
  { kind: Type.Literal('mailbox'), address: S(254), displayName: Type.Optional(S(255)) },
  o,
);
export const IpEntity = Type.Object({ kind: Type.Literal('ip'), address: S(64) }, o);
export const UrlEntity = Type.Object({ kind: Type.Literal('url'), url: S(4096) }, o);
export const DomainEntity = Type.Object({ kind: Type.Literal('domain'), name: S(255) }, o);

/** Evidence an alert carries; `kind` selects the fields. */
const entityUnion = Type.Union([
  DeviceEntity,
  FileEntity,
  ProcessEntity,
  UserEntity,
  MailboxEntity,
  IpEntity,
  UrlEntity,
  DomainEntity,
]);
export type EntityInput = Static<typeof entityUnion>;
/**
 * Evidence an alert carries; `kind` selects the fields. Declared as a discriminated `oneOf` so a
 * validator reports the problems of the chosen kind only, not of all eight.
 */
export const EntityInput = Type.Unsafe<EntityInput>({
  type: 'object',
  required: ['kind'],
  discriminator: { propertyName: 'kind' },
  oneOf: entityUnion.anyOf,
});

/** An entity as stored: its correlation key and label beside the evidence. */
export const EntityView = Type.Object({
  key: Type.String(),
  kind: Type.String(),
  label: Type.String(),
  evidence: Type.Record(Type.String(), Type.Unknown()),
});
export type EntityView = Static<typeof EntityView>;
