import { expect } from 'vitest';
import { sql } from 'kysely';
import type { Store } from '@quell/store';

/** Every table the server writes; a refused request must leave all of their row counts as they were. */
export const TABLES = [
  'incidents',
  'incident_entities',
  'incident_activity',
  'alerts',
  'actions',
  'action_events',
  'devices',
  'device_groups',
  'users',
  'sessions',
  'api_tokens',
  'audit_log',
  'settings',
  'enrollment_tokens',
  'server_keys',
  'yara_rules',
  'blobs',
] as const;
export type Table = (typeof TABLES)[number];
export type RowCounts = Record<Table, number>;

// One round trip for all tables, so a property test can take a snapshot around every request.
const COUNT_QUERY = sql.raw(`select ${TABLES.map((t) => `(select count(*) from ${t}) as ${t}`).join(', ')}`);

/** Row counts of every table (PostgreSQL answers count(*) as text; both dialects become numbers). */
export async function rowCounts(store: Store): Promise<RowCounts> {
  const { rows } = await COUNT_QUERY.execute(store.db);
  const row = rows[0] as Record<string, string | number>;
  return Object.fromEntries(TABLES.map((t) => [t, Number(row[t])])) as RowCounts;
}

/** The one error shape of the API: `{code, message, details}`, nothing more, a code the user can look up. */
export function expectErrorBody(status: number, text: string, context: string): Record<string, any> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${context}: the ${status} answer is not JSON: ${text.slice(0, 300)}`);
  }
  expect(body, context).toEqual({
    code: expect.stringMatching(/^QUELL_E_[A-Z_]+$/),
    message: expect.any(String),
    details: expect.any(Object),
  });
  const b = body as { message: string };
  expect(b.message.trim().length, context).toBeGreaterThan(0);
  return body as Record<string, any>;
}
