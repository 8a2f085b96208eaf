import type { FileQuarantine, FileQuarantineState } from '@quell/contracts';
import { PENDING_STATUSES, type ActionStatus } from '@quell/core';
import { fromJson, iso, type ActionRow } from '@quell/store';

const PENDING: ReadonlySet<string> = new Set<ActionStatus>(PENDING_STATUSES);

export const QUARANTINE_TYPE = 'stop_and_quarantine_file';
export const RESTORE_TYPE = 'restore_quarantined_file';

function hostOf(row: ActionRow): string {
  return (fromJson<{ deviceHostname?: string }>(row.target, {}).deviceHostname ?? '').toLowerCase();
}

/**
 * Where the file stands on each device, replayed from its quarantine and restore actions (oldest
 * first): the latest quarantine decides, and a restore (its undo, or one requested directly after
 * it) moves it on. Quarantines that never took effect read `not_quarantined`.
 */
export function quarantineStates(rows: readonly ActionRow[]): FileQuarantine[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const latest = new Map<string, { q: ActionRow; restore: ActionRow | null }>();
  for (const r of rows) {
    const host = hostOf(r);
    if (!host) continue;
    if (r.type === QUARANTINE_TYPE) latest.set(host, { q: r, restore: null });
    else if (r.type === RESTORE_TYPE) {
      const cur = latest.get(host);
      // An undo belongs to its own quarantine; a direct restore to the latest one before it.
      if (cur && (r.undo_of === null || r.undo_of === cur.q.id)) cur.restore = r;
    }
  }
  const out: FileQuarantine[] = [];
  for (const [hostname, { q, restore: direct }] of latest) {
    const restore = (q.undone_by ? byId.get(q.undone_by) : undefined) ?? direct;
    const state = stateOf(q, restore ?? null);
    out.push({
      hostname,
      state,
      actionId: q.id,
      restoreActionId: restore?.id ?? null,
      at: iso(Math.max(q.updated_at, restore?.updated_at ?? 0)),
    });
  }
  return out.sort((a, b) => (a.hostname < b.hostname ? -1 : 1));
}

function stateOf(q: ActionRow, restore: ActionRow | null): FileQuarantineState {
  if (q.status === 'undone') return 'restored';
  if (PENDING.has(q.status)) return 'quarantining';
  if (q.status !== 'succeeded') return 'not_quarantined';
  if (!restore) return 'quarantined';
  if (restore.status === 'succeeded') return 'restored';
  if (PENDING.has(restore.status)) return 'restoring';
  return 'quarantined';
}
