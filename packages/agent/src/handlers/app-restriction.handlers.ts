import { Type } from '@sinclair/typebox';
import type { DesiredStateController } from '../enforcement/desired-state-controller.js';
import { BaseActionHandler, type HandlerContext, type HandlerOutcome } from './action-handler.js';

const RestrictParams = Type.Object(
  {
    comment: Type.Optional(Type.String()),
    /** Extra binaries allowed besides package-owned ones (the catalog does not expose it yet). */
    allowSha256: Type.Optional(Type.Array(Type.String({ pattern: '^[a-f0-9]{64}$' }), { maxItems: 10_000 })),
  },
  { additionalProperties: false },
);
const RemoveParams = Type.Object({ comment: Type.Optional(Type.String()) }, { additionalProperties: false });

/** `restrict_app_execution`: desired restriction on, exec control enabled, verified from its status. */
export class RestrictAppExecutionHandler extends BaseActionHandler<typeof RestrictParams> {
  readonly type = 'restrict_app_execution' as const;
  protected readonly paramsSchema = RestrictParams;

  constructor(private readonly desired: DesiredStateController) {
    super();
  }

  protected async execute(p: typeof RestrictParams.static, ctx: HandlerContext): Promise<HandlerOutcome> {
    const status = await this.desired.restrict(ctx.command.actionId, p.allowSha256 ?? []);
    const verified = status.state === 'on' && status.helperPid !== null;
    if (!verified)
      return {
        status: 'failed',
        result: { verified },
        evidence: { status },
        error: status.error ?? `exec control is ${status.state}`,
      };
    return { result: { verified }, evidence: { status } };
  }
}

/** `remove_app_restriction`: desired restriction off, exec control disabled, verified from its status. */
export class RemoveAppRestrictionHandler extends BaseActionHandler<typeof RemoveParams> {
  readonly type = 'remove_app_restriction' as const;
  protected readonly paramsSchema = RemoveParams;

  constructor(private readonly desired: DesiredStateController) {
    super();
  }

  protected async execute(_p: typeof RemoveParams.static, ctx: HandlerContext): Promise<HandlerOutcome> {
    const status = await this.desired.unrestrict(ctx.command.actionId);
    const verified = status.state === 'off';
    if (!verified)
      return {
        status: 'failed',
        result: { verified },
        evidence: { status },
        error: status.error ?? `exec control is ${status.state}`,
      };
    return { result: { verified }, evidence: { status } };
  }
}
