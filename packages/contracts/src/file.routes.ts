import { Type, type Static } from '@sinclair/typebox';
import { ActionBatch } from './action-batch.schemas.js';
import { Action } from './action.schemas.js';
import { DateTime, Enum, IdParams, Page } from './common.schemas.js';
import {
  FILE_QUARANTINE_STATES,
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

/** A file quarantined (or being quarantined or restored) on one device, from its latest quarantine. */
export const DeviceQuarantinedFile = Type.Object({
  sha256: Type.String(),
  path: Type.Union([Type.String(), Type.Null()], { description: 'Where it was, as the quarantine named it' }),
  state: Enum(FILE_QUARANTINE_STATES),
  actionId: Type.String({ description: 'The quarantine action' }),
  restoreActionId: Type.Union([Type.String(), Type.Null()]),
  at: DateTime,
});
export type DeviceQuarantinedFile = Static<typeof DeviceQuarantinedFile>;

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
  listDeviceQuarantine: r({
    method: 'GET',
    url: '/api/devices/:id/quarantined-files',
    summary:
      'Files quarantined on one device (id or hostname), with their state: quarantining, quarantined, restoring; restored ones with all=true',
    tag: 'files',
    auth: 'files:read',
    params: IdParams,
    query: Type.Object(
      { all: Type.Optional(Type.Boolean({ description: 'Also restored and never-quarantined ones' })) },
      { additionalProperties: false },
    ),
    response: Type.Object({ items: Type.Array(DeviceQuarantinedFile) }),
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
