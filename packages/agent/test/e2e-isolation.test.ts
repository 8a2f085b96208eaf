import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT as ROOT_NODE, type LabListener } from './support/netns.js';
import { createStack, e2eMissing, eventually, sleep, type Stack } from './support/e2e-stack.js';

/**
 * The real agent in a network namespace against a real server: isolation as a user sees it
 * through the API (action status, verified device state) and as the network sees it.
 */
const missing = e2eMissing();

describe.skipIf(missing.length)('e2e: isolation with a real agent and server', () => {
  let s: Stack;
  let open: LabListener;
  let closed: LabListener;
  let peer: string;

  beforeAll(async () => {
    s = await createStack();
    peer = s.lab.ip('peer');
    open = await s.lab.listen('peer', 8080);
    closed = await s.lab.listen('peer', 8081);
  });
  afterAll(async () => {
    open?.close();
    closed?.close();
    await s?.close();
  });

  const reachesPeer = (port = 8080) => s.lab.canConnect('dev', peer, port, 700);

  it('isolates fully, keeps the agent connected, and releases through undo', async () => {
    expect(await reachesPeer()).toBe(true);
    const req = await s.request('isolate_device', { mode: 'full' });
    const done = await s.waitAction(req.id, ['succeeded', 'failed'], 30_000);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(done.result).toMatchObject({ verified: true, reachedServer: true });
    expect(done.result.rulesetHash).toMatch(/\S/);

    const dev = await eventually(s.device, (d) => d.isolation.state === 'on', 5000, 'isolation on');
    expect(dev.isolation.actionId).toBe(req.id);
    expect(dev.isolation.evidence).toContain(done.result.rulesetHash);
    expect(await s.tableExists()).toBe(true);
    expect(await reachesPeer()).toBe(false);

    // The agent's own channel stays up: online, and heartbeats keep moving lastSeenAt.
    const seen = Date.parse(dev.lastSeenAt);
    const later = await eventually(
      s.device,
      (d) => Date.parse(d.lastSeenAt) > seen + 1000,
      10_000,
      'heartbeats after isolation',
    );
    expect(later.health).toBe('online');
    expect(s.agent.running).toBe(true);

    const undo = await s.server.ok('POST', `/api/actions/${req.id}/undo`, { comment: 'e2e release' });
    expect(undo.type).toBe('release_device');
    const released = await s.waitAction(undo.id, ['succeeded', 'failed'], 30_000);
    expect(released.status, JSON.stringify(released)).toBe('succeeded');
    await eventually(s.device, (d) => d.isolation.state === 'off', 5000, 'isolation off');
    expect((await s.action(req.id)).status).toBe('undone');
    expect(await reachesPeer()).toBe(true);
    expect(await s.tableExists()).toBe(false);
  });

  it('selective isolation lets exactly the excluded address and port through', async () => {
    expect(await reachesPeer(8081)).toBe(true);
    const req = await s.request('isolate_device', {
      mode: 'selective',
      exclusions: [{ remote: peer, port: 8080, protocol: 'tcp' }],
    });
    const done = await s.waitAction(req.id, ['succeeded', 'failed'], 30_000);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    const dev = await eventually(s.device, (d) => d.isolation.state === 'on', 5000, 'isolation on');
    expect(dev.isolation.isolation).toMatchObject({
      mode: 'selective',
      exclusions: [{ remote: peer, port: 8080, protocol: 'tcp' }],
    });
    expect(await reachesPeer(8080)).toBe(true);
    expect(await reachesPeer(8081)).toBe(false);
    // Another host on the LAN (the root end of the veth) on the same port stays blocked too.
    expect(await s.lab.canConnect('dev', s.lab.ip(ROOT_NODE), 8080, 700)).toBe(false);
  });

  it('re-asserts a deleted table within 5 s and keeps reporting isolation on', async () => {
    expect(await s.tableExists()).toBe(true);
    const del = await s.nft(['delete', 'table', 'inet', s.table]);
    expect(del.code, del.stderr).toBe(0);
    const t0 = Date.now();
    await eventually(
      () => s.tableExists(),
      (x) => x,
      5000,
      'table re-created',
      100,
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await reachesPeer(8081)).toBe(false);
    expect(await reachesPeer(8080)).toBe(true);
    // Still reported on, and freshly checked after the tamper.
    const dev = await eventually(
      s.device,
      (d) => Date.parse(d.isolation.checkedAt) >= t0,
      10_000,
      'a fresh check after the tamper',
    );
    expect(dev.isolation.state).toBe('on');
    expect(dev.health).toBe('online');

    const rel = await s.request('release_device');
    expect((await s.waitAction(rel.id, ['succeeded', 'failed'], 30_000)).status).toBe('succeeded');
    await eventually(s.device, (d) => d.isolation.state === 'off', 5000, 'isolation off');
    expect(await reachesPeer(8081)).toBe(true);
  });

  it('rolls back and fails when isolation cuts the agent off its server', async () => {
    // Right server URL, but the endpoint isolation keeps open points at a wrong port.
    await s.agent.stop();
    const agentPort = s.server.agentPort;
    s.agent.patchConfig({ management: [{ address: s.lab.ip(ROOT_NODE), port: agentPort + 1 }] });
    s.agent.start();
    await s.waitOnline(20_000);
    try {
      const req = await s.request('isolate_device', { mode: 'full' });
      // 30 s rollback window, then a reconnect to report.
      const done = await s.waitAction(req.id, ['succeeded', 'failed'], 90_000, 250);
      expect(done.status, JSON.stringify(done)).toBe('failed');
      expect(done.error).toMatch(/unreachable|rolled back|reach/i);
      expect(await s.tableExists()).toBe(false);
      expect(await reachesPeer(8081)).toBe(true);
      const dev = await eventually(s.device, (d) => d.health === 'online', 20_000, 'back online');
      expect(dev.isolation.state).toBe('off');
    } finally {
      await s.agent.stop();
      s.agent.patchConfig({ management: undefined });
      s.agent.start();
      await sleep(100);
    }
  });
});
