import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnrollResponse } from '@quell/contracts';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import type { DatabaseConfig } from '@quell/store';
import { ManualClock } from '@quell/server';
import { freshDatabase, postgresAvailable, TEST_DB } from './harness.js';
import { eventually, startStack, type Stack } from './support/agent-stack.js';
import { agentKeyPair, enrollOverHttps, FakeAgent, inventory } from './support/fake-agent.js';

/**
 * Two server instances on one PostgreSQL database, the agent connected to one of them: a device
 * action requested through the other is carried out by the instance holding the agent, within
 * seconds even when the other instance's dispatcher looks at it first (it does not park it for
 * the minute an offline device's action waits between looks).
 */
// PostgreSQL only: several instances share a PostgreSQL database, never a SQLite file.
describe.skipIf(TEST_DB !== 'postgres' || !(await postgresAvailable()))(
  'device actions across two server instances (postgres)',
  () => {
    let db: { config: DatabaseConfig; drop: () => Promise<void> };
    let dirs: string[];
    let a: Stack;
    let b: Stack;
    let agent: FakeAgent;
    /** Instance b's clock: the stacks run on manual clocks, moved on by hand. */
    let clockB: ManualClock;

    beforeEach(async () => {
      db = await freshDatabase();
      dirs = [mkdtempSync(join(tmpdir(), 'quell-inst-a-')), mkdtempSync(join(tmpdir(), 'quell-inst-b-'))];
      a = await startStack(db.config, dirs[0]!, new ManualClock(Date.now()), { instanceId: 'a' });
      clockB = new ManualClock(Date.now());
      b = await startStack(db.config, dirs[1]!, clockB, { instanceId: 'b' });
      const k = agentKeyPair();
      const { token } = await a.services.enrollment.createToken(SYSTEM_PRINCIPAL, { label: 'web01' });
      const res = await enrollOverHttps(b.agentUrl, b.keys.certSha256, {
        token,
        publicKey: k.publicKeyB64,
        inventory: inventory('web01'),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const enroll = res.body as EnrollResponse;
      agent = new FakeAgent({
        agentUrl: b.agentUrl,
        certSha256: b.keys.certSha256,
        deviceId: enroll.deviceId,
        hostname: 'web01',
        privateKey: k.privateKey,
        serverPublicKey: enroll.serverPublicKey,
      });
      await agent.connect();
      await eventually(
        async () => (await a.services.devices.get(SYSTEM_PRINCIPAL, 'web01')).health,
        (h) => h === 'online',
      );
    });
    afterEach(async () => {
      await agent.disconnect();
      await b.close();
      await a.close();
      await db.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('hands an action the other instance saw first to the instance holding the agent within seconds', async () => {
      // Only instance a dispatches at first, so it is certainly the one that looks first.
      await b.services.dispatcher.stop();
      const req = await a.services.actions.request(SYSTEM_PRINCIPAL, {
        type: 'run_av_scan',
        target: { kind: 'device', id: 'web01' },
        params: { scope: 'quick' },
      });
      const seen = await eventually(
        () => a.services.actions.get(req.id),
        (x) => (x.error ?? '').includes('connected to another server instance'),
      );
      expect(seen.status).toBe('queued');

      // Two and a half seconds later (not the minute an offline device's action waits), instance b
      // looks at it and carries it out.
      clockB.advance(2500);
      const started = Date.now();
      b.services.dispatcher.start(50);
      const done = await eventually(
        () => a.services.actions.get(req.id),
        (x) => x.status === 'succeeded',
        5000,
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(done.error).toBeNull();
      expect(agent.executions).toEqual([req.id]);
    });

    it('carries out a burst requested through the other instance, each once', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await a.services.actions.request(SYSTEM_PRINCIPAL, {
          type: 'run_av_scan',
          target: { kind: 'device', id: 'web01' },
          params: { scope: 'quick' },
        });
        ids.push(r.id);
      }
      await eventually(
        async () => {
          clockB.advance(500); // time passes for instance b while we wait
          return Promise.all(ids.map(async (id) => (await a.services.actions.get(id)).status));
        },
        (st) => st.every((x) => x === 'succeeded'),
        8000,
      );
      expect([...agent.executions].sort()).toEqual([...ids].sort());
    });
  },
);
