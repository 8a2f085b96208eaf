import { describe, expect, it } from 'vitest';
import type { ActionRow } from '@quell/store';
import { quarantineStates } from './quarantine-state.js';

let seq = 0;
function row(type: string, host: string, status: string, over: Partial<ActionRow> = {}): ActionRow {
  seq += 1;
  return {
    id: `a${seq}`,
    type,
    status,
    target: JSON.stringify({ kind: 'file', id: 'f', deviceHostname: host }),
    undo_of: null,
    undone_by: null,
    updated_at: seq * 1000,
    ...over,
  } as ActionRow;
}
const Q = 'stop_and_quarantine_file';
const R = 'restore_quarantined_file';

describe('quarantine state per device', () => {
  it.each([
    ['a queued quarantine', () => [row(Q, 'h', 'queued')], 'quarantining'],
    ['a succeeded one', () => [row(Q, 'h', 'succeeded')], 'quarantined'],
    ['a failed one', () => [row(Q, 'h', 'failed')], 'not_quarantined'],
    [
      'one whose undo is queued',
      () => {
        const q = row(Q, 'h', 'succeeded', { undone_by: 'u1' });
        return [q, row(R, 'h', 'queued', { id: 'u1', undo_of: q.id })];
      },
      'restoring',
    ],
    [
      'one whose undo succeeded',
      () => {
        const q = row(Q, 'h', 'undone', { undone_by: 'u2' });
        return [q, row(R, 'h', 'succeeded', { id: 'u2', undo_of: q.id })];
      },
      'restored',
    ],
    [
      'one restored by a direct restore',
      () => [row(Q, 'h', 'succeeded'), row(R, 'h', 'succeeded')],
      'restored',
    ],
    [
      'a new quarantine after a restore',
      () => [row(Q, 'h', 'undone'), row(R, 'h', 'succeeded'), row(Q, 'h', 'running')],
      'quarantining',
    ],
  ])('reads %s', (_what, rows, state) => {
    expect(quarantineStates(rows()).map((q) => q.state)).toEqual([state]);
  });

  it('keeps devices apart and names their actions', () => {
    const a = row(Q, 'B-host', 'succeeded');
    const b = row(Q, 'a-host', 'failed');
    expect(quarantineStates([a, b]).map((q) => [q.hostname, q.state, q.actionId])).toEqual([
      ['a-host', 'not_quarantined', b.id],
      ['b-host', 'quarantined', a.id],
    ]);
  });
});
