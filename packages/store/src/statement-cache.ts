import type SQLite from 'better-sqlite3';

/**
 * Keeps prepared statements by SQL text. Kysely prepares every query anew, and preparing was a
 * tenth of the server's CPU in a 10,000-agent fan-out; the same few hundred statement shapes
 * repeat, so each is prepared once. Safe because Kysely runs one query at a time on this single
 * connection and always runs a statement to completion (`all`/`run`, never a held iterator).
 */
export function cachePreparedStatements(db: SQLite.Database, max = 1000): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, SQLite.Statement>();
  db.prepare = ((source: string) => {
    const hit = cache.get(source);
    if (hit) {
      // Most recently used last, so the first key is the one to evict.
      cache.delete(source);
      cache.set(source, hit);
      return hit;
    }
    const stmt = prepare(source);
    cache.set(source, stmt);
    if (cache.size > max) cache.delete(cache.keys().next().value!);
    return stmt;
  }) as typeof db.prepare;
}
