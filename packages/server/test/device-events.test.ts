import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  DeviceEvent,
  EventsAckMessage,
  FileObservedEvent,
  IndicatorActionResult,
} from '@quell/contracts';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import type { DatabaseConfig } from '@quell/store';
import { ManualClock } from '@quell/server';
import { freshDatabase, postgresAvailable, TEST_DB } from './harness.js';
import { enrollFakeAgent, eventually, startStack, type Stack } from './support/agent-stack.js';
import type { FakeAgent } from './support/fake-agent.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());
const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const SHA_C = 'c'.repeat(64);

/**
 * Device events (issue 4) from a connected agent over the real gateway: file observations land
 * on the file page, denials, a helper failing open and remediations become alerts, repeats are
 * folded, bad batches are refused whole and a flooding device is told to come back later.
 */
describe.skipIf(!enabled)(`device events (${TEST_DB})`, () => {
  let db: { config: DatabaseConfig; drop: () => Promise<void> };
  let dataDir: string;
  let clock: ManualClock;
  let s: Stack;
  let agent: FakeAgent;
  let seq = 0;

  beforeEach(async () => {
    db = await freshDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'quell-events-'));
    clock = new ManualClock(Date.now());
    s = await startStack(db.config, dataDir, clock, { events: { rate: { perSecond: 10, burst: 1000 } } });
    ({ agent } = await enrollFakeAgent(s, 'ws01'));
    await agent.connect();
  });
  afterEach(async () => {
    await agent.disconnect();
    await s.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Sends a batch and waits for its ack. */
  async function send(events: unknown[], batchId = `b${++seq}`, dropped = 0): Promise<EventsAckMessage> {
    agent.send({ type: 'events', batchId, events, dropped } as never);
    return ackOf(batchId);
  }
  async function ackOf(batchId: string): Promise<EventsAckMessage> {
    const found = await eventually(
      () => agent.received.find((m) => m.type === 'events_ack' && m.batchId === batchId),
      (m) => m !== undefined,
    );
    return found as EventsAckMessage;
  }
  const alerts = () => s.store.db.selectFrom('alerts').selectAll().orderBy('created_at').execute();
  const page = (sha: string) => s.services.files.get(SYSTEM_PRINCIPAL, sha);
  const observed = (over: Partial<FileObservedEvent> = {}): FileObservedEvent => ({
    kind: 'file_observed',
    source: 'exec',
    path: '/usr/local/bin/tool',
    sha256: SHA_A,
    sha1: null,
    md5: null,
    size: 1234,
    user: 'alice',
    at: clock.now(),
    ...over,
  });
  const denied = (over: Partial<DeviceEvent & { kind: 'exec_denied' }> = {}): DeviceEvent => ({
    kind: 'exec_denied',
    path: '/tmp/dropper',
    pid: 4242,
    sha256: SHA_B,
    reason: 'untrusted',
    indicatorId: null,
    at: clock.now(),
    ...over,
  });

  it('records executed images as sightings: the file page shows the device, path, source and times', async () => {
    const t0 = clock.now();
    expect((await send([observed({ at: t0 })])).status).toBe('accepted');
    expect((await send([observed({ at: t0 + 60_000, path: '/opt/tool' })])).status).toBe('accepted');
    const p = await page(SHA_A);
    expect(p.file).toMatchObject({ sha256: SHA_A, size: 1234, deviceCount: 1 });
    expect(p.devices).toHaveLength(1);
    expect(p.devices[0]).toMatchObject({ hostname: 'ws01', sources: ['executed'] });
    expect(p.devices[0]!.paths.sort()).toEqual(['/opt/tool', '/usr/local/bin/tool']);
    expect(Date.parse(p.devices[0]!.firstSeenAt)).toBe(t0);
    expect(Date.parse(p.devices[0]!.lastSeenAt)).toBe(t0 + 60_000);
    expect(await alerts()).toHaveLength(0);
  });

  it('turns a loop of denials of one file into one medium alert with the file and device entities', async () => {
    const loop = Array.from({ length: 300 }, (_, i) => denied({ pid: 1000 + i, at: clock.now() + i }));
    expect((await send(loop)).status).toBe('accepted');
    expect((await send(loop.slice(0, 50))).status).toBe('accepted');
    const rows = await alerts();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ severity: 'medium', detection_source: 'quell-agent' });
    expect(rows[0]!.title).toBe('Blocked execution of dropper');
    expect(rows[0]!.description).toContain('app execution is restricted');
    const p = await page(SHA_B);
    expect(p.alerts.map((a) => a.alertId)).toEqual([rows[0]!.id]);
    expect(p.devices[0]).toMatchObject({ hostname: 'ws01', paths: ['/tmp/dropper'] });

    // Another file is another alert; the same file an hour later is a new one.
    await send([denied({ sha256: SHA_C, path: '/tmp/other' })]);
    await send([denied({ at: clock.now() + 3_600_000 })]);
    expect(await alerts()).toHaveLength(3);
  });

  it('takes the severity of the block indicator that denied the execution', async () => {
    const created = (await s.services.indicators.create(SYSTEM_PRINCIPAL, {
      type: 'sha256',
      value: SHA_C,
      action: 'block',
      severity: 'high',
      title: 'Ransomware loader',
      comment: 'test',
    })) as IndicatorActionResult;
    const indicatorId = created.indicator?.id ?? '';
    expect(indicatorId).not.toBe('');
    await send([denied({ sha256: SHA_C, reason: 'blocked_indicator', indicatorId })]);
    const [row] = await alerts();
    expect(row).toMatchObject({ severity: 'high', category: 'Malware' });
    expect(row!.description).toContain('Ransomware loader');
  });

  it('raises a high alert when the exec-control helper fails open, and a remediation alert on the file page', async () => {
    await send([
      { kind: 'exec_control_failed_open', error: 'helper exited with signal SIGKILL', at: clock.now() },
      {
        kind: 'remediated',
        path: '/home/bob/evil.bin',
        sha256: SHA_A,
        indicatorId: null,
        quarantineId: 'q-1',
        outcome: 'quarantined',
        error: null,
        at: clock.now(),
      },
    ]);
    const rows = await alerts();
    expect(rows.map((r) => [r.title, r.severity]).sort()).toEqual([
      ['Execution control failed open on ws01', 'high'],
      ['Remediated evil.bin: quarantined', 'medium'],
    ]);
    const p = await page(SHA_A);
    expect(p.alerts.map((a) => a.title)).toEqual(['Remediated evil.bin: quarantined']);
    expect(p.devices[0]?.paths).toEqual(['/home/bob/evil.bin']);
  });

  it.each([
    ['a SHA-256 that is not hex', { sha256: 'z'.repeat(64) }, '/events/1/sha256'],
    ['a path over 4096 characters', { path: `/${'x'.repeat(5000)}` }, '/events/1/path'],
    ['an unknown source', { source: 'guess' }, '/events/1/source'],
  ])('rejects a batch with %s whole, saying why, and writes nothing of it', async (_what, bad, where) => {
    const ack = await send([observed({ sha256: SHA_C }), observed(bad as Partial<FileObservedEvent>)]);
    expect(ack.status).toBe('rejected');
    expect(ack.error).toContain(where);
    await expect(page(SHA_C)).rejects.toThrow(/has not seen/);
    // The connection stays usable.
    expect((await send([observed({ sha256: SHA_C })])).status).toBe('accepted');
  });

  it('rejects a batch over the size bound', async () => {
    const big = Array.from({ length: 501 }, (_, i) => observed({ path: `/bin/t${i}` }));
    const ack = await send(big);
    expect(ack).toMatchObject({ status: 'rejected' });
    expect(ack.error).toMatch(/events/);
    await expect(page(SHA_A)).rejects.toThrow(/has not seen/);
  });

  it('tells a device over its event rate to send again later, and takes the batch once tokens are back', async () => {
    const batch = (n: number) => Array.from({ length: n }, (_, i) => observed({ path: `/bin/t${i}` }));
    expect((await send(batch(500))).status).toBe('accepted');
    expect((await send(batch(400))).status).toBe('accepted');
    const over = await send(batch(300), 'over');
    expect(over.status).toBe('retry');
    expect(over.retryAfterMs).toBeGreaterThan(0);
    clock.advance(over.retryAfterMs!);
    expect((await send(batch(300), 'over-again')).status).toBe('accepted');
  });
});
