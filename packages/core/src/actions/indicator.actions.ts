import type { ActionDefinition } from './action-definition.js';
import { RESPONDERS, MINUTE } from './catalog-constants.js';
import { commentSchema } from './json-schema.js';

export const indicatorActions = [
  {
    id: 'add_indicator',
    title: 'Add indicator',
    description: 'Block or allow a file hash, IP, domain or URL across the fleet (or a device group).',
    targetKind: 'indicator',
    kind: 'state',
    params: {
      type: 'object',
      properties: {
        indicatorType: { type: 'string', enum: ['sha256', 'sha1', 'md5', 'ip', 'cidr', 'domain', 'url'] },
        value: { type: 'string', minLength: 1, maxLength: 2048 },
        verdict: { type: 'string', enum: ['block', 'allow', 'audit'] },
        expiresAt: { type: 'string', format: 'date-time' },
        comment: commentSchema,
      },
      required: ['indicatorType', 'value', 'verdict'],
      additionalProperties: false,
    },
    result: {
      type: 'object',
      properties: { devicesApplied: { type: 'integer', minimum: 0 } },
      additionalProperties: false,
    },
    destructive: true,
    reversible: true,
    readOnly: false,
    undo: 'remove_indicator',
    requestRoles: RESPONDERS,
    approveRoles: RESPONDERS,
    executors: ['agent'],
    timeoutMs: 5 * MINUTE,
    category: 'indicator',
  },
  {
    id: 'remove_indicator',
    title: 'Remove indicator',
    description: 'Withdraw a block or allow indicator.',
    targetKind: 'indicator',
    kind: 'state',
    params: {
      type: 'object',
      properties: {
        indicatorType: { type: 'string', enum: ['sha256', 'sha1', 'md5', 'ip', 'cidr', 'domain', 'url'] },
        value: { type: 'string', minLength: 1, maxLength: 2048 },
        comment: commentSchema,
      },
      required: ['indicatorType', 'value'],
      additionalProperties: false,
    },
    result: { type: 'object', properties: {}, additionalProperties: false },
    destructive: false,
    reversible: false,
    readOnly: false,
    undoOf: 'add_indicator',
    requestRoles: RESPONDERS,
    approveRoles: RESPONDERS,
    executors: ['agent'],
    timeoutMs: 5 * MINUTE,
    category: 'indicator',
  },
] as const satisfies readonly ActionDefinition[];
