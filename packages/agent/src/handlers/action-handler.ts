import { registerContractKinds } from '@quell/contracts/agent';
import type { TSchema, Static } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { ActionType } from '@quell/core';
import type { Command, Detection } from '@quell/contracts/agent';
import { ParamsError } from '../errors.js';
import type { JobContext } from '../ports.js';

/** What a handler gets for one run: the verified command, its abort signal and progress. */
export interface HandlerContext extends JobContext {
  command: Command;
}

/** How a run ended, as the `result` message will carry it. */
export interface HandlerOutcome {
  /** Default `succeeded`. A handler that verified a failure says so here with `error`. */
  status?: 'succeeded' | 'failed';
  /** Matches the catalog's result schema for the action when succeeded. */
  result: Record<string, unknown>;
  evidence: Record<string, unknown>;
  detections?: Detection[];
  error?: string;
}

/** Runs one action type on this device (STYLE §2: interface + base + registry). */
export interface ActionHandler {
  readonly type: ActionType;
  run(ctx: HandlerContext): Promise<HandlerOutcome>;
}

/**
 * The shared flow: validate `params` against the handler's schema (a bad command fails with a
 * {@link ParamsError} naming the field, before anything changes), then `execute`.
 */
export abstract class BaseActionHandler<S extends TSchema> implements ActionHandler {
  abstract readonly type: ActionType;
  private check: TypeCheck<S> | null = null;

  protected abstract readonly paramsSchema: S;

  protected abstract execute(params: Static<S>, ctx: HandlerContext): Promise<HandlerOutcome>;

  async run(ctx: HandlerContext): Promise<HandlerOutcome> {
    registerContractKinds();
    this.check ??= TypeCompiler.Compile(this.paramsSchema);
    const params = ctx.command.params;
    if (!this.check.Check(params)) {
      const first = this.check.Errors(params).First();
      throw new ParamsError(
        `bad params for ${this.type}${first ? ` at ${first.path || '/'}: ${first.message}` : ''}`,
      );
    }
    return this.execute(params, ctx);
  }
}
