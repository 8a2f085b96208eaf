import { TypeRegistry } from '@sinclair/typebox';

/**
 * The contracts spell closed vocabularies with `Enum()`, i.e. `Type.Unsafe({type:'string',
 * enum})`, a kind TypeCompiler does not know. Agent and server both compile protocol messages with
 * TypeCompiler and call this once: an exact check for that one shape (no Ajv on endpoints); any
 * other Unsafe shape fails validation rather than passing unchecked. Idempotent.
 */
export function registerContractKinds(): void {
  if (TypeRegistry.Has('Unsafe')) return;
  TypeRegistry.Set('Unsafe', (schema: unknown, value: unknown) => {
    const s = schema as { type?: unknown; enum?: unknown };
    if (s.type === 'string' && Array.isArray(s.enum))
      return typeof value === 'string' && s.enum.includes(value);
    return false;
  });
}
