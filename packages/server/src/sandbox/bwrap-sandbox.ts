import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, chown, constants, copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';
import { InputError } from '@quell/core';
import { systemClock, type Clock } from '../ports.js';
import { analyseTrace } from './analyse-trace.js';
import type { RuleOptions } from './behaviour-rules.js';
import { DEFAULT_TOOLS, detonationCommand, type SandboxTools } from './bwrap-command.js';
import { MAX_SAMPLE_BYTES, resolveLimits, resolveTimeout, type SandboxLimits } from './limits.js';
import { persistenceChanges } from './persistence.js';
import type { LimitHit, SandboxReport } from './report.schema.js';
import { missingForSandbox } from './sandbox-check.js';
import { SandboxUnavailableError } from './sandbox.errors.js';
import type { DetonationInput, SandboxRunner } from './sandbox-runner.js';
import type { SandboxStatus } from './sandbox.vocab.js';
import { buildWorld, sandboxFileName } from './sandbox-world.js';
import { StraceParser } from './strace-parser.js';
import { scoreBehaviours } from './verdict.js';
import { runWatched, type WatchedRunResult } from './watched-run.js';
import { collectFiles, diffWorld, measureWorld, snapshotWorld } from './world-snapshot.js';

/** The unprivileged user detonations run as when the server is root: `nobody`. */
export const DEFAULT_SANDBOX_USER = Object.freeze({ uid: 65534, gid: 65534 });
/** Bytes of the sample's stdout and of its stderr kept in the report. */
const OUTPUT_CAP = 64 * 1024;
/** Files up to this size keep their content in snapshots, for persistence excerpts. */
const KEEP_CONTENT_BYTES = 64 * 1024;
/** Paths in the world beyond which the watchdog stops the run and snapshots stop walking. */
const MAX_WORLD_ENTRIES = 50_000;
const TRACE_FILE = 'strace.log';

export interface BwrapSandboxOptions {
  /**
   * Where each detonation's world and trace are built (and removed after); must not be mounted
   * `noexec`. Default `/dev/shm` when it is writable and allows exec, so nothing the sample
   * writes reaches a disk; else the OS temp directory, else `/var/tmp`.
   */
  workDir?: string;
  /**
   * Host user and group the sandbox runs as. Default: `nobody` (65534) when the server runs as
   * root, else the server's own user (null). Inside, the sample sees itself as root.
   */
  runAs?: { uid: number; gid: number } | null;
  tools?: Partial<SandboxTools>;
  rules?: Partial<RuleOptions>;
  clock?: Clock;
}

/** The sample's SHA-256, and whether it is binary (a NUL byte in its first 4 KiB). */
async function inspectSample(path: string): Promise<{ sha256: string; binary: boolean }> {
  const hash = createHash('sha256');
  let head = Buffer.alloc(0);
  for await (const chunk of createReadStream(path)) {
    if (head.length < 4096) head = Buffer.concat([head, (chunk as Buffer).subarray(0, 4096 - head.length)]);
    hash.update(chunk as Buffer);
  }
  return { sha256: hash.digest('hex'), binary: head.includes(0) };
}

/** Whether the filesystem holding `dir` is mounted `noexec` (the sample could not run from it). */
async function mountedNoexec(dir: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
  let best = { point: '', noexec: false };
  for (const line of mounts.split('\n')) {
    const [, point, , options] = line.split(' ');
    if (!point || !options) continue;
    const inside = dir === point || dir.startsWith(point.endsWith('/') ? point : `${point}/`);
    if (inside && point.length >= best.point.length)
      best = { point, noexec: options.split(',').includes('noexec') };
  }
  return best.noexec;
}

/** RAM first (`/dev/shm`), then the temp directories: the first writable one that allows exec. */
async function defaultWorkDir(): Promise<string> {
  for (const dir of ['/dev/shm', tmpdir(), '/var/tmp']) {
    const usable = await stat(dir).then(
      (s) => s.isDirectory() && access(dir, constants.W_OK).then(() => true),
      () => false,
    );
    if (usable && !(await mountedNoexec(dir))) return dir;
  }
  return tmpdir();
}

/**
 * Detonates samples in bubblewrap under strace (see docs/deep-analysis.md): no network, its own
 * pid/ipc/uts/user namespaces, a decoy writable world, rlimits, a wall-clock timeout that kills
 * the whole tree, and a report built from the trace and the world's changes.
 */
