import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActionBatch } from '@quell/contracts';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import type { DatabaseConfig } from '@quell/store';
import { ManualClock } from '@quell/server';
import { createHarness, freshDatabase, postgresAvailable, TEST_DB, type Harness } from './harness.js';
import { enrollFakeAgent, eventually, startStack, type Stack } from './support/agent-stack.js';
import { agentKeyPair, FakeAgent, inventory } from './support/fake-agent.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());
const SHA = 'a'.repeat(64);

/** Enrolls `hostname` directly through the service (no socket); returns its device id. */
async function enroll(h: Harness, hostname: string, deviceGroupId?: string): Promise<string> {
  const t = await h.services.enrollment.createToken(SYSTEM_PRINCIPAL, {
    label: hostname,
    ...(deviceGroupId && { deviceGroupId }),
  });
  const res = await h.services.enrollment.enroll({
    token: t.token,
    publicKey: agentKeyPair().publicKeyB64,
    inventory: inventory(hostname),
  });
  return res.deviceId;
}

describe.skipIf(!enabled)(`action batches through the API (${TEST_DB})`, () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const post = (body: unknown, token = h.adminToken) => h.api('POST', '/api/action-batches', token, body);
  const actionCount = async () => (await h.store.db.selectFrom('actions').select('id').execute()).length;

  it('fans one scan out to the named devices, one action each, linked to the batch', async () => {
    const ids = [await enroll(h, 'web01'), await enroll(h, 'web02')];
    await enroll(h, 'db01');
    const res = await post({
      type: 'run_av_scan',
      select: { devices: [ids[0], 'WEB02'] },
      params: { scope: 'quick' },
      comment: 'sweep',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const batch = res.body as ActionBatch;
    expect(batch).toMatchObject({ type: 'run_av_scan', total: 2, skipped: [], requestComment: 'sweep' });
    expect(batch.counts.queued).toBe(2);
    const list = await h.api('GET', `/api/actions?batchId=${batch.id}`, h.adminToken);
    const targets = (list.body.items as Array<{ target: { id: string }; batchId: string; params: unknown }>)
      .map((a) => {
        expect(a.batchId).toBe(batch.id);
        expect(a.params).toEqual({ scope: 'quick' });
        return a.target.id;
      })
      .sort();
    expect(targets).toEqual(['web01', 'web02']);
    const audit = await h.api('GET', `/api/audit?subject=${batch.id}`, h.adminToken);
    expect(audit.body.items.map((e: { event: string }) => e.event)).toEqual(['action.batch_requested']);
  });

  it('selects a device group and all devices, skipping revoked devices and devices without an agent', async () => {
    const group = await h.api('POST', '/api/device-groups', h.adminToken, {
      name: 'Servers',
      rank: 1,
      rule: { namePattern: 'srv*' },
      automationLevel: 'full',
    });
    expect(group.status, JSON.stringify(group.body)).toBe(201);
    await enroll(h, 'srv1');
    await enroll(h, 'srv2');
    const gone = await enroll(h, 'laptop9');
    await h.services.devices.revoke(SYSTEM_PRINCIPAL, gone, 'lost');
    await h.store.devices.upsertDevices(h.store.db, [
      {
        id: 'dev_alertonly',
        hostname: 'printer',
        os: null,
        tags: '[]',
        device_group_id: 'dg_ungrouped',
        first_seen_at: 1,
        last_seen_at: 1,
      },
    ]);
    const byGroup = await post({ type: 'isolate_device', select: { deviceGroupIds: [group.body.id] } });
    expect(byGroup.status, JSON.stringify(byGroup.body)).toBe(201);
    expect(byGroup.body.total).toBe(2);

    const all = await post({ type: 'run_av_scan', select: { all: true }, params: { scope: 'quick' } });
    expect(all.status, JSON.stringify(all.body)).toBe(201);
    expect(all.body.total).toBe(2);
    expect(all.body.skipped).toEqual(
      expect.arrayContaining([
        { device: 'laptop9', reason: expect.stringMatching(/revoked/) },
        { device: 'printer', reason: expect.stringMatching(/no agent/) },
      ]),
    );
    const batches = await h.api('GET', '/api/action-batches', h.adminToken);
    expect(batches.body.items.map((b: ActionBatch) => b.id)).toEqual([all.body.id, byGroup.body.id]);
  });

  it('builds file targets per device for a file action', async () => {
    await enroll(h, 'ws1');
    await enroll(h, 'ws2');
    const res = await post({
      type: 'collect_file',
      select: { devices: ['ws1', 'ws2'] },
      params: { sha256: SHA.toUpperCase() },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const list = await h.api('GET', `/api/actions?batchId=${res.body.id}`, h.adminToken);
    expect(list.body.items.map((a: { target: unknown }) => a.target)).toEqual(
      expect.arrayContaining([
        { kind: 'file', id: SHA, deviceHostname: 'ws1' },
        { kind: 'file', id: SHA, deviceHostname: 'ws2' },
      ]),
    );
  });

  it.each([
    [{ type: 'run_av_scan', select: {} }, 400, /Select devices/],
    [
      {
        type: 'add_indicator',
        select: { all: true },
        params: { type: 'md5', value: 'x', action: 'block' },
      },
      400,
      /cannot be fanned out/,
    ],
    [
      {
        type: 'run_av_scan',
        select: { devices: ['web01', 'nosuch1', 'nosuch2'] },
        params: { scope: 'quick' },
      },
      404,
      /No device nosuch1, nosuch2; nothing was requested/,
    ],
    [{ type: 'run_av_scan', select: { devices: ['web01'] }, params: { scope: 'everything' } }, 400, /scope/],
    [
      { type: 'run_av_scan', select: { deviceGroupIds: ['dg_nope'] }, params: { scope: 'quick' } },
      404,
      /No device group dg_nope/,
    ],
    [
      { type: 'run_av_scan', select: { devices: ['web01'] }, params: { scope: 'quick' }, extra: 1 },
      400,
      /extra/,
    ],
  ])('refuses %j with %i and writes nothing', async (body, status, message) => {
    await enroll(h, 'web01');
    const before = await actionCount();
    const res = await post(body);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.message).toMatch(message);
    expect(await actionCount()).toBe(before);
    expect((await h.api('GET', '/api/action-batches', h.adminToken)).body.items).toEqual([]);
  });

  it('refuses a device outside a scoped responder’s groups, and `all` covers only their groups', async () => {
    const mine = await h.api('POST', '/api/device-groups', h.adminToken, {
      name: 'Mine',
      rank: 1,
      rule: { namePattern: 'mine*' },
      automationLevel: 'full',
    });
    await enroll(h, 'mine1');
    await enroll(h, 'other1');
    const { token } = await h.login('responder', [mine.body.id]);
    const denied = await post(
      { type: 'run_av_scan', select: { devices: ['other1'] }, params: { scope: 'quick' } },
      token,
    );
    expect(denied.status).toBe(403);
    expect(denied.body.message).toMatch(/other1/);
    const all = await post({ type: 'run_av_scan', select: { all: true }, params: { scope: 'quick' } }, token);
    expect(all.status, JSON.stringify(all.body)).toBe(201);
    expect(all.body.total).toBe(1);
    const viewer = await h.login('viewer');
    expect(
      (await post({ type: 'run_av_scan', select: { all: true }, params: { scope: 'quick' } }, viewer.token))
        .status,
    ).toBe(403);
  });
});

describe.skipIf(!enabled)(`action batches through real agent connections (${TEST_DB})`, () => {
  let db: { config: DatabaseConfig; drop: () => Promise<void> };
  let dataDir: string;
  let s: Stack;
  const agents: FakeAgent[] = [];

  beforeEach(async () => {
    db = await freshDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'quell-batch-'));
    s = await startStack(db.config, dataDir, new ManualClock(Date.now()));
  });
  afterEach(async () => {
    for (const a of agents.splice(0)) await a.disconnect();
    await s.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function connected(hostname: string, connect = true): Promise<FakeAgent> {
    const { agent } = await enrollFakeAgent(s, hostname);
    agents.push(agent);
    if (connect) await agent.connect();
    return agent;
  }

  it('delivers every action of a batch to its agent and counts them per status, the offline one waiting', async () => {
    const online = [];
    for (let i = 0; i < 12; i++) online.push(await connected(`fleet${String(i).padStart(2, '0')}`));
    const away = await connected('fleet-away', false);
    const batch = await s.services.actionBatches.request(SYSTEM_PRINCIPAL, {
      type: 'run_av_scan',
      select: { all: true },
      params: { scope: 'quick' },
    });
    expect(batch.total).toBe(13);
    const done = await eventually(
      () => s.services.actionBatches.get(batch.id),
      (b) => b.counts.succeeded === 12,
      10_000,
    );
    expect(done.counts.queued).toBe(1);
    for (const a of online) {
      const commands = a.received.filter((m) => m.type === 'command');
      expect(commands).toHaveLength(1);
    }
    await away.connect();
    const all = await eventually(
      () => s.services.actionBatches.get(batch.id),
      (b) => b.counts.succeeded === 13,
      10_000,
    );
    expect(all.counts.queued).toBe(0);
  });
});
