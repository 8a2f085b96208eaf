import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '@quell/core';
import type { JobContext, ScanReport, ScanRequest, Scanner } from '../ports.js';
import { ClamdClient } from './clamd.client.js';
import { CpuGovernor, systemCpuClock, type CpuClock } from './cpu-governor.js';
import { FALLBACK_PSEUDO_DIRS, parseMountInfo, pseudoMountPoints } from './mounts.js';
import { ScanRun, type ScanEngine } from './scan-run.js';
import { ScanAbortedError, throwIfAborted } from './scan.errors.js';
import { BUILTIN_HASH_SIGNATURES, signatureIndex } from './signatures.js';
import { devicePath, processImages, quickRoots, type ScanTarget } from './targets.js';
import { walkFiles } from './walk.js';
import { YaraEngine } from './yara.engine.js';

/** How the scanner is set up on this device; every key has a default. */
export interface FileScannerOptions {
  /** Root of the filesystem to scan; all locations are under it. Default `/`. */
  fsRoot?: string;
  /** Where `/proc` is (process images, mountinfo). Default `/proc`. */
  procRoot?: string;
  /** Scan the images of running processes (quick and full). Default: only when fsRoot is `/`,
   * since with another root the images lie outside the tree being scanned. */
  includeProcessImages?: boolean;
  /** Default `yara`. */
  yaraPath?: string;
  /** Default `yarac`. */
  yaracPath?: string;
  /** clamd's unix socket; null never uses clamd. Default null. */
  clamdSocket?: string | null;
  /** Larger files are skipped and counted in `filesSkipped`. Default 100 MiB. */
  maxFileBytes?: number;
  /** Cores the scan may use when the request says 0. Default 0.5. */
  cpuLimit?: number;
  /** Minimum ms between two progress calls. Default 250. */
  progressIntervalMs?: number;
  /** Files per yara process. Default 1000. */
  batchSize?: number;
  /** CPU readings (tests). Default: this process's. */
  cpuClock?: CpuClock;
}

type EngineStatus = { state: 'ran' } | { state: 'skipped'; why: string };

/**
 * Scans files for malware with SHA-256 signatures (always), YARA rules (when the request has
 * any) and clamd (when its socket answers). See {@link FileScannerOptions}.
 * `engines` in the report lists each engine as `name` when it ran over every file, or
 * `name:skipped: why`, `name:failed: why`, `name:partial: why`.
 */
export class FileScanner implements Scanner {
  private readonly fsRoot: string;
  private readonly procRoot: string;
  private readonly opts: Required<Omit<FileScannerOptions, 'fsRoot' | 'procRoot'>>;

  constructor(options: FileScannerOptions = {}) {
    this.fsRoot = resolve(options.fsRoot ?? '/');
    this.procRoot = resolve(options.procRoot ?? '/proc');
    this.opts = {
      includeProcessImages: options.includeProcessImages ?? this.fsRoot === '/',
      yaraPath: options.yaraPath ?? 'yara',
      yaracPath: options.yaracPath ?? 'yarac',
      clamdSocket: options.clamdSocket ?? null,
      maxFileBytes: options.maxFileBytes ?? 100 * 1024 * 1024,
      cpuLimit: options.cpuLimit ?? 0.5,
      progressIntervalMs: options.progressIntervalMs ?? 250,
      batchSize: options.batchSize ?? 1000,
      cpuClock: options.cpuClock ?? systemCpuClock,
    };
  }

