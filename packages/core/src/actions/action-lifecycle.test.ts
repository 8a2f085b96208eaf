import { describe, expect, it } from 'vitest';
import { ACTION_STATUSES, type ActionStatus } from '../vocab/action.js';
import {
  ACTION_TRANSITIONS,
  assertTransition,
  canTransition,
  isTerminal,
  PENDING_STATUSES,
  TERMINAL_STATUSES,
} from './action-lifecycle.js';
import { IllegalTransitionError } from '../errors.js';

const ALLOWED: Array<[ActionStatus, ActionStatus]> = [
  ['pending_approval', 'approved'],
  ['pending_approval', 'rejected'],
  ['pending_approval', 'timed_out'],
  ['pending_approval', 'cancelled'],
  ['approved', 'queued'],
  ['approved', 'cancelled'],
  ['queued', 'dispatched'],
  ['queued', 'cancelled'],
  ['queued', 'expired'],
  ['dispatched', 'running'],
  ['dispatched', 'succeeded'],
  ['dispatched', 'failed'],
  ['dispatched', 'queued'],
  ['dispatched', 'cancelled'],
  ['dispatched', 'expired'],
  ['running', 'succeeded'],
  ['running', 'failed'],
  ['running', 'queued'],
  ['running', 'cancelled'],
  ['succeeded', 'undone'],
];

const allPairs = ACTION_STATUSES.flatMap((from) =>
  ACTION_STATUSES.map((to) => [from, to] as [ActionStatus, ActionStatus]),
);
const illegal = allPairs.filter(([f, t]) => !ALLOWED.some(([a, b]) => a === f && b === t));

describe('action lifecycle', () => {
  it.each(ALLOWED)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition('a1', from, to)).not.toThrow();
  });

  it.each(illegal)('refuses %s → %s with a message naming what is allowed', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    let err: unknown;
    try {
      assertTransition('a1', from, to);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IllegalTransitionError);
    expect((err as IllegalTransitionError).code).toBe('QUELL_E_ILLEGAL_TRANSITION');
    expect((err as Error).message).toContain(`a1 is ${from}`);
  });

  it('has no way out of a terminal status except succeeded → undone', () => {
    for (const s of TERMINAL_STATUSES) {
      expect(isTerminal(s)).toBe(true);
      expect(ACTION_TRANSITIONS[s]).toEqual(s === 'succeeded' ? ['undone'] : []);
    }
  });

  it('splits every status into pending or history', () => {
    for (const s of ACTION_STATUSES) {
      expect((PENDING_STATUSES as readonly string[]).includes(s)).toBe(!isTerminal(s));
    }
  });
});
