import { Type } from '@sinclair/typebox';
import { IdParams, Page } from './common.schemas.js';
import {
  Analysis,
  AnalysisCancel,
  AnalysisDetail,
  AnalysisFileDownload,
  AnalysisListQuery,
  AnalysisResubmit,
  AnalysisSubmit,
  AnalysisUploadQuery,
} from './analysis.schemas.js';
import { r, type RouteDef } from './route-def.js';

/**
 * Deep analysis: submissions, the queue, reports and dropped files (issue 4). Submitting requests
 * a `deep_analysis` action, so the action's request roles, approval rules and audit apply.
 */
export const ANALYSIS_ROUTES = {
  submitAnalysis: r({
    method: 'POST',
    url: '/api/analyses',
    summary: 'Detonate a file the server holds (collected or uploaded before) in the sandbox',
    tag: 'analysis',
    auth: 'actions:request',
    body: AnalysisSubmit,
    response: Analysis,
    status: 201,
  }),
  uploadAnalysis: r({
    method: 'POST',
    url: '/api/analyses/upload',
    summary:
      'Upload a file (raw application/octet-stream body, at most 64 MiB) and detonate it in the sandbox',
    tag: 'analysis',
    auth: 'actions:request',
    query: AnalysisUploadQuery,
    response: Analysis,
    status: 201,
  }),
  listAnalyses: r({
    method: 'GET',
    url: '/api/analyses',
    summary: 'Analyses, newest first: the queue (status=queued|running) and the history',
    tag: 'analysis',
    auth: 'actions:read',
    query: AnalysisListQuery,
    response: Page(Analysis),
  }),
  getAnalysis: r({
    method: 'GET',
    url: '/api/analyses/:id',
    summary: 'One analysis with its sandbox report',
    tag: 'analysis',
    auth: 'actions:read',
    params: IdParams,
    response: AnalysisDetail,
  }),
  resubmitAnalysis: r({
    method: 'POST',
    url: '/api/analyses/:id/resubmit',
    summary: 'Detonate the same file again, as a new analysis linked to this one',
    tag: 'analysis',
    auth: 'actions:request',
    params: IdParams,
    body: AnalysisResubmit,
    response: Analysis,
    status: 201,
  }),
  cancelAnalysis: r({
    method: 'POST',
    url: '/api/analyses/:id/cancel',
    summary: 'Cancel a queued or running analysis (kills the detonation) and its action',
    tag: 'analysis',
    auth: 'actions:request',
    params: IdParams,
    body: AnalysisCancel,
    response: Analysis,
  }),
  downloadAnalysisFile: r({
    method: 'POST',
    url: '/api/analyses/:id/download',
    summary: 'Download a file the sample dropped, as an AES-256 zip with your password (audited)',
    tag: 'analysis',
    auth: 'actions:request',
    params: IdParams,
    body: AnalysisFileDownload,
    response: Type.Any(),
    produces: 'application/zip',
  }),
} as const satisfies Record<string, RouteDef>;
