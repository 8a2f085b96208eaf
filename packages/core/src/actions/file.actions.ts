import type { ActionDefinition } from './action-definition.js';
import { commentSchema, sha256Schema } from './json-schema.js';

const RESPONDERS = ['responder', 'admin'] as const;
const ANALYSTS = ['analyst', 'responder', 'admin'] as const;
const MINUTE = 60_000;

const fileParams = {
  type: 'object',
  properties: {
    sha256: sha256Schema,
    path: { type: 'string', minLength: 1, maxLength: 4096 },
    comment: commentSchema,
  },
  required: ['sha256'],
  additionalProperties: false,
} as const;

export const fileActions = [
  {
    id: 'stop_and_quarantine_file',
    title: 'Stop and quarantine file',
    description:
      'Kill processes running the file, move it to quarantine and remove the persistence that starts it. Restorable.',
    targetKind: 'file',
    kind: 'one_shot',
    params: fileParams,
    result: {
      type: 'object',
      properties: {
        processesKilled: { type: 'integer', minimum: 0 },
        filesQuarantined: { type: 'integer', minimum: 0 },
        persistenceRemoved: { type: 'integer', minimum: 0 },
      },
      additionalProperties: false,
    },
    destructive: true,
    reversible: true,
    readOnly: false,
    undo: 'restore_quarantined_file',
    requestRoles: RESPONDERS,
    approveRoles: RESPONDERS,
    executors: ['agent'],
    timeoutMs: 10 * MINUTE,
    category: 'file',
  },
  {
    id: 'restore_quarantined_file',
    title: 'Restore file from quarantine',
    description: 'Put a quarantined file back where it was, with its persistence.',
    targetKind: 'file',
    kind: 'one_shot',
    params: fileParams,
    result: {
      type: 'object',
      properties: { filesRestored: { type: 'integer', minimum: 0 } },
      additionalProperties: false,
    },
    destructive: false,
    reversible: false,
    readOnly: false,
    undoOf: 'stop_and_quarantine_file',
    requestRoles: RESPONDERS,
    approveRoles: RESPONDERS,
    executors: ['agent'],
    timeoutMs: 10 * MINUTE,
    category: 'file',
  },
  {
    id: 'collect_file',
    title: 'Collect file',
    description: 'Fetch a copy of the file into a password-protected zip.',
    targetKind: 'file',
    kind: 'one_shot',
    params: fileParams,
    result: {
      type: 'object',
      properties: { blobSha256: { type: 'string' }, sizeBytes: { type: 'integer', minimum: 0 } },
      additionalProperties: false,
    },
    destructive: false,
    reversible: false,
    readOnly: true,
    requestRoles: ANALYSTS,
    approveRoles: RESPONDERS,
    executors: ['agent'],
    timeoutMs: 10 * MINUTE,
    category: 'file',
  },
  {
    id: 'deep_analysis',
    title: 'Deep analysis',
    description: 'Detonate the file in a sandbox and report what it did.',
    targetKind: 'file',
    kind: 'one_shot',
    params: fileParams,
    result: {
      type: 'object',
      properties: {
        verdict: { type: 'string', enum: ['malicious', 'suspicious', 'clean'] },
        reportBlobSha256: { type: 'string' },
      },
      additionalProperties: false,
    },
    destructive: false,
    reversible: false,
    readOnly: true,
    requestRoles: ANALYSTS,
    approveRoles: RESPONDERS,
    executors: ['server'],
    timeoutMs: 15 * MINUTE,
    category: 'file',
  },
] as const satisfies readonly ActionDefinition[];
