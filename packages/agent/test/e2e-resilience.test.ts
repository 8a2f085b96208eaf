import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabListener } from './support/netns.js';
import { createStack, e2eMissing, eventually, sleep, type Stack } from './support/e2e-stack.js';

/**
 * The real agent against a real server when things go wrong: the agent killed mid-isolation,
 * actions requested while it is away, an action whose TTL runs out, and a revoked device.
 */
const missing = e2eMissing();
const HOUR = 3_600_000;

describe.skipIf(missing.length)('e2e: agent crashes, offline devices, expiry and revocation', () => {
  let s: Stack;
  let listener: LabListener;
  let peer: string;

  beforeAll(async () => {
    s = await createStack();
    peer = s.lab.ip('peer');
    listener = await s.lab.listen('peer', 8080);
  });
  afterAll(async () => {
    listener?.close();
    await s?.close();
  });

  const reachesPeer = () => s.lab.canConnect('dev', peer, 8080, 700);
  const timeOf = (a: any, to: string): number | null => {
    const e = (a.timeline as { at: string; to: string }[]).find((x) => x.to === to);
    return e ? Date.parse(e.at) : null;
  };

  it('keeps isolation in force while the agent is killed with SIGKILL, and reports it after restart', async () => {
    const req = await s.request('isolate_device', { mode: 'full' });
    expect((await s.waitAction(req.id, ['succeeded', 'failed'], 30_000)).status).toBe('succeeded');
    expect(await reachesPeer()).toBe(false);

    await s.agent.stop('SIGKILL');
    const gapStart = Date.now();
    // During the gap: the table stays, peer stays unreachable.
    expect(await s.tableExists()).toBe(true);
    expect(await reachesPeer()).toBe(false);
    await eventually(s.device, (d) => d.health === 'offline', 15_000, 'device offline');
    expect(await s.tableExists()).toBe(true);
    expect(await reachesPeer()).toBe(false);

    s.agent.start();
    const dev = await eventually(
      s.device,
      (d) => d.health === 'online' && Date.parse(d.isolation.checkedAt) > gapStart,
      20_000,
      'online with a fresh check after restart',
    );
    expect(dev.isolation).toMatchObject({ state: 'on', actionId: req.id });
    expect(dev.isolation.evidence).toMatch(/\S/);
    expect(await reachesPeer()).toBe(false);
    // Ran once: the restart did not run the isolation action again.
    expect((await s.action(req.id)).attempts).toBe(1);

    const rel = await s.request('release_device');
    expect((await s.waitAction(rel.id, ['succeeded', 'failed'], 30_000)).status).toBe('succeeded');
    expect(await reachesPeer()).toBe(true);
  });

  it('queues an action for an offline device and runs it within 5 s of the agent coming back', async () => {
    await s.agent.stop('SIGKILL');
    await eventually(s.device, (d) => d.health === 'offline', 15_000, 'device offline');
    const req = await s.request('isolate_device', { mode: 'full' });
    await sleep(3000);
    const waiting = await s.action(req.id);
    expect(waiting.status).toBe('queued');
    expect(waiting.attempts).toBe(0);
    expect(waiting.error ?? '').toMatch(/offline/);
    expect(s.executedRecords(req.id)).toBe(0);
    expect(await reachesPeer()).toBe(true);

    s.agent.start();
    const started = s.agent.startedAt;
    const online = await eventually(s.device, (d) => d.health === 'online', 20_000, 'device online', 25);
    const onlineAt = Date.now();
    const done = await s.waitAction(req.id, ['succeeded', 'failed'], 30_000, 50);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(online.health).toBe('online');
    const running = timeOf(done, 'running');
    const succeeded = timeOf(done, 'succeeded');
    expect(running).not.toBeNull();
    // Started running within 5 s of the device showing online; finished within 5 s of the agent
    // process starting plus its start-up (node start, key load, TLS, hello): allow 10 s in all.
    expect(running! - onlineAt).toBeLessThan(5000);
    expect(succeeded! - started).toBeLessThan(10_000);
    expect(done.attempts).toBe(1);
    expect(await reachesPeer()).toBe(false);

    const rel = await s.request('release_device');
    expect((await s.waitAction(rel.id, ['succeeded', 'failed'], 30_000)).status).toBe('succeeded');
    expect(await reachesPeer()).toBe(true);
  });

  it('expires an action whose TTL passes while the device is away, and never runs it', async () => {
    await s.agent.stop('SIGKILL');
    await eventually(s.device, (d) => d.health === 'offline', 15_000, 'device offline');
    const req = await s.request('isolate_device', { mode: 'full' }, { ttlHours: 1 });
    expect(Date.parse(req.expiresAt) - Date.parse(req.createdAt)).toBe(HOUR);
    // The server's clock runs past the TTL (the API's minimum is one hour).
    s.server.clock.offsetMs = HOUR + 60_000;
    let expired: any;
    try {
      expired = await s.waitAction(req.id, ['expired', 'succeeded', 'failed'], 10_000);
    } finally {
      s.server.clock.offsetMs = 0;
    }
    expect(expired.status).toBe('expired');
    expect(expired.attempts).toBe(0);

    s.agent.start();
    await eventually(s.device, (d) => d.health === 'online', 20_000, 'device online');
    await sleep(2000);
    const after = await s.action(req.id);
    expect(after.status).toBe('expired');
    expect(timeOf(after, 'running')).toBeNull();
    expect(s.executedRecords(req.id)).toBe(0);
    expect((await s.device()).isolation.state).toBe('off');
    expect(await s.tableExists()).toBe(false);
    expect(await reachesPeer()).toBe(true);
  });

  it('revocation disconnects the agent within 5 s and refuses it from then on (exit 78)', async () => {
    expect(s.agent.running).toBe(true);
    const exit = s.agent.exit!;
    const t0 = Date.now();
    const revoked = await s.server.ok('POST', `/api/devices/${s.deviceId}/revoke`, { comment: 'e2e' });
    expect(revoked.revokedAt).not.toBeNull();
    const res = await Promise.race([exit, sleep(5000).then(() => null)]);
    expect(res, `agent still running 5 s after revocation; log:\n${s.agent.log.slice(-2000)}`).not.toBeNull();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(res!.code).toBe(78);
    expect(s.agent.log).toMatch(/revoked/i);

    // Started again, it is refused and exits 78 again; the device stays offline.
    s.agent.log = '';
    s.agent.start();
    const again = await Promise.race([s.agent.exit!, sleep(15_000).then(() => null)]);
    expect(again, `restarted agent not refused; log:\n${s.agent.log.slice(-2000)}`).not.toBeNull();
    expect(again!.code).toBe(78);
    const dev = await s.device();
    expect(dev.health).toBe('offline');
    expect(dev.revokedAt).not.toBeNull();
  });
});
