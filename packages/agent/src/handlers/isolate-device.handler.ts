import { Type } from '@sinclair/typebox';
import { IsolationExclusion, type IsolationSpec } from '@quell/contracts/agent';
import type { DesiredStateController } from '../enforcement/desired-state-controller.js';
import type { ReachabilityProbe } from '../enforcement/isolation-enforcer.js';
import { BaseActionHandler, type HandlerContext, type HandlerOutcome } from './action-handler.js';

const Params = Type.Object(
  {
    mode: Type.Optional(Type.Union([Type.Literal('full'), Type.Literal('selective')])),
    exclusions: Type.Optional(Type.Array(IsolationExclusion, { maxItems: 64 })),
    allowDns: Type.Optional(Type.Boolean()),
    allowDhcp: Type.Optional(Type.Boolean()),
    comment: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** Rollback window after applying isolation (ARCHITECTURE §4, "never lock ourselves out"). */
export const ISOLATION_ROLLBACK_MS = 30_000;

/**
 * `isolate_device`: sets desired isolation and applies it, then checks the server is still
 * reachable; when it is not within the rollback window the firewall module removes isolation
 * again and the action fails with that reason. Result `{verified, rulesetHash, reachedServer}`,
 * evidence `{readback}`.
 */
export class IsolateDeviceHandler extends BaseActionHandler<typeof Params> {
  readonly type = 'isolate_device' as const;
  protected readonly paramsSchema = Params;

  constructor(
    private readonly desired: DesiredStateController,
    private readonly probe: ReachabilityProbe,
    private readonly rollbackWithinMs: number = ISOLATION_ROLLBACK_MS,
  ) {
    super();
  }

  protected async execute(p: typeof Params.static, ctx: HandlerContext): Promise<HandlerOutcome> {
    const spec: IsolationSpec = {
      mode: p.mode ?? 'full',
      exclusions: p.mode === 'selective' ? (p.exclusions ?? []) : [],
      allowDns: p.allowDns ?? false,
      allowDhcp: p.allowDhcp ?? false,
    };
    ctx.progress(0, 2, 'applying isolation');
    const out = await this.desired.isolate(spec, ctx.command.actionId, this.probe, {
      rollbackWithinMs: this.rollbackWithinMs,
      signal: ctx.signal,
    });
    ctx.progress(2, 2, out.rolledBack ? 'rolled back' : 'verified');
    const result = {
      verified: out.verified,
      rulesetHash: out.readback.rulesetHash ?? '',
      reachedServer: out.reachedServer,
    };
    const evidence = { readback: out.readback, rolledBack: out.rolledBack, spec };
    if (!out.verified) {
      return { status: 'failed', result, evidence, error: out.error ?? 'isolation could not be verified' };
    }
    return { result, evidence };
  }
}
