import type { ActionType } from '@quell/core';
import { ActionNotSupportedError } from '../errors.js';
import type { ActionHandler } from './action-handler.js';

/** Resolves the handler for an action type; the one place that knows which types this agent runs. */
export class HandlerRegistry {
  private readonly byType = new Map<ActionType, ActionHandler>();

  constructor(handlers: readonly ActionHandler[]) {
    for (const h of handlers) {
      if (this.byType.has(h.type)) throw new Error(`two handlers for ${h.type}`);
      this.byType.set(h.type, h);
    }
  }

  /** @throws ActionNotSupportedError when this agent has no handler for `type`. */
  resolve(type: ActionType): ActionHandler {
    const h = this.byType.get(type);
    if (!h)
      throw new ActionNotSupportedError(
        `this agent cannot run ${type} (not supported by agent handlers: ${this.types().join(', ')})`,
      );
    return h;
  }

  types(): ActionType[] {
    return [...this.byType.keys()];
  }
}
