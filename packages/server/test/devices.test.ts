import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import { toJson } from '@quell/store';
import { createHarness, postgresAvailable, TEST_DB, type Harness } from './harness.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());

const agentKey = () =>
  generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

/** Enrolls an agent for `hostname` through a fresh token; returns its device id. */
async function enroll(h: Harness, hostname: string): Promise<string> {
  const t = await h.services.enrollment.createToken(SYSTEM_PRINCIPAL, { label: hostname });
  const res = await h.services.enrollment.enroll({
    token: t.token,
    publicKey: agentKey(),
    inventory: {
      hostname,
      os: 'ubuntu',
      osVersion: '24.04',
      kernel: '6.8.0',
      arch: 'x86_64',
      addresses: ['192.0.2.10'],
      agentVersion: '0.3.0',
      capabilities: [],
    },
  });
  return res.deviceId;
}

describe.skipIf(!enabled)(`devices (${TEST_DB})`, () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('lists an enrolled device as offline until an instance holds its socket, then online, degraded on issues', async () => {
    const id = await enroll(h, 'web01');
    const get = async () => (await h.api('GET', `/api/devices/${id}`, h.adminToken)).body;
    expect(await get()).toMatchObject({
      hostname: 'web01',
      enrolled: true,
      health: 'offline',
      osVersion: '24.04',
      addresses: ['192.0.2.10'],
      connectedAt: null,
      isolation: { state: 'unknown' },
    });
    await h.store.agents.setConnected(h.store.db, id, 'srv-a', h.clock.now());
    expect((await get()).health).toBe('online');
    const state = {
      isolation: { state: 'on', checkedAt: h.clock.now(), actionId: 'act_1', evidence: 'abc', error: null },
      restriction: { state: 'off', checkedAt: h.clock.now(), actionId: null, evidence: null, error: null },
      issues: ['exec helper crashed'],
    };
    await h.store.agents.setAgentState(h.store.db, id, toJson(state), h.clock.now());
    expect(await get()).toMatchObject({
      health: 'degraded',
      issues: ['exec helper crashed'],
      isolation: { state: 'on', actionId: 'act_1' },
    });
    h.clock.advance(h.services.devices.offlineAfterMs + 1);
    expect((await get()).health).toBe('offline');
  });

  it('filters by enrolled, health, group and hostname', async () => {
    await enroll(h, 'web01');
    await enroll(h, 'db01');
    await h.api('POST', '/api/alerts', h.adminToken, {
      title: 'x',
      severity: 'low',
      category: 'Execution',
      detectionSource: 'test',
      firstActivityAt: new Date(h.clock.now()).toISOString(),
      entities: [{ kind: 'device', hostname: 'laptop9' }],
    });
    const names = async (q: string) =>
      (await h.api('GET', `/api/devices${q}`, h.adminToken)).body.items.map((d: any) => d.hostname);
    expect(await names('')).toEqual(['db01', 'laptop9', 'web01']);
    expect(await names('?enrolled=true')).toEqual(['db01', 'web01']);
    expect(await names('?enrolled=false')).toEqual(['laptop9']);
    expect(await names('?health=offline')).toEqual(['db01', 'web01']);
    expect(await names('?health=online')).toEqual([]);
    expect(await names('?q=WEB')).toEqual(['web01']);
    expect(await names('?q=%25')).toEqual([]);
    expect(await names('?deviceGroupId=ungrouped')).toHaveLength(3);
    expect((await h.api('GET', '/api/devices/nope', h.adminToken)).status).toBe(404);
  });

  it('revokes an agent: revokedAt set, health offline, listeners told, audited, second revoke refused', async () => {
    const id = await enroll(h, 'web01');
    await h.store.agents.setConnected(h.store.db, id, 'srv-a', h.clock.now());
    const told: string[] = [];
    h.services.devices.onRevoked((d) => told.push(d));
    const r = await h.api('POST', '/api/devices/web01/revoke', h.adminToken, { comment: 'laptop stolen' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ id, revokedAt: new Date(h.clock.now()).toISOString(), health: 'offline' });
    expect(told).toEqual([id]);
    const audit = await h.api('GET', `/api/audit?subject=${id}`, h.adminToken);
    expect(JSON.stringify(audit.body)).toContain('laptop stolen');
    expect((await h.api('POST', `/api/devices/${id}/revoke`, h.adminToken, {})).status).toBe(409);
    const viewer = await h.login('viewer');
    expect((await h.api('POST', `/api/devices/${id}/revoke`, viewer.token, {})).status).toBe(403);
  });

  it('re-enrolling a revoked device clears the revocation and keeps its id', async () => {
    const id = await enroll(h, 'web01');
    await h.services.devices.revoke(SYSTEM_PRINCIPAL, id);
    expect(await enroll(h, 'web01')).toBe(id);
    expect((await h.api('GET', `/api/devices/${id}`, h.adminToken)).body.revokedAt).toBeNull();
  });

  it('refuses a YARA rule that does not compile with the compiler’s message, and saves a valid one', async () => {
    const bad = await h.api('POST', '/api/yara-rules', h.adminToken, {
      name: 'broken',
      source: 'rule broken { condition: $nope }',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/does not compile: .*nope/);
    const good = await h.api('POST', '/api/yara-rules', h.adminToken, {
      name: 'eicar',
      source: 'rule eicar { strings: $a = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" condition: $a }',
    });
    expect(good.status, JSON.stringify(good.body)).toBe(201);
    const dup = await h.api('POST', '/api/yara-rules', h.adminToken, {
      name: 'eicar',
      source: 'rule other { condition: true }',
    });
    expect(dup.status).toBe(409);
    const list = await h.api('GET', '/api/yara-rules', h.adminToken);
    expect(list.body.items).toEqual([
      expect.objectContaining({ name: 'eicar', createdBy: 'admin@example.com' }),
    ]);
    expect((await h.api('DELETE', `/api/yara-rules/${good.body.id}`, h.adminToken)).status).toBe(200);
    expect((await h.api('DELETE', `/api/yara-rules/${good.body.id}`, h.adminToken)).status).toBe(404);
  });

  it('downloads an action’s investigation package from the blob store, and 404s without one', async () => {
    const req = await h.api('POST', '/api/actions', h.adminToken, {
      type: 'collect_investigation_package',
      target: { kind: 'device', id: 'web01' },
    });
    expect(req.status, JSON.stringify(req.body)).toBe(201);
    const id = req.body.id as string;
    const none = await h.api('GET', `/api/actions/${id}/package`, h.adminToken);
    expect(none.status).toBe(404);
    expect(none.body.message).toMatch(/no investigation package/);
    expect((await h.api('GET', '/api/actions/act_nope/package', h.adminToken)).status).toBe(404);

    const bytes = Buffer.from('PK\u0003\u0004 a zip, as far as this test cares');
    const blob = await h.services.blobs.put(bytes, { contentType: 'application/zip' });
    await h.store.transaction(async (trx) => {
      const row = await h.store.actions.get(trx, id);
      await h.store.actions.update(trx, id, row!.version, { result: toJson({ blobSha256: blob.sha256 }) });
    });
    const res = await h.app.inject({
      method: 'GET',
      url: `/api/actions/${id}/package`,
      headers: { authorization: `Bearer ${h.adminToken}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="quell-package-web01-${id}.zip"`);
    expect(res.rawPayload.equals(bytes)).toBe(true);
    const audit = await h.api('GET', `/api/audit?subject=${id}`, h.adminToken);
    expect(JSON.stringify(audit.body)).toContain('package.downloaded');
  });

  it('stores blobs by content and refuses content that does not match its expected hash', async () => {
    const a = await h.services.blobs.put(Buffer.from('same'));
    const b = await h.services.blobs.put(Buffer.from('same'));
    expect(b).toEqual(a);
    expect(await h.services.blobs.size(a.sha256)).toBe(4);
    await expect(
      h.services.blobs.put(Buffer.from('other'), { expectedSha256: a.sha256 }),
    ).rejects.toMatchObject({
      code: 'QUELL_E_INPUT',
    });
    const w = await h.services.blobs.writer();
    await w.write(Buffer.from('sa'));
    await w.write(Buffer.from('me'));
    expect(await w.finish({ expectedSha256: a.sha256 })).toEqual(a);
    expect(await h.services.blobs.has('0'.repeat(64))).toBe(false);
  });

  it('records action progress and wakes queued actions for a device that comes back', async () => {
    const req = await h.api('POST', '/api/actions', h.adminToken, {
      type: 'collect_investigation_package',
      target: { kind: 'device', id: 'WEB01' },
    });
    const id = req.body.id as string;
    const devId = await enroll(h, 'web01');
    await h.store.actions.setProgress(h.store.db, id, {
      done: 3,
      total: 10,
      message: 'hashing',
      at: h.clock.now(),
    });
    const a = (await h.api('GET', `/api/actions/${id}`, h.adminToken)).body;
    expect(a.progress).toEqual({
      done: 3,
      total: 10,
      message: 'hashing',
      at: new Date(h.clock.now()).toISOString(),
    });
    const woken = await h.store.actions.wakeQueuedForDevice(
      h.store.db,
      { id: devId, hostname: 'web01' },
      h.clock.now(),
    );
    expect(woken.map((r) => r.id)).toEqual([id]);
    expect(await h.store.actions.activeForDevice(h.store.db, { id: devId, hostname: 'web01' })).toEqual([]);
  });
});
