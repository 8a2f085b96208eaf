import { Type } from '@sinclair/typebox';
import { SEVERITIES } from '@quell/core';
import type { Detection } from '@quell/contracts/agent';
import type { Scanner } from '../ports.js';
import { BaseActionHandler, type HandlerContext, type HandlerOutcome } from './action-handler.js';

const Params = Type.Object(
  {
    scope: Type.Optional(Type.Union([Type.Literal('quick'), Type.Literal('full')])),
    comment: Type.Optional(Type.String()),
    /** Filled in by the server from the YARA rule library. */
    yaraRules: Type.Optional(
      Type.Array(Type.Object({ name: Type.String(), source: Type.String() }), { maxItems: 1_000 }),
    ),
    hashSignatures: Type.Optional(
      Type.Array(
        Type.Object({
          sha256: Type.String({ pattern: '^[a-f0-9]{64}$' }),
          name: Type.String(),
          severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
        }),
        { maxItems: 100_000 },
      ),
    ),
  },
  { additionalProperties: false },
);

/** What the agent's hash indicators add to a scan (issue 4). */
export interface ScanIndicators {
  /** A detection for a SHA-256 whose winning indicator is audit, block or block-and-remediate. */
  signature(sha256: string): { name: string; severity: Detection['severity'] } | null;
  /** Quarantines the detections a block-and-remediate indicator wins for; one record per copy. */
  remediate(found: readonly { path: string; sha256: string }[]): Promise<readonly object[]>;
}

/**
 * `run_av_scan`: runs the Scanner port. Result `{filesScanned, filesSkipped, detections (count),
 * engines, durationMs}`; the detections themselves ride on the result message. Files a hash
 * indicator covers are detections too; copies a block-and-remediate one wins for are quarantined
 * and listed in the evidence (`remediated`).
 */
export class RunAvScanHandler extends BaseActionHandler<typeof Params> {
  readonly type = 'run_av_scan' as const;
  protected readonly paramsSchema = Params;

  constructor(
    private readonly scanner: Scanner,
    private readonly cpuLimit: number,
    /** Whether an allow indicator covers a SHA-256: its detections are suppressed (issue 4). */
    private readonly allowed: (sha256: string) => Promise<boolean> = () => Promise.resolve(false),
    /** The agent's hash indicators: detected, and remediated when they say so. Null: none loaded. */
    private readonly indicators: () => Promise<ScanIndicators | null> = () => Promise.resolve(null),
  ) {
    super();
  }

  protected async execute(p: typeof Params.static, ctx: HandlerContext): Promise<HandlerOutcome> {
    const indicators = await this.indicators();
    const report = await this.scanner.scan(
      {
        scope: p.scope ?? 'quick',
        yaraRules: p.yaraRules ?? [],
        hashSignatures: p.hashSignatures ?? [],
        cpuLimit: this.cpuLimit,
        ...(indicators && { indicatorSignature: (sha256: string) => indicators.signature(sha256) }),
      },
      ctx,
    );
    const detections: typeof report.detections = [];
    const suppressed: Array<{ path: string; sha256: string }> = [];
    for (const d of report.detections) {
      if (await this.allowed(d.sha256)) suppressed.push({ path: d.path, sha256: d.sha256 });
      else detections.push(d);
    }
    // Existing copies of block-and-remediate hashes are quarantined now (new ones by the watcher).
    const remediated = indicators && detections.length ? await indicators.remediate(detections) : [];
    return {
      result: {
        filesScanned: report.filesScanned,
        filesSkipped: report.filesSkipped,
        detections: detections.length,
        engines: report.engines,
        durationMs: Math.round(report.durationMs),
      },
      evidence: {
        scope: p.scope ?? 'quick',
        yaraRules: (p.yaraRules ?? []).map((r) => r.name),
        ...(suppressed.length && { suppressedByAllowIndicator: suppressed }),
        ...(remediated.length && { remediated }),
      },
      detections,
    };
  }
}
