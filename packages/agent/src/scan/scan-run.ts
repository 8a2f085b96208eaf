import type { Detection } from '@quell/contracts/agent';
import type { JobContext } from '../ports.js';
import type { ClamdClient, ClamdStream } from './clamd.client.js';
import type { CpuGovernor } from './cpu-governor.js';
import { readAndHash } from './read-file.js';
import { throwIfAborted } from './scan.errors.js';
import { EICAR_NAME, EICAR_SEVERITY, isEicar, type HashSignature } from './signatures.js';
import type { ScanTarget } from './targets.js';
import type { YaraEngine } from './yara.engine.js';

/** The engines a scan can run; `engines` in the report names each with how it went. */
export const SCAN_ENGINES = ['hash', 'yara', 'clamav'] as const;
export type ScanEngine = (typeof SCAN_ENGINES)[number];

/** clamd signatures carry no severity; anything clamd flags is treated as malware. */
export const CLAMAV_SEVERITY: Detection['severity'] = 'high';
/** The agent protocol carries at most this many detections per result. */
export const MAX_DETECTIONS = 10_000;

/** One file that was read, kept until the batch's yara pass has run. */
interface ScannedFile {
  target: ScanTarget;
  sha256: string;
  size: number;
}

export interface ScanRunDeps {
  ctx: JobContext;
  governor: CpuGovernor;
  signatures: ReadonlyMap<string, HashSignature>;
  /** The agent's hash indicators (see ScanRequest.indicatorSignature). */
  indicatorSignature?: ((sha256: string) => Omit<HashSignature, 'sha256'> | null) | undefined;
  yara: YaraEngine | null;
  clamd: ClamdClient | null;
  maxFileBytes: number;
  progressIntervalMs: number;
  batchSize: number;
}

/**
 * The state of one scan while it reads files: counters, detections, per-engine trouble and
 * throttled progress. Files are read once (hash + clamd stream), then handed to yara per batch.
 */
export class ScanRun {
  filesScanned = 0;
  filesSkipped = 0;
  readonly detections: Detection[] = [];
  /** Why an engine stopped part-way (yara crashed), by engine. */
  readonly failures = new Map<ScanEngine, string>();
  clamdErrors = 0;
  firstClamdError: string | null = null;
  private batch: ScannedFile[] = [];
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  private lastProgress = -Infinity;
  private total = 0;

  constructor(private readonly deps: ScanRunDeps) {}

  get done(): number {
    return this.filesScanned + this.filesSkipped;
  }

  /** Announces the total (after the counting walk) and reports 0 of it. */
  begin(total: number): void {
    this.total = total;
    this.report(true);
  }

  async scanFile(target: ScanTarget): Promise<void> {
    const { ctx, governor } = this.deps;
    throwIfAborted(ctx.signal);
    const clamd = this.deps.clamd && !this.failures.has('clamav') ? this.deps.clamd : null;
    let stream: ClamdStream | null = null;
    const outcome = await readAndHash(target.readPath, {
      maxBytes: this.deps.maxFileBytes,
      buffer: this.buffer,
      // Opened on the first chunk: empty, oversized or vanished files cost clamd nothing.
      sinks: clamd
        ? [
            async (chunk) => {
              stream ??= await clamd.openStream();
              await stream.write(chunk);
            },
          ]
        : [],
      between: () => governor.pace(ctx.signal),
      followLink: target.followLink ?? false,
    });
    const open = stream as ClamdStream | null;
    if (outcome.kind !== 'read') {
      open?.destroy();
      this.filesSkipped++;
    } else {
      this.filesScanned++;
      const file = { target, sha256: outcome.sha256, size: outcome.size };
      const sig = this.deps.signatures.get(outcome.sha256) ?? this.deps.indicatorSignature?.(outcome.sha256);
      if (sig) this.detect(file, 'hash', sig.name, sig.severity);
      else if (isEicar(outcome.head, outcome.size)) {
        this.detect(file, 'hash', EICAR_NAME, EICAR_SEVERITY);
      }
      if (open) await this.clamdVerdict(file, open);
      if (this.deps.yara) this.batch.push(file);
    }
    if (this.batch.length >= this.deps.batchSize) await this.flush();
    this.report(false);
    await governor.pace(ctx.signal);
  }

  /** Runs yara over the files read since the last flush. */
  async flush(): Promise<void> {
    const files = this.batch;
    this.batch = [];
    const yara = this.deps.yara;
    if (!yara || !files.length || this.failures.has('yara')) return;
    const byPath = new Map(files.map((f) => [f.target.readPath, f]));
    try {
      const matches = await yara.scan([...byPath.keys()], this.deps.ctx.signal, this.deps.governor);
      for (const m of matches) {
        const file = byPath.get(m.path);
        if (file) this.detect(file, 'yara', m.rule, yara.severityOf(m));
      }
    } catch (err) {
      if (this.deps.ctx.signal.aborted) throw err;
      // One broken yara run (crash, OOM) must not lose the other engines' findings; the report's
      // `engines` says yara failed and why.
      this.failures.set('yara', (err as Error).message);
    }
  }

  /** Final progress call: everything counted is done. */
  end(): void {
    this.total = Math.max(this.total, this.done);
    this.report(true);
  }

  private async clamdVerdict(file: ScannedFile, stream: ClamdStream): Promise<void> {
    const verdict = await stream.finish();
    if (verdict.kind === 'found') this.detect(file, 'clamav', verdict.name, CLAMAV_SEVERITY);
    if (verdict.kind === 'error') {
      this.clamdErrors++;
      this.firstClamdError ??= verdict.message;
    }
  }

  private detect(file: ScannedFile, engine: ScanEngine, name: string, severity: Detection['severity']): void {
    if (this.detections.length >= MAX_DETECTIONS) return;
    this.detections.push({
      path: file.target.reportPath,
      sha256: file.sha256,
      size: file.size,
      engine,
      name,
      severity,
    });
  }

  private report(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastProgress < this.deps.progressIntervalMs) return;
    this.lastProgress = now;
    // Files created after the counting walk can push `done` past the count.
    this.deps.ctx.progress(this.done, Math.max(this.total, this.done));
  }
}
