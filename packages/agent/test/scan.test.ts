import { execFileSync, spawn } from 'node:child_process';
import {
  copyFile,
  appendFile,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobContext, ScanRequest } from '../src/ports.js';
import { FileScanner, ScanAbortedError, YaraRulesError } from '../src/scan/index.js';
import {
  CLAM_PAYLOAD,
  CLAM_SIGNATURE,
  EICAR,
  EICAR_SHA256,
  YARA_MARKER,
  YARA_RULES,
  filler,
  hsbLine,
  put,
  sha256,
  startClamd,
  type TestClamd,
} from './scan.fixtures.js';
import { cmd, requirements } from './support/requirements.js';

const missing = requirements([
  cmd('yara', 'yara'),
  cmd('yarac', 'yara'),
  cmd('clamd', 'clamav-daemon'),
  cmd('mkfifo', 'coreutils'),
]);

const INDICATOR = 'ExecStart=/tmp/.x/miner --pool evil.example\n';

function request(over: Partial<ScanRequest> = {}): ScanRequest {
  return {
    scope: 'quick',
    yaraRules: YARA_RULES,
    hashSignatures: [{ sha256: sha256(INDICATOR), name: 'Test.Indicator', severity: 'high' }],
    cpuLimit: 4,
    ...over,
  };
}

function context(signal = new AbortController().signal) {
  const calls: { done: number; total: number | null }[] = [];
  const ctx: JobContext = { signal, progress: (done, total) => calls.push({ done, total }) };
  return { ctx, calls };
}

/** Detections reduced to what the assertions compare, sorted. */
const found = (ds: readonly { path: string; engine: string; name: string }[]) =>
  ds.map((d) => `${d.engine} ${d.name} ${d.path}`).sort();

