import { Type } from '@sinclair/typebox';
import type { DesiredStateController } from '../enforcement/desired-state-controller.js';
import { BaseActionHandler, type HandlerContext, type HandlerOutcome } from './action-handler.js';

const Params = Type.Object({ comment: Type.Optional(Type.String()) }, { additionalProperties: false });

/** `release_device`: desired isolation off, Quell's table removed, verified by reading back. */
export class ReleaseDeviceHandler extends BaseActionHandler<typeof Params> {
  readonly type = 'release_device' as const;
  protected readonly paramsSchema = Params;

  constructor(private readonly desired: DesiredStateController) {
    super();
  }

  protected async execute(_p: typeof Params.static, ctx: HandlerContext): Promise<HandlerOutcome> {
    const readback = await this.desired.release(ctx.command.actionId);
    const verified = !readback.present;
    if (!verified) {
      return {
        status: 'failed',
        result: { verified },
        evidence: { readback },
        error: readback.error ?? "Quell's firewall table is still present after removing it",
      };
    }
    return { result: { verified }, evidence: { readback } };
  }
}
