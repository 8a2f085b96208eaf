import { Type, type TSchema, type Static } from '@sinclair/typebox';

/** A closed vocabulary from core as a TypeBox union of literals. */
export function Enum<const T extends readonly string[]>(values: T, description?: string) {
  return Type.Unsafe<T[number]>({
    type: 'string',
    enum: [...values],
    ...(description ? { description } : {}),
  });
}

export const Id = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' });
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
export const DateTime = Type.String({ format: 'date-time', description: 'ISO 8601 timestamp' });
export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });

export const ErrorBody = Type.Object({
  code: Type.String({ description: 'Stable error code, QUELL_E_…' }),
  message: Type.String({ description: 'What was wrong and what to do' }),
  details: Type.Record(Type.String(), Type.Unknown()),
});
export type ErrorBody = Static<typeof ErrorBody>;

export const Limit = Type.Integer({ minimum: 1, maximum: 500, default: 50 });
export const Cursor = Type.String({
  minLength: 1,
  maxLength: 500,
  description: 'From `nextCursor` of the previous page',
});

export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as `cursor` for the next page',
    }),
  });
}

export const Ok = Type.Object({ ok: Type.Literal(true) });
