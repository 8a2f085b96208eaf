import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Action, DeviceQuarantinedFile } from '@quell/contracts';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import { createHarness, HOUR, postgresAvailable, T0, TEST_DB, type Harness } from './harness.js';
import { agentKeyPair, inventory } from './support/fake-agent.js';

// GET /api/devices/:id/quarantined-files: the device page's list of files in its quarantine vault.

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const A = sha('sample a');
const B = sha('sample b');

async function enroll(h: Harness, hostname: string): Promise<void> {
  const t = await h.services.enrollment.createToken(SYSTEM_PRINCIPAL, { label: hostname });
  await h.services.enrollment.enroll({
    token: t.token,
    publicKey: agentKeyPair().publicKeyB64,
    inventory: inventory(hostname),
  });
}

async function drive(h: Harness, id: string, to: 'succeeded' | 'failed'): Promise<void> {
  const a = (await h.api('GET', `/api/actions/${id}`, h.adminToken)).body as Action;
  if (a.status === 'pending_approval') await h.api('POST', `/api/actions/${id}/approve`, h.adminToken, {});
  for (const step of ['dispatched', to] as const) {
    await h.store.transaction(async (trx) => {
      const row = await h.store.actions.get(trx, id);
      await h.services.actions.transition(trx, row!, step, 'test-executor', `test moved to ${step}`);
    });
  }
}

describe.skipIf(!enabled)(`files quarantined on a device (${TEST_DB})`, () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    for (const host of ['ws1', 'ws2']) await enroll(h, host);
    const at = new Date(T0 - HOUR).toISOString();
    await h.services.files.record([
      { sha256: A, device: 'ws1', path: '/tmp/a.sh', source: 'executed', at },
      { sha256: A, device: 'ws2', path: '/tmp/a.sh', source: 'executed', at },
      { sha256: B, device: 'ws1', path: '/opt/b', source: 'executed', at },
    ]);
  });
  afterEach(async () => {
    await h.close();
  });

  const quarantine = async (file: string, devices: string[]): Promise<Action[]> => {
    const r = await h.api('POST', `/api/files/${file}/quarantine`, h.adminToken, { devices });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return (await h.api('GET', `/api/actions?batchId=${r.body.id}`, h.adminToken)).body.items as Action[];
  };
  const list = async (device: string, query = '') => {
    const r = await h.api('GET', `/api/devices/${device}/quarantined-files${query}`, h.adminToken);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return (r.body.items as DeviceQuarantinedFile[]).map((f) => [f.sha256, f.state, f.path]);
  };

  it('lists the files in the vault of that device only, following restores', async () => {
    const [a1] = await quarantine(A, ['ws1']);
    const [b1] = await quarantine(B, ['ws1']);
    await quarantine(A, ['ws2']);
    expect(new Set(await list('ws1'))).toEqual(
      new Set([
        [A, 'quarantining', '/tmp/a.sh'],
        [B, 'quarantining', '/opt/b'],
      ]),
    );
    await drive(h, a1!.id, 'succeeded');
    await drive(h, b1!.id, 'failed');
    // A failed quarantine put nothing in the vault: shown only with all=true.
    expect(await list('ws1')).toEqual([[A, 'quarantined', '/tmp/a.sh']]);
    expect(await list('ws1', '?all=true')).toHaveLength(2);

    const restore = await h.api('POST', `/api/files/${A}/restore`, h.adminToken, { devices: ['ws1'] });
    expect(restore.status, JSON.stringify(restore.body)).toBe(201);
    expect(await list('ws1')).toEqual([[A, 'restoring', '/tmp/a.sh']]);
    await drive(h, restore.body.actions[0].id, 'succeeded');
    expect(await list('ws1')).toEqual([]);
    // ws2's quarantine of the same file is its own.
    expect(await list('ws2')).toEqual([[A, 'quarantining', '/tmp/a.sh']]);
  });

  it('answers 404 for an unknown device and 400 for a bad query', async () => {
    const missing = await h.api('GET', '/api/devices/nope/quarantined-files', h.adminToken);
    expect(missing.status).toBe(404);
    const bad = await h.api('GET', '/api/devices/ws1/quarantined-files?all=maybe', h.adminToken);
    expect(bad.status).toBe(400);
  });
});
