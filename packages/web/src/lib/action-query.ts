import { ACTION_PERIODS, ACTION_SORTS, ROUTES, type ActionListQuery } from '@quell/contracts';
import { ACTION_SOURCES, ACTION_STATUSES, ACTION_TYPES, type ActionStatus } from '@quell/core';
import type { ActionFilterValues } from '../components/actions/action-filters';
import { oneOf } from './use-search-state';

export type ActionTab = 'pending' | 'history';

/** The list query for a tab and the filters in the URL; unknown values are dropped. */
export function actionQuery(tab: ActionTab, f: ActionFilterValues): ActionListQuery {
  const period = oneOf(ACTION_PERIODS, f.period);
  const q: ActionListQuery = {
    view: tab,
    period,
    ...(period === 'custom' ? { from: f.from || undefined, to: f.to || undefined } : {}),
    type: oneOf(ACTION_TYPES, f.type),
    source: oneOf(ACTION_SOURCES, f.source),
    status: oneOf<ActionStatus>(ACTION_STATUSES, f.status),
    entity: f.entity || undefined,
    incidentId: f.incidentId || undefined,
    batchId: f.batchId || undefined,
    requestedBy: f.requestedBy || undefined,
    decidedBy: f.decidedBy || undefined,
    sort: oneOf(ACTION_SORTS, f.sort) ?? 'createdAt',
    order: oneOf(['asc', 'desc'] as const, f.order) ?? 'desc',
  };
  // Undefined keys would still show up in the query key; keep it minimal.
  return Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) as ActionListQuery;
}

/** The CSV export URL for the same filters (the session cookie authenticates it). */
export function exportUrl(q: ActionListQuery): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(q))
    if (v !== undefined && v !== '' && k !== 'cursor' && k !== 'limit') qs.set(k, String(v));
  const s = qs.toString();
  return `${ROUTES.exportActions.url}${s ? `?${s}` : ''}`;
}
