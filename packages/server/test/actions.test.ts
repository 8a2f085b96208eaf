import { createServer, type Server } from 'node:http';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import { alert, createHarness, HOUR, postgresAvailable, TEST_DB, type Harness } from './harness.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());

/** Drives an action to a status by the pipeline's own transitions (as executors will in later issues). */
async function force(
  h: Harness,
  id: string,
  ...path: Array<'dispatched' | 'running' | 'succeeded' | 'failed'>
) {
  for (const to of path) {
    await h.store.transaction(async (trx) => {
      const row = await h.store.actions.get(trx, id);
      await h.services.actions.transition(trx, row!, to, 'test-executor', `test moved to ${to}`);
    });
  }
}

const isolate = (host = 'ws01', extra: Record<string, unknown> = {}) => ({
  type: 'isolate_device',
  target: { kind: 'device', id: host },
  ...extra,
});
const disable = (user = 'CORP\\bob') => ({ type: 'disable_user', target: { kind: 'identity', id: user } });

describe.skipIf(!enabled)(`action pipeline (${TEST_DB})`, () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness({ env: { HOOK_SECRET: 'hook-secret-value' } });
  });
  afterEach(async () => {
    await h.close();
  });

  const request = async (token: string, body: unknown) => h.api('POST', '/api/actions', token, body);

  it('queues a manual action at once and records who asked and why, with its incident', async () => {
    const [res] = (await h.api('POST', '/api/alerts', h.adminToken, alert())).body.results;
    const r = await request(
      h.adminToken,
      isolate('ws01', { incidentId: res.incidentId, comment: 'contain', params: { mode: 'full' } }),
    );
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({
      status: 'queued',
      source: 'manual',
      requestedBy: 'admin@example.com',
      requestComment: 'contain',
      incidentId: res.incidentId,
    });
    expect(r.body.policyStatus).toBe('inactive');
    const detail = (await h.api('GET', `/api/actions/${r.body.id}`, h.adminToken)).body;
    expect(detail.timeline).toEqual([
      expect.objectContaining({ from: null, to: 'queued', actor: 'admin@example.com' }),
    ]);
    const activity = (await h.api('GET', `/api/incidents/${res.incidentId}/activity`, h.adminToken)).body
      .items;
    expect(activity.some((a: { kind: string }) => a.kind === 'action_requested')).toBe(true);
  });

  it('refuses parameters that do not fit the catalog entry, and a target of the wrong kind', async () => {
    const bad = await request(h.adminToken, isolate('ws01', { params: { mode: 'partial', colour: 'red' } }));
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/params\.mode/);
    expect(bad.body.message).toMatch(/unknown field "colour"/);
    const wrongKind = await request(h.adminToken, {
      type: 'isolate_device',
      target: { kind: 'identity', id: 'bob' },
    });
    expect(wrongKind.status).toBe(400);
    expect((await h.api('GET', '/api/actions', h.adminToken)).body.items).toHaveLength(0);
  });

  it('times out a pending approval after 7 days and counts it as rejected', async () => {
    await h.api('PATCH', '/api/settings', h.adminToken, { twoPersonRule: true });
    const a = (await request(h.adminToken, isolate())).body;
    expect(a.status).toBe('pending_approval');
    h.clock.advance(7 * 24 * HOUR - 1000);
    await h.services.dispatcher.tick();
    // Sessions end long before 7 days, so read through the service rather than the API.
    expect((await h.services.actions.get(a.id)).status).toBe('pending_approval');
    h.clock.advance(2000);
    await h.services.dispatcher.tick();
    const after = await h.services.actions.detail(a.id);
    expect(after.status).toBe('timed_out');
    expect(after.timeline.at(-1)?.reason).toMatch(/counts as rejected/);
    const token = await h.services.access.createToken(SYSTEM_PRINCIPAL, { name: 'late', role: 'responder' });
    expect((await h.api('POST', `/api/actions/${a.id}/approve`, token.secret, {})).status).toBe(409);
  });

  it('honours a configured approval timeout', async () => {
    await h.api('PATCH', '/api/settings', h.adminToken, { twoPersonRule: true, approvalTimeoutHours: 2 });
    const a = (await request(h.adminToken, isolate())).body;
    h.clock.advance(2 * HOUR + 1);
    await h.services.dispatcher.tick();
    expect((await h.api('GET', `/api/actions/${a.id}`, h.adminToken)).body.status).toBe('timed_out');
  });

  it('enforces the two-person rule: the requester cannot approve their own action', async () => {
    await h.api('PATCH', '/api/settings', h.adminToken, { twoPersonRule: true });
    const alice = await h.login('responder');
    const bob = await h.login('responder');
    const a = (await request(alice.token, isolate())).body;
    expect(a.status).toBe('pending_approval');
    expect(a.approvalReason).toMatch(/two-person/);
    const own = await h.api('POST', `/api/actions/${a.id}/approve`, alice.token, {});
    expect(own.status).toBe(403);
    expect(own.body.message).toMatch(/someone other than its requester/);
    const other = await h.api('POST', `/api/actions/${a.id}/approve`, bob.token, { comment: 'go' });
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({
      status: 'queued',
      decidedBy: bob.principal.name,
      decisionComment: 'go',
    });
    // Read-only actions need no second person.
    expect(
      (await request(alice.token, { type: 'run_av_scan', target: { kind: 'device', id: 'ws01' } })).body
        .status,
    ).toBe('queued');
  });

  it('rejects with a comment; a rejected action can no longer be approved', async () => {
    await h.api('PATCH', '/api/settings', h.adminToken, { twoPersonRule: true });
    const a = (await request(h.adminToken, isolate())).body;
    const responder = await h.login('responder');
    expect((await h.api('POST', `/api/actions/${a.id}/reject`, responder.token, {})).status).toBe(400);
    const r = await h.api('POST', `/api/actions/${a.id}/reject`, responder.token, { comment: 'wrong host' });
    expect(r.body).toMatchObject({ status: 'rejected', decisionComment: 'wrong host' });
    const again = await h.api('POST', `/api/actions/${a.id}/approve`, responder.token, {});
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('QUELL_E_ILLEGAL_TRANSITION');
  });

  it('bulk-approves actions of one type and refuses a mix of types, changing nothing', async () => {
    await h.api('PATCH', '/api/settings', h.adminToken, { twoPersonRule: true });
    const i1 = (await request(h.adminToken, isolate('ws01'))).body;
    const i2 = (await request(h.adminToken, isolate('ws02'))).body;
    const d1 = (await request(h.adminToken, disable())).body;
    const responder = await h.login('responder');
    const mixed = await h.api('POST', '/api/actions/bulk/approve', responder.token, { ids: [i1.id, d1.id] });
    expect(mixed.status).toBe(400);
    expect(mixed.body.message).toMatch(/one type/);
    for (const id of [i1.id, d1.id])
      expect((await h.api('GET', `/api/actions/${id}`, h.adminToken)).body.status).toBe('pending_approval');
    const ok = await h.api('POST', '/api/actions/bulk/approve', responder.token, { ids: [i1.id, i2.id] });
    expect(ok.status).toBe(200);
    expect(ok.body.actions.map((a: { status: string }) => a.status)).toEqual(['queued', 'queued']);
  });

  it('undo creates the linked inverse action; when it succeeds the original becomes undone and inactive', async () => {
    const a = (await request(h.adminToken, isolate())).body;
    await force(h, a.id, 'dispatched', 'succeeded');
    expect((await h.api('GET', `/api/actions/${a.id}`, h.adminToken)).body.policyStatus).toBe('active');
    const u = await h.api('POST', `/api/actions/${a.id}/undo`, h.adminToken, { comment: 'false alarm' });
    expect(u.status).toBe(201);
    expect(u.body).toMatchObject({
      type: 'release_device',
      undoOf: a.id,
      target: { kind: 'device', id: 'ws01' },
    });
    expect((await h.api('GET', `/api/actions/${a.id}`, h.adminToken)).body.undoneBy).toBe(u.body.id);
    const twice = await h.api('POST', `/api/actions/${a.id}/undo`, h.adminToken, {});
    expect(twice.status).toBe(409);
    await force(h, u.body.id, 'dispatched', 'succeeded');
    const original = (await h.api('GET', `/api/actions/${a.id}`, h.adminToken)).body;
    expect(original.status).toBe('undone');
    expect(original.policyStatus).toBe('inactive');
    expect(original.timeline.at(-1)).toMatchObject({ from: 'succeeded', to: 'undone' });
  });

  it('lets an original be undone again when its undo fails', async () => {
    const a = (await request(h.adminToken, isolate())).body;
    await force(h, a.id, 'dispatched', 'succeeded');
    const u = (await h.api('POST', `/api/actions/${a.id}/undo`, h.adminToken, {})).body;
    await force(h, u.id, 'dispatched', 'failed');
    const original = (await h.api('GET', `/api/actions/${a.id}`, h.adminToken)).body;
    expect([original.status, original.undoneBy]).toEqual(['succeeded', null]);
    expect((await h.api('POST', `/api/actions/${a.id}/undo`, h.adminToken, {})).status).toBe(201);
  });

  it('refuses undo for irreversible actions, unfinished ones, and bulk undo of mixed types', async () => {
    const reset = (
      await request(h.adminToken, { type: 'reset_password', target: { kind: 'identity', id: 'bob' } })
    ).body;
    await force(h, reset.id, 'dispatched', 'succeeded');
    expect((await h.api('POST', `/api/actions/${reset.id}/undo`, h.adminToken, {})).status).toBe(400);
    const pending = (await request(h.adminToken, isolate('ws09'))).body;
    expect((await h.api('POST', `/api/actions/${pending.id}/undo`, h.adminToken, {})).status).toBe(409);
    const i = (await request(h.adminToken, isolate('ws02'))).body;
    const d = (await request(h.adminToken, disable())).body;
    await force(h, i.id, 'dispatched', 'succeeded');
    await force(h, d.id, 'dispatched', 'succeeded');
    const mixed = await h.api('POST', '/api/actions/bulk/undo', h.adminToken, { ids: [i.id, d.id] });
    expect(mixed.status).toBe(400);
    expect((await h.api('GET', `/api/actions/${i.id}`, h.adminToken)).body.undoneBy).toBeNull();
    const i2 = (await request(h.adminToken, isolate('ws03'))).body;
    await force(h, i2.id, 'dispatched', 'succeeded');
    const bulk = await h.api('POST', '/api/actions/bulk/undo', h.adminToken, { ids: [i.id, i2.id] });
    expect(bulk.status).toBe(200);
    expect(bulk.body.actions.map((a: { type: string; undoOf: string }) => [a.type, a.undoOf])).toEqual([
      ['release_device', i.id],
      ['release_device', i2.id],
    ]);
  });

  it.each(['pending_approval', 'queued', 'dispatched', 'running'] as const)(
    'cancels an action that is %s',
    async (status) => {
      if (status === 'pending_approval')
        await h.api('PATCH', '/api/settings', h.adminToken, { twoPersonRule: true });
      const a = (await request(h.adminToken, isolate())).body;
      if (status === 'dispatched') await force(h, a.id, 'dispatched');
      if (status === 'running') await force(h, a.id, 'dispatched', 'running');
      const r = await h.api('POST', `/api/actions/${a.id}/cancel`, h.adminToken, { comment: 'not needed' });
      expect(r.status).toBe(200);
      expect(r.body.status).toBe('cancelled');
    },
  );

  it.each(['succeeded', 'failed'] as const)('refuses to cancel an action that %s', async (end) => {
    const a = (await request(h.adminToken, isolate())).body;
    await force(h, a.id, 'dispatched', end);
    const r = await h.api('POST', `/api/actions/${a.id}/cancel`, h.adminToken, {});
    expect(r.status).toBe(409);
    expect(r.body.message).toMatch(/only unfinished actions/);
  });

  it('does not let a viewer approve, nor an analyst request what only responders may', async () => {
    await h.api('PATCH', '/api/settings', h.adminToken, { twoPersonRule: true });
    const a = (await request(h.adminToken, isolate())).body;
    const viewer = await h.login('viewer');
    const r = await h.api('POST', `/api/actions/${a.id}/approve`, viewer.token, {});
    expect(r.status).toBe(403);
    expect(r.body.message).toMatch(/viewer/);
    expect((await request(viewer.token, isolate())).status).toBe(403);
    const analyst = await h.login('analyst');
    expect((await request(analyst.token, isolate())).status).toBe(403);
    expect(
      (
        await request(analyst.token, {
          type: 'collect_investigation_package',
          target: { kind: 'device', id: 'ws01' },
        })
      ).status,
    ).toBe(201);
    expect((await h.api('POST', `/api/actions/${a.id}/approve`, analyst.token, {})).status).toBe(403);
    expect((await h.api('GET', `/api/actions/${a.id}`, h.adminToken)).body.status).toBe('pending_approval');
  });

  it('keeps a responder scoped to one device group inside it', async () => {
    const group = (
      await h.api('POST', '/api/device-groups', h.adminToken, {
        name: 'Finance',
        rank: 1,
        rule: { namePattern: 'fin-*' },
        automationLevel: 'full',
      })
    ).body;
    const scoped = await h.login('responder', [group.id]);
    const inside = await request(scoped.token, isolate('fin-01'));
    expect(inside.status).toBe(201);
    expect(inside.body.deviceGroupId).toBe(group.id);
    const outside = await request(scoped.token, isolate('hr-01'));
    expect(outside.status).toBe(403);
    expect(outside.body.message).toMatch(/your device groups/);
    expect((await request(scoped.token, disable())).status).toBe(403);
    await h.api('PATCH', '/api/settings', h.adminToken, { twoPersonRule: true });
    const foreign = (await request(h.adminToken, isolate('hr-02'))).body;
    expect((await h.api('POST', `/api/actions/${foreign.id}/approve`, scoped.token, {})).status).toBe(403);
    expect((await h.api('POST', `/api/actions/${foreign.id}/cancel`, scoped.token, {})).status).toBe(403);
  });

  it('follows the device group automation level for automated investigation actions', async () => {
    const svc = await h.api('POST', '/api/tokens', h.adminToken, { name: 'air', role: 'responder' });
    await h.api('POST', '/api/device-groups', h.adminToken, {
      name: 'Labs',
      rank: 1,
      rule: { namePattern: 'lab-*' },
      automationLevel: 'full',
    });
    await h.api('POST', '/api/device-groups', h.adminToken, {
      name: 'Core',
      rank: 2,
      rule: { namePattern: 'core-*' },
      automationLevel: 'semi_system_folders',
    });
    const sha = 'c'.repeat(64);
    const q = (host: string, path: string) =>
      request(svc.body.secret, {
        type: 'stop_and_quarantine_file',
        source: 'automated_investigation',
        target: { kind: 'file', id: sha, deviceHostname: host },
        params: { sha256: sha, path },
      });
    expect((await q('lab-1', '/usr/bin/evil')).body.status).toBe('queued');
    expect((await q('core-1', '/usr/bin/evil')).body.status).toBe('pending_approval');
    expect((await q('core-1', '/home/bob/evil')).body.status).toBe('queued');
    // Ungrouped devices require approval for any remediation by default.
    expect((await q('other-1', '/tmp/evil')).body.status).toBe('pending_approval');
    const user = await h.login('responder');
    expect((await request(user.token, { ...isolate(), source: 'automated_investigation' })).status).toBe(403);
  });

  describe('executors', () => {
    let server: Server;
    let received: Array<{ body: string; signature: string | undefined }>;
    let answers: number[];
    beforeEach(async () => {
      received = [];
      answers = [];
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          received.push({ body, signature: req.headers['x-quell-signature'] as string | undefined });
          res.statusCode = answers.shift() ?? 204;
          res.end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      await h.api('PATCH', '/api/settings', h.adminToken, {
        webhooks: [{ name: 'soc', url: `http://127.0.0.1:${port}/hook`, secretRef: 'HOOK_SECRET' }],
      });
    });
    afterEach(async () => {
      await new Promise<void>((r) => server.close(() => r()));
    });

    const notify = () =>
      request(h.adminToken, {
        type: 'notify_webhook',
        target: { kind: 'none', id: 'soc' },
        params: { webhook: 'soc', message: 'Isolated fs01' },
      });
    const run = async () => {
      await h.services.dispatcher.tick();
      await h.services.dispatcher.settle();
    };

    it('delivers a webhook notification, signed, and records success', async () => {
      const a = (await notify()).body;
      await run();
      const done = (await h.api('GET', `/api/actions/${a.id}`, h.adminToken)).body;
      expect(done.status).toBe('succeeded');
      expect(done.result).toEqual({ status: 204 });
      expect(done.timeline.map((e: { to: string }) => e.to)).toEqual(['queued', 'dispatched', 'succeeded']);
      expect(received).toHaveLength(1);
      const body = received[0]!.body;
      expect(JSON.parse(body)).toMatchObject({
        event: 'action.notify_webhook',
        text: 'Isolated fs01',
        data: { actionId: a.id },
      });
      expect(received[0]!.signature).toBe(
        `sha256=${createHmac('sha256', 'hook-secret-value').update(body).digest('hex')}`,
      );
    });

    it('retries a failing receiver with backoff, then succeeds', async () => {
      answers = [503, 500];
      const a = (await notify()).body;
      await run();
      let now = (await h.api('GET', `/api/actions/${a.id}`, h.adminToken)).body;
      expect([now.status, now.attempts]).toEqual(['queued', 1]);
      await run();
      expect((await h.api('GET', `/api/actions/${a.id}`, h.adminToken)).body.attempts).toBe(1);
      h.clock.advance(1000);
      await run();
      h.clock.advance(2000);
      await run();
      now = (await h.api('GET', `/api/actions/${a.id}`, h.adminToken)).body;
      expect([now.status, now.attempts]).toEqual(['succeeded', 3]);
      expect(received).toHaveLength(3);
    });

    it('fails for good on a client error, without retrying', async () => {
      answers = [404];
      const a = (await notify()).body;
      await run();
      const now = (await h.api('GET', `/api/actions/${a.id}`, h.adminToken)).body;
      expect(now.status).toBe('failed');
      expect(now.error).toMatch(/404/);
      expect(received).toHaveLength(1);
    });

    it('fails after the last attempt when the receiver keeps failing', async () => {
      answers = [500, 500, 500];
      const a = (await notify()).body;
      for (let i = 0; i < 3; i++) {
        await run();
        h.clock.advance(10_000);
      }
      const now = (await h.api('GET', `/api/actions/${a.id}`, h.adminToken)).body;
      expect([now.status, now.attempts]).toEqual(['failed', 3]);
    });
  });

  it('expires a queued action no executor took before its TTL, visibly', async () => {
    const a = (await request(h.adminToken, isolate('ws01', { ttlHours: 1 }))).body;
    await h.services.dispatcher.tick();
    const waiting = (await h.api('GET', `/api/actions/${a.id}`, h.adminToken)).body;
    expect(waiting.status).toBe('queued');
    expect(waiting.error).toMatch(/no agent executor/);
    h.clock.advance(HOUR + 1);
    await h.services.dispatcher.tick();
    const expired = (await h.api('GET', `/api/actions/${a.id}`, h.adminToken)).body;
    expect(expired.status).toBe('expired');
  });

  it('audits every transition with actor and reason', async () => {
    await h.api('PATCH', '/api/settings', h.adminToken, { twoPersonRule: true });
    const a = (await request(h.adminToken, isolate())).body;
    const responder = await h.login('responder');
    await h.api('POST', `/api/actions/${a.id}/approve`, responder.token, { comment: 'ok' });
    const audit = (await h.api('GET', `/api/audit?subject=${a.id}`, h.adminToken)).body.items;
    expect(audit.map((e: { event: string; actor: string }) => [e.event, e.actor]).reverse()).toEqual([
      ['action.requested', 'admin@example.com'],
      ['action.approved', responder.principal.name],
      ['action.queued', responder.principal.name],
    ]);
  });
});
