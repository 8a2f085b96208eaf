import type { ActionType } from '@quell/core';
import type { ActionHandler, HandlerContext, HandlerOutcome } from './action-handler.js';

/**
 * A handler whose module loads on its first command: the quarantine vault, its persistence
 * scanners and the file collector are rarely used, and an idle agent must stay small (the
 * footprint target is 64 MB resident).
 */
export class LazyHandler implements ActionHandler {
  private loaded: Promise<ActionHandler> | null = null;

  constructor(
    readonly type: ActionType,
    private readonly load: () => Promise<ActionHandler>,
  ) {}

  run(ctx: HandlerContext): Promise<HandlerOutcome> {
    this.loaded ??= this.load().catch((e: unknown) => {
      // A failed load is retried by the next command rather than remembered.
      this.loaded = null;
      throw e;
    });
    return this.loaded.then((h) => h.run(ctx));
  }
}
