/** JSON columns are text on both dialects. */
export function toJson(v: unknown): string {
  return JSON.stringify(v ?? null);
}
export function fromJson<T>(s: string | null | undefined, fallback: T): T {
  if (s === null || s === undefined || s === '') return fallback;
  return JSON.parse(s) as T;
}
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
export function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** Rows per multi-row INSERT, kept under SQLite's bound-parameter limit whatever the column count. */
export function chunk<T>(list: readonly T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(30_000 / columns));
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** Opaque keyset cursor: the sort values and id of the last row of a page. */
export function encodeCursor(...values: Array<string | number>): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}
/** The values of a cursor, or null when it is not one we gave out (the caller's input error). */
export function decodeCursor(cursor: string, length = 2): Array<string | number> | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) &&
      v.length === length &&
      v.every((x) => typeof x === 'string' || typeof x === 'number')
    ) {
      return v as Array<string | number>;
    }
  } catch {
    // Falls through to null.
  }
  return null;
}