export class BwrapSandbox implements SandboxRunner {
  private readonly tools: SandboxTools;
  private readonly runAs: { uid: number; gid: number } | null;
  private readonly clock: Clock;
  private available: Promise<string[]> | null = null;

  constructor(private readonly opts: BwrapSandboxOptions = {}) {
    this.tools = { ...DEFAULT_TOOLS, ...opts.tools };
    this.runAs =
      opts.runAs !== undefined ? opts.runAs : process.getuid?.() === 0 ? DEFAULT_SANDBOX_USER : null;
    this.clock = opts.clock ?? systemClock;
  }

  /** What the host lacks to detonate (checked once, then cached); empty when ready. */
  missing(): Promise<string[]> {
    this.available ??= missingForSandbox(this.tools, this.runAs);
    return this.available;
  }

  async detonate(input: DetonationInput, signal?: AbortSignal): Promise<SandboxReport> {
    signal?.throwIfAborted();
    const timeoutMs = resolveTimeout(input.timeoutMs);
    const limits = resolveLimits(input.limits);
    if (!isAbsolute(input.outputDir)) {
      throw new InputError('The output directory must be an absolute path.', { outputDir: input.outputDir });
    }
    const info = await stat(input.path).catch(() => null);
    if (!info?.isFile())
      throw new InputError('The sample must be an existing regular file.', { path: input.path });
    if (info.size > MAX_SAMPLE_BYTES) {
      throw new InputError(`The sample is larger than ${MAX_SAMPLE_BYTES} bytes.`, { size: info.size });
    }
    const missing = await this.missing();
    if (missing.length) throw new SandboxUnavailableError(missing);

    const name = input.name ?? basename(input.path);
    const { sha256, binary } = await inspectSample(input.path);
    await mkdir(input.outputDir, { recursive: true });
    const work = await mkdtemp(join(this.opts.workDir ?? (await defaultWorkDir()), 'quell-sandbox-'));
    try {
      return await this.run(
        work,
        { ...input, name, timeoutMs, limits, sha256, binary, size: info.size },
        signal,
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  private async run(
    work: string,
    input: DetonationInput & {
      name: string;
      timeoutMs: number;
      limits: SandboxLimits;
      sha256: string;
      binary: boolean;
      size: number;
    },
    signal: AbortSignal | undefined,
  ): Promise<SandboxReport> {
    const { limits } = input;
    const worldRoot = join(work, 'world');
    const traceDir = join(work, 'trace');
    await mkdir(worldRoot);
    await mkdir(traceDir, { mode: 0o700 });
    const world = await buildWorld(worldRoot, {
      samplePath: input.path,
      sampleName: sandboxFileName(input.name),
      owner: this.runAs,
    });
    if (this.runAs) {
      await chown(work, this.runAs.uid, this.runAs.gid);
      await chown(traceDir, this.runAs.uid, this.runAs.gid);
    }
    const skip = new Set(['/proc', '/dev', ...world.readOnlyBinds]);
    const before = await snapshotWorld(worldRoot, {
      skip,
      keepContentBytes: KEEP_CONTENT_BYTES,
      maxEntries: MAX_WORLD_ENTRIES,
    });
    const tracePath = join(traceDir, TRACE_FILE);
    const command = detonationCommand({
      tools: this.tools,
      runAs: this.runAs,
      tracePath,
      worldRoot,
      readOnlyBinds: world.readOnlyBinds,
      samplePath: world.samplePath,
      limits,
    });

    const startedAt = this.clock.now();
    const result = await runWatched({
      ...command,
      cwd: work,
      timeoutMs: input.timeoutMs,
      outputCap: OUTPUT_CAP,
      ...(signal ? { signal } : {}),
      check: () => this.watchdog(worldRoot, skip, tracePath, limits),
    });
    const durationMs = Math.max(0, this.clock.now() - startedAt);
    if (result.stoppedBy === 'aborted') throw signal?.reason ?? new Error('aborted');

    const parser = new StraceParser();
    const traceBytes = await stat(tracePath).then(
      (s) => s.size,
      () => 0,
    );
    if (traceBytes > 0) {
      // The watchdog stops the run near the cap; reading stops at it exactly.
      const lines = createInterface({
        input: createReadStream(tracePath, { end: limits.traceBytes - 1 }),
        crlfDelay: Infinity,
      });
      for await (const line of lines) parser.push(line);
      await copyFile(tracePath, join(input.outputDir, TRACE_FILE));
    }
    const events = parser.finish();

    const after = await snapshotWorld(worldRoot, {
      skip,
      keepContentBytes: KEEP_CONTENT_BYTES,
      maxEntries: MAX_WORLD_ENTRIES,
      previous: before.entries,
    });
    const changes = diffWorld(before.entries, after.entries);
    const collected = await collectFiles(worldRoot, changes, input.outputDir, {
      maxFiles: limits.maxDroppedFiles,
      maxBytes: limits.maxDroppedBytes,
    });
    const analysis = analyseTrace(events, world.samplePath, collected.files, this.opts.rules);
    const { score, verdict } = scoreBehaviours(analysis.behaviours);
    const root = analysis.processes[0];

    const runnerHits: LimitHit[] = [...result.limitsHit];
    if (collected.skipped) {
      runnerHits.push({
        limit: 'dropped_files',
        detail: `${collected.skipped} changed files were not copied (caps)`,
      });
    }
    if (after.truncated)
      runnerHits.push({
        limit: 'workspace',
        detail: `more than ${MAX_WORLD_ENTRIES} paths; the rest are not listed`,
      });
    const execError = analysis.scope.shellFallback && input.binary ? 'ENOEXEC' : analysis.scope.execError;
    const { status, error } = outcome(result, analysis.scope.rootPid, execError);

    return {
      schemaVersion: 1,
      sample: { name: input.name, sha256: input.sha256, size: input.size, path: world.samplePath },
      status,
      error,
      verdict,
      score,
      startedAt: new Date(startedAt).toISOString(),
      durationMs,
      timeoutMs: input.timeoutMs,
      limits,
      exit: { code: root?.exitCode ?? null, signal: root?.signal ?? null },
      behaviours: analysis.behaviours,
      processes: analysis.processes,
      files: collected.files,
      persistence: persistenceChanges(changes),
      network: analysis.network,
      dns: analysis.dns,
      limitsHit: [...runnerHits, ...analysis.limitsHit],
      output: { stdout: result.stdout, stderr: result.stderr, truncated: result.outputTruncated },
      trace: {
        artifact: traceBytes > 0 ? TRACE_FILE : null,
        bytes: traceBytes,
        events: events.length,
        skippedLines: parser.skipped,
      },
    };
  }

  /** Stops the run when the sample fills its world or the trace grows past its cap. */
  private async watchdog(
    worldRoot: string,
    skip: ReadonlySet<string>,
    tracePath: string,
    limits: SandboxLimits,
  ): Promise<LimitHit | null> {
    const trace = await stat(tracePath).then(
      (s) => s.size,
      () => 0,
    );
    if (trace > limits.traceBytes)
      return { limit: 'trace', detail: `strace log passed ${limits.traceBytes} bytes` };
    const usage = await measureWorld(worldRoot, skip, {
      bytes: limits.workspaceBytes,
      entries: MAX_WORLD_ENTRIES,
    });
    if (usage.bytes > limits.workspaceBytes) {
      return { limit: 'workspace', detail: `the sample wrote more than ${limits.workspaceBytes} bytes` };
    }
    if (usage.entries > MAX_WORLD_ENTRIES)
      return { limit: 'workspace', detail: `more than ${MAX_WORLD_ENTRIES} paths` };
    return null;
  }
}

/** Status from how the run ended and whether the sample ever ran. */
function outcome(
  run: WatchedRunResult,
  rootPid: number | null,
  execError: string | null,
): { status: SandboxStatus; error: string | null } {
  if (run.spawnError)
    return { status: 'failed', error: `The sandbox could not be started: ${run.spawnError.message}` };
  if (rootPid === null) {
    const why = run.stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${run.exitCode}`;
    return { status: 'failed', error: `The sandbox did not start the sample: ${why}` };
  }
  if (execError) {
    return {
      status: 'failed',
      error:
        `The sample could not be executed (${execError}): it is neither a script nor an ELF binary ` +
        'for this machine, or its interpreter is missing.',
    };
  }
  return { status: run.stoppedBy === 'timeout' ? 'timed_out' : 'completed', error: null };
}
