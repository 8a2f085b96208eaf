import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import stringify from 'safe-stable-stringify';
import type {
  CollectionReport,
  Collector,
  ExecBlocklist,
  ExecControl,
  ExecControlEvent,
  ExecControlStatus,
  Firewall,
  FirewallReadback,
  IsolationTarget,
  JobContext,
  ScanReport,
  ScanRequest,
  Scanner,
} from '../../src/ports.js';

/** In-memory firewall: holds the last applied target as "the table". */
export class FakeFirewall implements Firewall {
  table: IsolationTarget | null = null;
  readonly calls: string[] = [];

  private hash(t: IsolationTarget): string {
    return createHash('sha256')
      .update(String(stringify(t)))
      .digest('hex');
  }
  private readback(expect: IsolationTarget | null): FirewallReadback {
    const present = this.table !== null;
    const matches = expect ? present && this.hash(this.table!) === this.hash(expect) : !present;
    return { matches, present, rulesetHash: present ? this.hash(this.table!) : null };
  }
  async apply(target: IsolationTarget): Promise<FirewallReadback> {
    this.calls.push('apply');
    this.table = structuredClone(target);
    return this.readback(target);
  }
  async remove(): Promise<FirewallReadback> {
    this.calls.push('remove');
    this.table = null;
    return this.readback(null);
  }
  async read(target: IsolationTarget | null): Promise<FirewallReadback> {
    return this.readback(target);
  }
}

export class FakeExecControl implements ExecControl {
  st: ExecControlStatus = { state: 'off', mode: 'off', helperPid: null, error: null, denied: 0 };
  allow: readonly string[] = [];
  restricted = false;
  blocklist: ExecBlocklist | null = null;
  private readonly listeners = new Set<(e: ExecControlEvent) => void>();
  async enable(opts: { allowSha256: readonly string[] }): Promise<ExecControlStatus> {
    this.allow = opts.allowSha256;
    this.restricted = true;
    return this.update();
  }
  async disable(): Promise<ExecControlStatus> {
    this.restricted = false;
    return this.update();
  }
  async setBlocklist(list: ExecBlocklist | null): Promise<ExecControlStatus> {
    this.blocklist = list;
    return this.update();
  }
  private update(): ExecControlStatus {
    const mode = this.restricted ? 'restricted' : this.blocklist ? 'blocklist' : 'off';
    this.st =
      mode === 'off'
        ? { state: 'off', mode, helperPid: null, error: null, denied: 0 }
        : { state: 'on', mode, helperPid: 4242, error: null, denied: 0 };
    return this.st;
  }
  status(): ExecControlStatus {
    return this.st;
  }
  onEvent(listener: (e: ExecControlEvent) => void): void {
    this.listeners.add(listener);
  }
  emit(e: ExecControlEvent): void {
    for (const l of this.listeners) l(e);
  }
  async close(): Promise<void> {}
}

/**
 * Scanner that reports one fixed detection. `hang` makes it wait for its abort signal (for
 * cancel and timeout tests); `runs` counts real runs (duplicates must not add to it).
 */
export class FakeScanner implements Scanner {
  runs = 0;
  hang = false;
  ignoreAbort = false;
  async scan(req: ScanRequest, ctx: JobContext): Promise<ScanReport> {
    this.runs++;
    for (let i = 1; i <= 5; i++) ctx.progress(i, 5, `scanned ${i}`);
    if (this.hang) {
      await new Promise<void>((resolve, reject) => {
        if (this.ignoreAbort) return;
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        void resolve;
      });
    }
    return {
      filesScanned: req.scope === 'full' ? 1000 : 10,
      filesSkipped: 1,
      detections: [
        {
          path: '/tmp/eicar.com',
          sha256: 'a'.repeat(64),
          size: 68,
          engine: 'yara',
          name: 'EICAR',
          severity: 'high',
        },
      ],
      engines: ['hash', 'yara'],
      durationMs: 12,
    };
  }
}

/** Collector writing a deterministic ~700 KB "zip" (several upload chunks). */
export class FakeCollector implements Collector {
  runs = 0;
  lastZip: string | null = null;
  constructor(private readonly size = 700_000) {}
  async collect(workDir: string, _ctx: JobContext): Promise<CollectionReport> {
    this.runs++;
    const data = Buffer.alloc(this.size);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) % 251;
    const zipPath = join(workDir, 'package.zip');
    await writeFile(zipPath, data);
    this.lastZip = zipPath;
    return {
      zipPath,
      sha256: createHash('sha256').update(data).digest('hex'),
      sizeBytes: data.length,
      items: [
        { name: 'processes.json', source: '/proc', status: 'collected', error: null, bytes: 100 },
        { name: 'auth.log', source: '/var/log/auth.log', status: 'failed', error: 'EACCES', bytes: 0 },
      ],
    };
  }
}
