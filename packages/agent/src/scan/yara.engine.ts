import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SEVERITIES } from '@quell/core';
import type { Detection } from '@quell/contracts/agent';
import type { CpuGovernor } from './cpu-governor.js';
import { ScanAbortedError, YaraRulesError } from './scan.errors.js';

/** A rule set as the request carries it. */
export interface YaraRuleSet {
  name: string;
  source: string;
}

/** One `rule path` line of yara's output. */
export interface YaraMatch {
  rule: string;
  /** Index of the rule set (its namespace) in the request. */
  ruleSet: number;
  path: string;
}

/** Rules without a `severity` meta (informational|low|medium|high) report as this. */
export const YARA_DEFAULT_SEVERITY: Detection['severity'] = 'high';

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  cmd: string,
  args: readonly string[],
  signal: AbortSignal,
  governor: CpuGovernor | null,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // No `signal` option on spawn: on abort we SIGKILL ourselves, which also ends a child
    // that the governor has stopped (SIGTERM would stay pending until SIGCONT).
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const release = child.pid !== undefined && governor ? governor.governChild(child.pid) : null;
    const onAbort = (): void => void child.kill('SIGKILL');
    signal.addEventListener('abort', onAbort, { once: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', (err) => {
      release?.();
      signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.once('close', (code) => {
      release?.();
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) reject(new ScanAbortedError({ cause: signal.reason }));
      else resolve({ code, stdout, stderr });
    });
  });
}

/** Reads `severity = "…"` from each rule's meta section; rule id → severity. */
export function ruleSeverities(source: string): Map<string, Detection['severity']> {
  const out = new Map<string, Detection['severity']>();
  const ruleRe = /\brule\s+([A-Za-z_]\w*)[^{]*\{([\s\S]*?)\bcondition\s*:/g;
  for (const m of source.matchAll(ruleRe)) {
    const sev = /\bseverity\s*=\s*"(\w+)"/i.exec(m[2] ?? '')?.[1]?.toLowerCase();
    const known = SEVERITIES.find((s) => s === sev) ?? (sev === 'critical' ? 'high' : undefined);
    if (known) out.set(m[1]!, known);
  }
  return out;
}

/** Parses `yara -e` output lines `ns:rule path`; namespaces are `r<index>`. */
export function parseYaraOutput(stdout: string): YaraMatch[] {
  const out: YaraMatch[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^r(\d+):([A-Za-z_]\w*) (.+)$/.exec(line);
    if (m) out.push({ ruleSet: Number(m[1]), rule: m[2]!, path: m[3]! });
  }
  return out;
}

/**
 * The `yara` CLI over batches of files. Rules are compiled once per scan with `yarac` (so a bad
 * rule fails the scan before any walking, with the rule set's name and line), then each batch
 * runs `yara -C -f -e -p 1 --scan-list`: one process per batch instead of one per file, fast
 * mode (first match per rule is enough), a single thread so the CPU governor's duty cycle holds.
 */
export class YaraEngine {
  private constructor(
    private readonly yaraPath: string,
    private readonly compiled: string,
    private readonly workDir: string,
    private readonly severities: readonly Map<string, Detection['severity']>[],
  ) {}

  /** Writes and compiles the rule sets into `workDir`; throws {@link YaraRulesError}. */
  static async compile(
    sets: readonly YaraRuleSet[],
    opts: { yaraPath: string; yaracPath: string; workDir: string; signal: AbortSignal },
  ): Promise<YaraEngine> {
    const args: string[] = [];
    for (const [i, set] of sets.entries()) {
      const file = join(opts.workDir, `rules-${i}.yar`);
      await writeFile(file, set.source);
      args.push(`r${i}:${file}`);
    }
    const compiled = join(opts.workDir, 'rules.yarc');
    const res = await run(opts.yaracPath, [...args, compiled], opts.signal, null);
    if (res.code !== 0) {
      const first = res.stderr.split('\n').find((l) => /(^|: )error\b/.test(l)) ?? res.stderr.trim();
      const at = /rules-(\d+)\.yar\((\d+)\)/.exec(first);
      const setName = at ? (sets[Number(at[1])]?.name ?? '?') : '?';
      const detail = first.replace(/^.*?rules-\d+\.yar\(\d+\):\s*/, '').replace(/^error:\s*/, '');
      throw new YaraRulesError(
        `YARA rule set "${setName}" does not compile${at ? ` (line ${at[2]})` : ''}: ${detail}. ` +
          'Fix the rule and start the scan again.',
        { ruleSet: setName, line: at ? Number(at[2]) : null, yarac: res.stderr.trim() },
      );
    }
    return new YaraEngine(
      opts.yaraPath,
      compiled,
      opts.workDir,
      sets.map((s) => ruleSeverities(s.source)),
    );
  }

  severityOf(match: YaraMatch): Detection['severity'] {
    return this.severities[match.ruleSet]?.get(match.rule) ?? YARA_DEFAULT_SEVERITY;
  }

  /**
   * Scans `paths` (absolute; paths containing a newline cannot go in a scan list and are
   * skipped here). Unreadable files are reported by yara on stderr and ignored.
   */
  async scan(paths: readonly string[], signal: AbortSignal, governor: CpuGovernor): Promise<YaraMatch[]> {
    const listed = paths.filter((p) => !p.includes('\n'));
    if (!listed.length) return [];
    const list = join(this.workDir, 'batch.list');
    await writeFile(list, listed.join('\n') + '\n');
    const args = ['-C', '-f', '-e', '-w', '-p', '1', '--scan-list', this.compiled, list];
    const res = await run(this.yaraPath, args, signal, governor);
    if (res.code !== 0) {
      throw new Error(`yara exited with ${res.code}: ${res.stderr.trim().slice(0, 500)}`);
    }
    return parseYaraOutput(res.stdout);
  }
}
