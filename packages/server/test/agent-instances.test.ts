import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import { postgresAvailable, TEST_DB } from './harness.js';
import { eventually, type Stack } from './support/agent-stack.js';
import type { FakeAgent } from './support/fake-agent.js';
import { startTwoInstances, type TwoInstances } from './support/two-instances.js';

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
    let t: TwoInstances;
    let a: Stack;
    let agent: FakeAgent;
    beforeEach(async () => {
      t = await startTwoInstances();
      ({ a, agent } = t);
      await eventually(
        async () => (await a.services.devices.get(SYSTEM_PRINCIPAL, 'web01')).health,
        (h) => h === 'online',
      );
    });
    afterEach(() => t.close());

    it('hands an action the other instance saw first to the instance holding the agent within seconds', async () => {
      // Only instance a dispatches at first, so it is certainly the one that looks first.
      await t.b.services.dispatcher.stop();
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
      t.clockB.advance(2500);
      const started = Date.now();
      t.b.services.dispatcher.start(50);
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
          t.clockB.advance(500); // time passes for instance b while we wait
          return Promise.all(ids.map(async (id) => (await a.services.actions.get(id)).status));
        },
        (st) => st.every((x) => x === 'succeeded'),
        8000,
      );
      expect([...agent.executions].sort()).toEqual([...ids].sort());
    });
  },
);
