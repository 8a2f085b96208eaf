import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmd } from './support/requirements.js';
import { EICAR, YARA_MARKER } from './scan.fixtures.js';
import { createStack, e2eMissing, sleep, type Stack } from './support/e2e-stack.js';

/**
 * One-shot jobs end to end with the real agent and server: an AV scan whose detections become
 * alerts, an investigation package downloaded through the API, and a server restart in the
 * middle of a running scan.
 */
const missing = e2eMissing([cmd('yara', 'yara'), cmd('unzip', 'unzip')]);
const FILLER_FILES = 3000;

const RULE = `rule Quell_E2E_Marker {
  meta:
    severity = "high"
  strings:
    $a = "${YARA_MARKER}"
  condition:
    $a
}
`;

function prepareFs(root: string): void {
  writeFileSync(join(root, 'tmp/eicar.com'), EICAR);
  writeFileSync(join(root, 'tmp/dropper.sh'), `#!/bin/sh\n# ${YARA_MARKER}\n`);
  // Enough files that a scan runs long enough to watch its progress and restart the server.
  for (let d = 0; d < FILLER_FILES / 100; d++) {
    const dir = join(root, `tmp/filler/d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 100; f++) writeFileSync(join(dir, `f${f}.txt`), `clean file ${d}/${f}\n`.repeat(64));
  }
}

describe.skipIf(missing.length)('e2e: scans and investigation packages with a real agent', () => {
  let s: Stack;

  beforeAll(async () => {
    s = await createStack({ prepareFs });
    // Slow enough to observe: a low CPU share for the scanner.
    await s.agent.stop();
    s.agent.patchConfig({
      scan: { ...(s.agent.readConfig().scan as object), cpuLimit: 0.25 },
    });
    s.agent.start();
    await s.waitOnline(20_000);
    const rule = await s.server.ok('POST', '/api/yara-rules', { name: 'e2e-marker', source: RULE });
    expect(rule.name).toBe('e2e-marker');
  });
  afterAll(async () => {
    await s?.close();
  });

  /** Every alert, through the incidents API, that came from scan `actionId`. */
  async function detectionAlerts(actionId: string): Promise<any[]> {
    const list = await s.server.ok('GET', '/api/incidents?limit=100');
    const out: any[] = [];
    for (const inc of list.items) {
      const detail = await s.server.ok('GET', `/api/incidents/${inc.id}`);
      for (const al of detail.alerts) if (String(al.externalId).startsWith(`${actionId}:`)) out.push(al);
    }
    return out;
  }

  it('runs a quick scan with live progress; detections become alerts with file entities', async () => {
    const req = await s.request('run_av_scan', { scope: 'quick' });
    const progress: unknown[] = [];
    let a: any;
    for (const end = Date.now() + 120_000; Date.now() < end;) {
      a = await s.action(req.id);
      if (a.status === 'running' && a.progress) progress.push(a.progress);
      if (['succeeded', 'failed'].includes(a.status)) break;
      await sleep(20);
    }
    expect(a.status, JSON.stringify(a)).toBe('succeeded');
    expect(progress.length, 'progress was never seen while running').toBeGreaterThan(0);
    expect(progress[0]).toMatchObject({ done: expect.any(Number) });
    expect(a.result).toMatchObject({ detections: 2 });
    expect(a.result.filesScanned).toBeGreaterThanOrEqual(FILLER_FILES + 2);
    expect(a.result.engines).toEqual(expect.arrayContaining(['hash', 'yara']));

    // Detections become alerts (external id `<action>:detection:<n>`) in the incident queue.
    const alerts = await detectionAlerts(req.id);
    expect(alerts.map((al) => al.externalId).sort()).toEqual([0, 1].map((i) => `${req.id}:detection:${i}`));
    expect(alerts.map((al) => al.title).sort()).toEqual([
      'Malware detected: EICAR-Test-File',
      'Malware detected: Quell_E2E_Marker',
    ]);
    const files = alerts.map((al) => al.entities.find((e: any) => e.kind === 'file'));
    expect(files.map((f) => f?.evidence.path).sort()).toEqual(['/tmp/dropper.sh', '/tmp/eicar.com']);
    for (const al of alerts) {
      expect(al.entities.find((e: any) => e.kind === 'device')?.evidence).toMatchObject({
        deviceId: s.deviceId,
      });
      // The single-alert route shows the same alert.
      expect((await s.server.ok('GET', `/api/alerts/${al.id}`)).externalId).toBe(al.externalId);
    }
  });

  it('collects an investigation package; the download is a zip whose summary.json lists items', async () => {
    const req = await s.request('collect_investigation_package');
    const done = await s.waitAction(req.id, ['succeeded', 'failed'], 120_000, 200);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(done.result.items).toBeGreaterThan(0);
    const res = await s.server.fetch('GET', `/api/actions/${req.id}/package`);
    expect(res.status).toBe(200);
    const zip = Buffer.from(await res.arrayBuffer());
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    expect(zip.length).toBe(done.result.sizeBytes);
    const file = join(s.dir, 'package.zip');
    writeFileSync(file, zip);
    const summary = JSON.parse(execFileSync('unzip', ['-p', file, 'summary.json'], { encoding: 'utf8' }));
    expect(summary.format).toBe('quell-investigation/1');
    expect(summary.items.length).toBeGreaterThan(0);
    expect(summary.items.some((i: any) => i.status === 'collected')).toBe(true);
  });

  it('survives a server restart in the middle of a scan: the action succeeds exactly once', async () => {
    const req = await s.request('run_av_scan', { scope: 'quick' });
    await s.waitAction(req.id, ['running', 'succeeded', 'failed'], 20_000, 20);
    const mid = await s.action(req.id);
    expect(mid.status, 'the scan finished before the restart; make it slower').toBe('running');

    await s.server.stop();
    await sleep(1000);
    await s.server.start();
    await s.waitOnline(30_000);
    const done = await s.waitAction(req.id, ['succeeded', 'failed'], 120_000, 200);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(done.result).toMatchObject({ detections: 2 });
    expect(done.attempts).toBe(1);
    const tl = done.timeline as { to: string }[];
    expect(tl.filter((e) => e.to === 'running')).toHaveLength(1);
    expect(tl.filter((e) => e.to === 'succeeded')).toHaveLength(1);
    expect(tl.filter((e) => e.to === 'dispatched')).toHaveLength(1);
    expect(s.executedRecords(req.id)).toBe(1);
    // The agent's log shows one acceptance of the command.
    const accepted = s.agent.log
      .split('\n')
      .filter((l) => l.includes('action accepted') && l.includes(req.id));
    expect(accepted).toHaveLength(1);
    // Exactly two alerts for it, not one per delivery.
    expect((await detectionAlerts(req.id)).map((al) => al.externalId).sort()).toEqual(
      [0, 1].map((i) => `${req.id}:detection:${i}`),
    );
  });
});
