import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IndicatorActionResult } from '@quell/contracts';
import { createHarness, postgresAvailable, TEST_DB, type Harness } from './harness.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());

/**
 * Undoing an `add_indicator` removes what the indicator is now, also after its scope was
 * changed (a scope change gives it a new id and leaves a tombstone that names its successor).
 */
describe.skipIf(!enabled)(`indicator undo after a scope change (${TEST_DB})`, () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    h.services.dispatcher.start(20);
  });
  afterEach(async () => {
    await h.services.indicators.stop();
    await h.services.dispatcher.stop();
    await h.close();
  });

  const group = async (name: string) => {
    const r = await h.api('POST', '/api/device-groups', h.adminToken, {
      name,
      rank: 1,
      rule: { namePattern: `${name.toLowerCase()}*` },
      automationLevel: 'full',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id as string;
  };
  const status = async (actionId: string) =>
    (await h.api('GET', `/api/actions/${actionId}`, h.adminToken)).body as {
      status: string;
      result: Record<string, unknown> | null;
    };
  const settle = async (actionId: string, want: string[]) => {
    for (let i = 0; i < 250; i++) {
      const a = await status(actionId);
      if (want.includes(a.status)) return a;
      await new Promise((r) => setTimeout(r, 20));
    }
    return status(actionId);
  };

  const add = async (type: string, value: string) =>
    (await h.api('POST', '/api/indicators', h.adminToken, { type, value, action: 'block' }))
      .body as IndicatorActionResult;
  const rescope = (id: string, deviceGroupIds: string[]) =>
    h.api('PATCH', `/api/indicators/${id}`, h.adminToken, { deviceGroupIds });
  /** Undoes an action through the API and waits for the undo to end. */
  const undo = async (actionId: string) => {
    const res = await h.api('POST', `/api/actions/${actionId}/undo`, h.adminToken, {});
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return settle(res.body.id as string, ['succeeded', 'failed']);
  };

  it('removes the indicator under its new scope and id, and says so in the undo result', async () => {
    const web = await group('Web');
    const db = await group('Db');
    const added = await add('domain', 'lineage.example');
    const firstId = added.indicator!.id;
    const moved = await rescope(firstId, [web]);
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const again = await rescope(moved.body.id as string, [web, db]);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    const nowId = again.body.id as string;
    expect(nowId).not.toBe(firstId);

    const done = await undo(added.action.id);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(done.result).toMatchObject({ indicatorId: nowId, removed: true });
    expect((await settle(added.action.id, ['undone'])).status).toBe('undone');
    expect((await h.api('GET', `/api/indicators/${nowId}`, h.adminToken)).status).toBe(404);
    const left = await h.api('GET', '/api/indicators?q=lineage.example', h.adminToken);
    expect(left.body.items).toEqual([]);
  });

  it('after moving back to the first scope, undo removes the revived indicator', async () => {
    const web = await group('Web');
    const added = await add('ipv4', '198.51.100.23');
    const firstId = added.indicator!.id;
    const moved = await rescope(firstId, [web]);
    const back = await rescope(moved.body.id as string, []);
    expect(back.body.id).toBe(firstId);

    const done = await undo(added.action.id);
    expect(done.result).toMatchObject({ indicatorId: firstId, removed: true });
    const left = await h.api('GET', '/api/indicators?q=198.51.100.23', h.adminToken);
    expect(left.body.items).toEqual([]);
  });

  it('a plain remove by type, value and the old scope does not follow the move', async () => {
    const web = await group('Web');
    const added = await add('domain', 'stays.example');
    const moved = await rescope(added.indicator!.id, [web]);
    const req = await h.api('POST', '/api/actions', h.adminToken, {
      type: 'remove_indicator',
      target: { kind: 'indicator', id: 'stays.example' },
      params: { type: 'domain', value: 'stays.example' },
    });
    expect(req.status, JSON.stringify(req.body)).toBe(201);
    const done = await settle(req.body.id as string, ['succeeded', 'failed']);
    expect(done.result).toMatchObject({ removed: false });
    expect((await h.api('GET', `/api/indicators/${moved.body.id as string}`, h.adminToken)).status).toBe(200);
  });
});
