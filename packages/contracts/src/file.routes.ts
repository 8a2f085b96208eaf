import { Type } from '@sinclair/typebox';
import { ActionBatch } from './action-batch.schemas.js';
import { Action } from './action.schemas.js';
import { IdParams, Page } from './common.schemas.js';
import {
  FileCollectInput,
  FileDownloadInput,
  FileListQuery,
  FilePage,
  FileQuarantineInput,
  FileRestoreInput,
  FileRestoreResult,
  FileSummary,
} from './file.schemas.js';
import { r, type RouteDef } from './route-def.js';

/**
 * Files: what Quell knows of a file, quarantine everywhere, collect and download (issue 4).
 * `:id` is the file's SHA-256 (the page also takes a SHA-1 or MD5 Quell has seen). Quarantine,
 * restore and collect need `actions:request` here and the action type's own request role in the
 * pipeline, exactly as when the actions are requested one by one.
 */
export const FILE_ROUTES = {
  listFiles: r({
    method: 'GET',
    url: '/api/files',
    summary: 'Files seen most recently first; search by hash prefix or part of a name',
    tag: 'files',
    auth: 'files:read',
    query: FileListQuery,
    response: Page(FileSummary),
  }),
  getFile: r({
    method: 'GET',
    url: '/api/files/:id',
    summary:
      'The file page: hashes, names, paths, prevalence, verdicts, related alerts and incidents, actions, quarantine per device',
    tag: 'files',
    auth: 'files:read',
    params: IdParams,
    response: FilePage,
  }),
  quarantineFile: r({
    method: 'POST',
    url: '/api/files/:id/quarantine',
    summary:
      'Stop and quarantine the file on chosen devices, or on every device that saw it in the last N days (one batch)',
    tag: 'files',
    auth: 'actions:request',
    params: IdParams,
    body: FileQuarantineInput,
    response: ActionBatch,
    status: 201,
  }),
  restoreFile: r({
    method: 'POST',
    url: '/api/files/:id/restore',
    summary: 'Undo its succeeded quarantines on the chosen devices (default: all of them)',
    tag: 'files',
    auth: 'actions:request',
    params: IdParams,
    body: FileRestoreInput,
    response: FileRestoreResult,
    status: 201,
  }),
  collectFile: r({
    method: 'POST',
    url: '/api/files/:id/collect',
    summary: 'Collect a copy of the file from one device into the server (collect_file)',
    tag: 'files',
    auth: 'actions:request',
    params: IdParams,
    body: FileCollectInput,
    response: Action,
    status: 201,
  }),
  downloadFile: r({
    method: 'POST',
    url: '/api/files/:id/download',
    summary: 'Download the stored copy as an AES-256 zip with the password given; audited with the reason',
    tag: 'files',
    auth: 'files:download',
    params: IdParams,
    body: FileDownloadInput,
    response: Type.Any(),
    produces: 'application/zip',
  }),
} as const satisfies Record<string, RouteDef>;