describe.skipIf(missing.length)('FileScanner on a temp tree with yara and a private clamd', () => {
  let base: string;
  let root: string;
  let proc: string;
  let clamd: TestClamd;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'quell-scan-test-'));
    root = join(base, 'root');
    proc = join(base, 'proc');
    await put(root, 'tmp/eicar.com', EICAR);
    await put(root, 'var/tmp/eicar-newline.txt', EICAR + '\r\n');
    await put(root, 'home/alice/Downloads/invoice.pdf.sh', `#!/bin/sh\n# ${YARA_MARKER}\n`);
    await put(root, 'etc/cron.d/backup', CLAM_PAYLOAD);
    await put(root, 'etc/systemd/system/miner.service', INDICATOR);
    await put(root, 'home/alice/.cache/thumb.bin', filler(300_000, 7));
    await put(root, 'etc/profile.d/lang.sh', 'export LANG=C.UTF-8\n');
    await put(root, 'tmp/almost-eicar.txt', EICAR + 'x');
    // Outside the quick locations: only a full scan reads these.
    await put(root, 'home/alice/Documents/old-eicar.txt', EICAR);
    await put(root, 'opt/app/notes.txt', 'clean\n');
    // A pseudo filesystem mount (per the fake mountinfo below): never entered.
    await put(root, 'fakeproc/1/environ', EICAR);
    // Neither a symlink nor a FIFO may be followed or opened.
    await symlink('../home/alice/Documents/old-eicar.txt', join(root, 'tmp/link-to-eicar'));
    execFileSync('mkfifo', [join(root, 'tmp/pipe')]);
    await put(proc, 'self/mountinfo', `98 1 0:5 / ${join(root, 'fakeproc')} rw - proc proc rw\n`);
    clamd = await startClamd([hsbLine(CLAM_PAYLOAD, CLAM_SIGNATURE)]);
  });

  afterAll(async () => {
    await clamd?.stop();
    if (base) await rm(base, { recursive: true, force: true });
  });

  const scanner = (over = {}) =>
    new FileScanner({
      fsRoot: root,
      procRoot: proc,
      clamdSocket: clamd.socket,
      progressIntervalMs: 0,
      ...over,
    });

  it('writes the EICAR file the world knows', () => {
    expect(sha256(EICAR)).toBe(EICAR_SHA256);
  });

  it('finds every planted file in a quick scan, with the engine that knows it', async () => {
    const { ctx } = context();
    const report = await scanner().scan(request(), ctx);
    expect(found(report.detections)).toEqual([
      `clamav ${CLAM_SIGNATURE}.UNOFFICIAL /etc/cron.d/backup`,
      'hash EICAR-Test-File /tmp/eicar.com',
      'hash EICAR-Test-File /var/tmp/eicar-newline.txt',
      'hash Test.Indicator /etc/systemd/system/miner.service',
      'yara Quell_Test_Marker /home/alice/Downloads/invoice.pdf.sh',
    ]);
    expect(report.engines).toEqual(['hash', 'yara', 'clamav']);
    expect(report.filesScanned).toBe(8);
    expect(report.filesSkipped).toBe(0);
    const eicar = report.detections.find((d) => d.path === '/tmp/eicar.com');
    expect(eicar).toEqual({
      path: '/tmp/eicar.com',
      sha256: EICAR_SHA256,
      size: 68,
      engine: 'hash',
      name: 'EICAR-Test-File',
      severity: 'medium',
    });
    const bySeverity = Object.fromEntries(report.detections.map((d) => [d.engine, d.severity]));
    expect(bySeverity).toMatchObject({ yara: 'low', clamav: 'high' });
  });

  it('reports progress as files of a known total, rising to the total', async () => {
    const { ctx, calls } = context();
    await scanner().scan(request(), ctx);
    const counted = calls.filter((c) => c.total !== null);
    expect(counted.length).toBeGreaterThanOrEqual(5);
    expect(counted.every((c) => c.total === 8)).toBe(true);
    const dones = counted.map((c) => c.done);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
    expect(dones[0]).toBe(0);
    expect(dones.at(-1)).toBe(8);
  });

  it('covers the whole tree in a full scan but never enters a pseudo filesystem', async () => {
    const { ctx } = context();
    const report = await scanner().scan(request({ scope: 'full' }), ctx);
    const paths = found(report.detections);
    expect(paths).toContain('hash EICAR-Test-File /home/alice/Documents/old-eicar.txt');
    expect(paths.filter((p) => p.includes('fakeproc'))).toEqual([]);
    expect(report.filesScanned).toBe(10);
  });

  it('skips files over the size cap and counts them', async () => {
    const { ctx } = context();
    const report = await scanner({ maxFileBytes: 100_000 }).scan(request(), ctx);
    expect(report.filesSkipped).toBe(1);
    expect(report.filesScanned).toBe(7);
  });

  it('finds nothing in a clean tree', async () => {
    const clean = join(base, 'clean');
    await put(clean, 'tmp/a.txt', 'hello\n');
    await put(clean, 'home/bob/Downloads/b.bin', filler(50_000, 3));
    await put(clean, 'etc/cron.d/c', '* * * * * root true\n');
    const { ctx } = context();
    const report = await scanner({ fsRoot: clean }).scan(request({ scope: 'full' }), ctx);
    expect(report.detections).toEqual([]);
    expect(report.filesScanned).toBe(3);
  });

  it('says clamav was skipped when its socket does not answer', async () => {
    const { ctx } = context();
    const report = await scanner({ clamdSocket: join(base, 'nobody.sock') }).scan(
      request({ yaraRules: [] }),
      ctx,
    );
    expect(report.engines[0]).toBe('hash');
    expect(report.engines[1]).toBe('yara:skipped: no rules');
    expect(report.engines[2]).toMatch(/^clamav:skipped: clamd at .*nobody\.sock did not answer/);
    expect(found(report.detections).every((d) => d.startsWith('hash '))).toBe(true);
  });

  it('refuses rules that do not compile, naming the rule set and line', async () => {
    const { ctx } = context();
    const bad = [YARA_RULES[0]!, { name: 'broken', source: 'rule B {\n  condition: nope\n}\n' }];
    const err = await scanner()
      .scan(request({ yaraRules: bad }), ctx)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(YaraRulesError);
    expect((err as Error).message).toMatch(/"broken" does not compile \(line 2\).*nope/);
  });

  it('scans images of running processes, even deleted ones, by their device path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quell-scan-image-'));
    const image = join(dir, 'dropper');
    await copyFile('/bin/sleep', image);
    await appendFile(image, `\n${YARA_MARKER}\n`);
    execFileSync('chmod', ['755', image]);
    const child = spawn(image, ['60'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      await unlink(image);
      const fakeProc = join(dir, 'proc');
      await mkdir(join(fakeProc, 'self'), { recursive: true });
      await writeFile(join(fakeProc, 'self/mountinfo'), '');
      await symlink(`/proc/${child.pid}`, join(fakeProc, String(child.pid)));
      const { ctx } = context();
      const report = await scanner({ procRoot: fakeProc, includeProcessImages: true }).scan(request(), ctx);
      expect(found(report.detections)).toContain(`yara Quell_Test_Marker ${image}`);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops promptly when aborted and cleans up its temp files', async () => {
    const big = join(base, 'big');
    for (let i = 0; i < 40; i++) await put(big, `tmp/f${i}.bin`, filler(1 << 20, i + 1));
    const before = (await readdir(tmpdir())).filter((n) => n.startsWith('quell-scan-')).length;
    const ac = new AbortController();
    const { ctx, calls } = context(ac.signal);
    const wrapped: JobContext = {
      signal: ac.signal,
      progress: (done, total) => {
        ctx.progress(done, total);
        if (done >= 2) ac.abort();
      },
    };
    const t0 = performance.now();
    const err = await scanner({ fsRoot: big })
      .scan(request({ cpuLimit: 0.05 }), wrapped)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScanAbortedError);
    expect((err as Error).name).toBe('AbortError');
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(calls.at(-1)!.done).toBeLessThan(40);
    const after = (await readdir(tmpdir())).filter((n) => n.startsWith('quell-scan-')).length;
    expect(after).toBe(before);
    expect(await readFile(join(big, 'tmp/f0.bin'))).toHaveLength(1 << 20);
  });
});