  async scan(req: ScanRequest, ctx: JobContext): Promise<ScanReport> {
    const started = performance.now();
    const governor = new CpuGovernor(this.cpuLimit(req), this.opts.cpuClock);
    const workDir = await mkdtemp(join(tmpdir(), 'quell-scan-'));
    try {
      throwIfAborted(ctx.signal);
      const status = new Map<ScanEngine, EngineStatus>([['hash', { state: 'ran' }]]);
      const yara = req.yaraRules.length
        ? await YaraEngine.compile(req.yaraRules, { ...this.opts, workDir, signal: ctx.signal })
        : null;
      status.set('yara', yara ? { state: 'ran' } : { state: 'skipped', why: 'no rules' });
      const clamd = await this.clamd();
      status.set('clamav', clamd.status);

      const run = new ScanRun({
        ctx,
        governor,
        signatures: signatureIndex(BUILTIN_HASH_SIGNATURES, req.hashSignatures),
        indicatorSignature: req.indicatorSignature,
        yara,
        clamd: clamd.client,
        maxFileBytes: this.opts.maxFileBytes,
        progressIntervalMs: this.opts.progressIntervalMs,
        batchSize: this.opts.batchSize,
      });
      ctx.progress(0, null, 'counting files');
      const targets = await this.targets(req.scope, ctx.signal);
      let total = 0;
      for await (const _ of targets()) total++;
      run.begin(total);
      for await (const t of targets()) await run.scanFile(t);
      await run.flush();
      run.end();
      return {
        filesScanned: run.filesScanned,
        filesSkipped: run.filesSkipped,
        detections: run.detections,
        engines: engineList(status, run),
        durationMs: Math.round(performance.now() - started),
      };
    } catch (err) {
      if (ctx.signal.aborted && !(err instanceof ScanAbortedError)) {
        throw new ScanAbortedError({ cause: err });
      }
      throw err;
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  private cpuLimit(req: ScanRequest): number {
    const v = req.cpuLimit;
    if (v === 0) return this.opts.cpuLimit;
    if (!(v > 0)) {
      throw new InputError(`cpuLimit must be a positive fraction of a core (0.5 = half), not ${v}.`);
    }
    return v;
  }

  private async clamd(): Promise<{ client: ClamdClient | null; status: EngineStatus }> {
    const socket = this.opts.clamdSocket;
    if (!socket) return { client: null, status: { state: 'skipped', why: 'no clamd socket set' } };
    const client = new ClamdClient(socket, 5_000);
    if (await client.ping()) return { client, status: { state: 'ran' } };
    return { client: null, status: { state: 'skipped', why: `clamd at ${socket} did not answer` } };
  }

  /** A re-iterable source of targets: walked once to count, once to scan. */
  private async targets(
    scope: ScanRequest['scope'],
    signal: AbortSignal,
  ): Promise<() => AsyncGenerator<ScanTarget>> {
    const skipDirs = await this.pseudoDirs();
    const roots = scope === 'quick' ? await quickRoots(this.fsRoot) : [this.fsRoot];
    const images = this.opts.includeProcessImages ? await processImages(this.procRoot) : [];
    const imagePaths = new Set(images.map((i) => i.reportPath));
    const fsRoot = this.fsRoot;
    return async function* () {
      yield* images;
      for await (const readPath of walkFiles(roots, { skipDirs, signal })) {
        const reportPath = devicePath(fsRoot, readPath);
        if (!imagePaths.has(reportPath)) yield { readPath, reportPath };
      }
    };
  }

  private async pseudoDirs(): Promise<Set<string>> {
    const text = await readFile(join(this.procRoot, 'self/mountinfo'), 'utf8').catch(() => null);
    if (text !== null) return pseudoMountPoints(parseMountInfo(text));
    return new Set(FALLBACK_PSEUDO_DIRS.map((d) => join(this.fsRoot, d)));
  }
}

function engineList(status: ReadonlyMap<ScanEngine, EngineStatus>, run: ScanRun): string[] {
  return [...status].map(([engine, s]) => {
    const failed = run.failures.get(engine);
    if (failed) return `${engine}:failed: ${failed}`;
    if (s.state === 'skipped') return `${engine}:skipped: ${s.why}`;
    if (engine === 'clamav' && run.clamdErrors) {
      return `clamav:partial: ${run.clamdErrors} files not scanned (${run.firstClamdError})`;
    }
    return engine;
  });
}
