import type { ActionDefinition } from './action-definition.js';
import { RESPONDERS, MINUTE } from './catalog-constants.js';
import { commentSchema } from './json-schema.js';
import { INDICATOR_ACTIONS, INDICATOR_TYPES } from '../vocab/indicator.js';
import { SEVERITIES } from '../vocab/severity.js';
import {
  MAX_INDICATOR_DESCRIPTION_LENGTH,
  MAX_INDICATOR_DEVICE_GROUPS,
  MAX_INDICATOR_TITLE_LENGTH,
} from '../indicators/indicator-input.js';

const typeSchema = { type: 'string', enum: INDICATOR_TYPES } as const;
/** Raw as the requester typed it; the server normalises it (see `normalizeIndicatorValue`). */
const valueSchema = { type: 'string', minLength: 1, maxLength: 2048 } as const;
/** Empty or absent: all devices. The scope is part of an indicator's identity with type and value. */
const deviceGroupIdsSchema = {
  type: 'array',
  items: { type: 'string', minLength: 1, maxLength: 100 },
  maxItems: MAX_INDICATOR_DEVICE_GROUPS,
  description: 'Device groups it applies to; empty or absent for all devices',
} as const;

export const indicatorActions = [
  {
    id: 'add_indicator',
    title: 'Add indicator',
    description:
      'Block, allow or audit a file hash, IP address or range, domain or URL across the fleet (or device groups). Sets the indicator for its type, value and scope (replacing one that is there).',
    targetKind: 'indicator',
    kind: 'state',
    params: {
      type: 'object',
      properties: {
        type: typeSchema,
        value: valueSchema,
        action: { type: 'string', enum: INDICATOR_ACTIONS },
        title: { type: 'string', minLength: 1, maxLength: MAX_INDICATOR_TITLE_LENGTH },
        description: { type: 'string', maxLength: MAX_INDICATOR_DESCRIPTION_LENGTH },
        severity: { type: 'string', enum: SEVERITIES },
        generateAlert: { type: 'boolean' },
        expiresAt: { type: 'string', format: 'date-time' },
        deviceGroupIds: deviceGroupIdsSchema,
        comment: commentSchema,
      },
      required: ['type', 'value', 'action'],
      additionalProperties: false,
    },
    result: {
      type: 'object',
      properties: {
        indicatorId: { type: 'string' },
        rev: { type: 'integer', minimum: 0 },
        created: { type: 'boolean' },
      },
      additionalProperties: false,
    },
    destructive: true,
    reversible: true,
    readOnly: false,
    undo: 'remove_indicator',
    requestRoles: RESPONDERS,
    approveRoles: RESPONDERS,
    // Carried out on the server: it writes the indicator, and agents converge through the
    // indicator feed (a state action), not through a command per device.
    executors: ['server'],
    timeoutMs: 5 * MINUTE,
    category: 'indicator',
  },
  {
    id: 'remove_indicator',
    title: 'Remove indicator',
    description:
      'Withdraw an indicator: by `id`, or by `type` and `value` (with `deviceGroupIds` naming its scope; all devices when absent).',
    targetKind: 'indicator',
    kind: 'state',
    params: {
      type: 'object',
      properties: {
        id: { type: 'string', minLength: 1, maxLength: 100 },
        type: typeSchema,
        value: valueSchema,
        deviceGroupIds: deviceGroupIdsSchema,
        comment: commentSchema,
      },
      additionalProperties: false,
    },
    result: {
      type: 'object',
      properties: {
        indicatorId: { type: 'string' },
        removed: { type: 'boolean', description: 'False when it was already gone' },
        rev: { type: 'integer', minimum: 0 },
      },
      additionalProperties: false,
    },
    destructive: false,
    reversible: false,
    readOnly: false,
    undoOf: 'add_indicator',
    requestRoles: RESPONDERS,
    approveRoles: RESPONDERS,
    executors: ['server'],
    timeoutMs: 5 * MINUTE,
    category: 'indicator',
  },
] as const satisfies readonly ActionDefinition[];
