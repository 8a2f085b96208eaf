import { NotFoundError } from '../errors.js';
import type { ActionDefinition } from './action-definition.js';
import { deviceActions } from './device.actions.js';
import { fileActions } from './file.actions.js';
import { identityActions } from './identity.actions.js';
import { indicatorActions } from './indicator.actions.js';
import { mailboxActions } from './mailbox.actions.js';
import { investigationActions, notificationActions } from './other.actions.js';

/** Every action type Quell knows, whether or not an executor for it is installed yet. */
export const ACTION_CATALOG = [
  ...deviceActions,
  ...fileActions,
  ...indicatorActions,
  ...identityActions,
  ...mailboxActions,
  ...investigationActions,
  ...notificationActions,
] as const satisfies readonly ActionDefinition[];

export type ActionType = (typeof ACTION_CATALOG)[number]['id'];
export const ACTION_TYPES = ACTION_CATALOG.map((a) => a.id) as readonly ActionType[];

const byId = new Map<string, ActionDefinition>(ACTION_CATALOG.map((a) => [a.id, a]));

export function isActionType(id: string): id is ActionType {
  return byId.has(id);
}

/** The definition of an action type; throws a NotFoundError naming the known types. */
export function actionDefinition(id: string): ActionDefinition {
  const def = byId.get(id);
  if (!def) {
    throw new NotFoundError(`Unknown action type "${id}". Run \`quell actions types\` to list them.`, {
      type: id,
    });
  }
  return def;
}
