import type { Action, IndicatorActionResult, IndicatorCreate } from '@quell/contracts';
import {
  checkIndicatorInput,
  ConflictError,
  InputError,
  normalizeIndicatorValue,
  type IndicatorDraft,
  type IndicatorInput,
  type IndicatorType,
} from '@quell/core';
import type { ActionService } from '../services/action.service.js';
import type { ServiceContext } from '../services/context.js';
import { toIndicator } from './indicator-view.js';

/** How long an answer waits for the dispatcher to pick a queued action up (ms). */
const QUEUED_PICKUP_MS = 2_000;

/**
 * Follows the action to its end for a short while: the server executor usually finishes within
 * one dispatcher tick. Polling the row (not an in-process signal) also works when another
 * server instance's dispatcher carries it out.
 */
export async function settle(
  ctx: ServiceContext,
  actions: Pick<ActionService, 'get'>,
  action: Action,
  waitMs: number,
): Promise<IndicatorActionResult> {
  const deadline = Date.now() + waitMs;
  // A dispatcher that is running takes queued work within a tick; one that is not (stopped, or
  // busy far beyond that) should not hold the request for the whole wait.
  const pickupDeadline = Date.now() + Math.min(QUEUED_PICKUP_MS, waitMs);
  let a = action;
  for (;;) {
    if (a.status === 'pending_approval') return { outcome: 'pending_approval', indicator: null, action: a };
    if (a.status === 'succeeded') {
      const id = (a.result as { indicatorId?: string } | null)?.indicatorId;
      const row = id ? await ctx.store.indicators.get(ctx.store.db, id) : undefined;
      const live = row && row.deleted_at === null ? toIndicator(row, ctx.clock.now()) : null;
      return { outcome: 'applied', indicator: a.type === 'add_indicator' ? live : null, action: a };
    }
    if (['failed', 'cancelled', 'expired', 'rejected', 'timed_out'].includes(a.status)) {
      throw new ConflictError(
        `Action ${a.id} (${a.type}) ended ${a.status}${a.error ? `: ${a.error}` : ''}. \`quell actions show ${a.id}\` has its timeline.`,
        { actionId: a.id, status: a.status },
      );
    }
    const now = Date.now();
    if (now >= deadline || (a.status === 'queued' && now >= pickupDeadline))
      return { outcome: 'queued', indicator: null, action: a };
    await new Promise((r) => setTimeout(r, 25));
    a = await actions.get(a.id);
  }
}

/** A request body (or add_indicator's params) as a draft for core's validation, defaults filled. */
export function draftOf(b: Partial<IndicatorCreate>, source: 'manual' | 'action'): IndicatorDraft {
  return {
    type: b.type,
    value: b.value,
    action: b.action,
    title: b.title ?? canonicalOrRaw(b.type, b.value),
    description: b.description,
    severity: b.severity ?? 'medium',
    generateAlert: b.generateAlert ?? b.action !== 'allow',
    expiresAt: b.expiresAt ?? null,
    deviceGroupIds: b.deviceGroupIds ?? [],
    source,
  } satisfies { [K in keyof IndicatorInput]?: unknown };
}

/** The value as it will be stored, for a default title; validation reports what is wrong with it. */
function canonicalOrRaw(type: IndicatorType | undefined, value: string | undefined): string | undefined {
  if (!type || value === undefined) return value;
  try {
    return normalizeIndicatorValue(type, value);
  } catch {
    return value;
  }
}

export function scopeText(groups: readonly string[]): string {
  return groups.length ? `device groups ${[...groups].sort().join(', ')}` : 'all devices';
}

/**
 * The normalised indicator, or an InputError naming every problem (`details.fields`: field and
 * reason each). Core's own validator reports the same under `problems`; the API keeps that key
 * for schema failures (`Invalid body: …`), so domain problems travel under another one.
 */
export function validated(draft: IndicatorDraft, now: number): IndicatorInput {
  const r = checkIndicatorInput(draft, now);
  if (r.ok) return r.indicator;
  throw new InputError(`The indicator is not valid: ${r.problems.map((p) => p.reason).join('; ')}.`, {
    fields: r.problems,
  });
}
