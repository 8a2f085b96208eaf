import { IdParams, Page } from './common.schemas.js';
import { ActionBatch, ActionBatchListQuery, ActionBatchRequest } from './action-batch.schemas.js';
import { r } from './route-def.js';

/** One action for many devices, fanned out by the server (issue 3). */
export const ACTION_BATCH_ROUTES = {
  requestActionBatch: r({
    method: 'POST',
    url: '/api/action-batches',
    summary: 'Request one action for many devices (a list, device groups or all); one action per device',
    tag: 'actions',
    auth: 'actions:request',
    body: ActionBatchRequest,
    response: ActionBatch,
    status: 201,
  }),
  listActionBatches: r({
    method: 'GET',
    url: '/api/action-batches',
    summary: 'Batches, newest first, with per-status counts',
    tag: 'actions',
    auth: 'actions:read',
    query: ActionBatchListQuery,
    response: Page(ActionBatch),
  }),
  getActionBatch: r({
    method: 'GET',
    url: '/api/action-batches/:id',
    summary: 'One batch with its per-status counts (list its actions with GET /api/actions?batchId=)',
    tag: 'actions',
    auth: 'actions:read',
    params: IdParams,
    response: ActionBatch,
  }),
} as const;
