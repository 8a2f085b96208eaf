import { IllegalTransitionError } from '../errors.js';
import type { ActionStatus } from '../vocab/action.js';

/**
 * The one state machine for actions (ARCHITECTURE §1). `dispatched|running → queued` is a retry
 * after a transient executor failure; `succeeded → undone` happens when the linked undo succeeds.
 */
export const ACTION_TRANSITIONS: Record<ActionStatus, readonly ActionStatus[]> = {
  pending_approval: ['approved', 'rejected', 'timed_out', 'cancelled'],
  approved: ['queued', 'cancelled'],
  queued: ['dispatched', 'cancelled', 'expired'],
  dispatched: ['running', 'succeeded', 'failed', 'queued', 'cancelled', 'expired'],
  running: ['succeeded', 'failed', 'queued', 'cancelled'],
  succeeded: ['undone'],
  failed: [],
  rejected: [],
  timed_out: [],
  cancelled: [],
  expired: [],
  undone: [],
};

/** Statuses with no way out except (for `succeeded`) being undone. */
export const TERMINAL_STATUSES = [
  'succeeded',
  'failed',
  'rejected',
  'timed_out',
  'cancelled',
  'expired',
  'undone',
] as const satisfies readonly ActionStatus[];

/** Shown under "Pending" in the Action Center; everything else is History. */
export const PENDING_STATUSES = [
  'pending_approval',
  'approved',
  'queued',
  'dispatched',
  'running',
] as const satisfies readonly ActionStatus[];

export function isTerminal(s: ActionStatus): boolean {
  return (TERMINAL_STATUSES as readonly ActionStatus[]).includes(s);
}

export function canTransition(from: ActionStatus, to: ActionStatus): boolean {
  return ACTION_TRANSITIONS[from].includes(to);
}

/** Throws IllegalTransitionError explaining what the action can still do. */
export function assertTransition(id: string, from: ActionStatus, to: ActionStatus): void {
  if (canTransition(from, to)) return;
  const next = ACTION_TRANSITIONS[from];
  throw new IllegalTransitionError(
    `Action ${id} is ${from} and cannot become ${to}` +
      (next.length ? `; from ${from} it can only become ${next.join(', ')}.` : `; ${from} is final.`),
    { id, from, to, allowed: next },
  );
}
