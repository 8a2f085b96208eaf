import type { ActionDefinition } from './action-definition.js';
import { MINUTE } from './catalog-constants.js';
import { commentSchema } from './json-schema.js';

export const investigationActions = [
  {
    id: 'start_automated_investigation',
    title: 'Start automated investigation',
    description:
      'Investigate the device and its alerts; remediation it proposes follows the device group’s automation level.',
    targetKind: 'device',
    kind: 'one_shot',
    params: { type: 'object', properties: { comment: commentSchema }, additionalProperties: false },
    result: {
      type: 'object',
      properties: { investigationId: { type: 'string' } },
      additionalProperties: false,
    },
    destructive: false,
    reversible: false,
    readOnly: true,
    requestRoles: ['analyst', 'responder', 'admin'],
    approveRoles: ['responder', 'admin'],
    executors: ['server'],
    timeoutMs: 60 * MINUTE,
    category: 'investigation',
  },
] as const satisfies readonly ActionDefinition[];

export const notificationActions = [
  {
    id: 'notify_webhook',
    title: 'Notify webhook',
    description: 'POST a JSON notification about an incident or action to a configured webhook.',
    targetKind: 'none',
    kind: 'one_shot',
    params: {
      type: 'object',
      properties: {
        webhook: {
          type: 'string',
          minLength: 1,
          maxLength: 100,
          description: 'Name of a configured webhook',
        },
        message: { type: 'string', minLength: 1, maxLength: 4000 },
      },
      required: ['webhook', 'message'],
      additionalProperties: false,
    },
    result: {
      type: 'object',
      properties: { status: { type: 'integer' } },
      additionalProperties: false,
    },
    destructive: false,
    reversible: false,
    readOnly: false,
    requestRoles: ['analyst', 'responder', 'admin'],
    approveRoles: ['responder', 'admin'],
    executors: ['webhook'],
    timeoutMs: 1 * MINUTE,
    category: 'notification',
  },
] as const satisfies readonly ActionDefinition[];
