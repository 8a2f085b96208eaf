import { Type, type Static, type TLiteral, type TUnion } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { PERSISTENCE_KINDS } from './quarantine.types.js';

/** Nanosecond times and other bigints travel as decimal strings. */
const Ns = Type.String({ pattern: '^-?[0-9]+$' });
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });
/** A union of literals whose static type keeps the literals (an unannotated `map` widens to string). */
const literals = <T extends string>(xs: readonly T[]): TUnion<TLiteral<T>[]> =>
  Type.Union(xs.map((x) => Type.Literal(x)));

/** Owner, mode and times of a file as it was, so restore puts them back. */
const Meta = {
  mode: Type.Integer({ minimum: 0 }),
  uid: Type.Integer({ minimum: 0 }),
  gid: Type.Integer({ minimum: 0 }),
  atimeNs: Ns,
  mtimeNs: Ns,
};

const XattrSchema = Type.Object({ name: Type.String(), valueHex: Type.String({ pattern: '^[0-9a-f]*$' }) });

const UnitRefSchema = Type.Object({
  name: Type.String(),
  scope: literals(['system', 'user'] as const),
  user: Type.Optional(Type.String()),
});

const Kind = literals(PERSISTENCE_KINDS);

/** Lines cut out of a file. `afterSha256` tells restore whether the file is otherwise unchanged. */
const RemovedLinesSchema = Type.Object({
  type: Type.Literal('lines'),
  kind: Kind,
  file: Type.String(),
  ...Meta,
  beforeSha256: Sha256,
  afterSha256: Sha256,
  /** Start index in the original file and the exact bytes (base64) of each removed run. */
  removed: Type.Array(Type.Object({ index: Type.Integer({ minimum: 0 }), bytesB64: Type.String() })),
});

/** A whole file removed (unit, drop-in, desktop entry), kept byte for byte. */
const RemovedFileSchema = Type.Object({
  type: Type.Literal('file'),
  kind: Kind,
  file: Type.String(),
  ...Meta,
  contentB64: Type.String(),
  /** The unit this file defines (absent for drop-ins and desktop entries). */
  unit: Type.Optional(UnitRefSchema),
});

/** A symlink removed (unit enablement or alias). */
const RemovedSymlinkSchema = Type.Object({
  type: Type.Literal('symlink'),
  kind: Kind,
  file: Type.String(),
  target: Type.String(),
  uid: Type.Integer({ minimum: 0 }),
  gid: Type.Integer({ minimum: 0 }),
  atimeNs: Ns,
  mtimeNs: Ns,
  /** The unit it enables; restore re-enables it through the service manager. */
  unit: Type.Optional(UnitRefSchema),
});

export const RemovedItemSchema = Type.Union([RemovedLinesSchema, RemovedFileSchema, RemovedSymlinkSchema]);
export type RemovedItem = Static<typeof RemovedItemSchema>;
export type RemovedLinesItem = Static<typeof RemovedLinesSchema>;
export type RemovedFileItem = Static<typeof RemovedFileSchema>;
export type RemovedSymlinkItem = Static<typeof RemovedSymlinkSchema>;

export const MANIFEST_VERSION = 1;

/** `<stateDir>/quarantine/<entryId>/manifest.json`: everything needed to undo one copy's quarantine. */
export const ManifestSchema = Type.Object({
  version: Type.Literal(MANIFEST_VERSION),
  entryId: Type.String({ pattern: '^[0-9a-f]{16}$' }),
  actionId: Type.String(),
  quarantinedAt: Type.String(),
  /** Orders entries made in the same millisecond; restore goes newest first. */
  sequence: Type.Integer({ minimum: 0 }),
  file: Type.Object({
    path: Type.String(),
    sha256: Sha256,
    size: Type.Integer({ minimum: 0 }),
    ...Meta,
    xattrs: Type.Array(XattrSchema),
  }),
  /** The content file, XOR-ed with a random per-entry key so scanners and loaders never see the original bytes. */
  content: Type.Object({
    file: Type.String(),
    cipher: Type.Literal('xor'),
    keyHex: Type.String({ pattern: '^[0-9a-f]+$' }),
  }),
  /** Device paths persistence was searched for (as given, canonical, as seen in processes). */
  names: Type.Array(Type.String()),
  processesKilled: Type.Array(
    Type.Object({ pid: Type.Integer(), exe: Type.String(), cmdline: Type.String(), user: Type.String() }),
  ),
  /** In the order removed; written before each removal so a crash never loses what was taken. */
  persistence: Type.Array(RemovedItemSchema),
});
export type Manifest = Static<typeof ManifestSchema>;

let check: TypeCheck<typeof ManifestSchema> | null = null;

/** The first problem with `value` as a manifest, or null when it is one. */
export function manifestProblem(value: unknown): string | null {
  check ??= TypeCompiler.Compile(ManifestSchema);
  if (check.Check(value)) return null;
  const first = check.Errors(value).First();
  return first ? `${first.path || '/'}: ${first.message}` : 'invalid';
}
