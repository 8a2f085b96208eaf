import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerMessage } from '@quell/contracts';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import { postgresAvailable, TEST_DB } from './harness.js';
import { emptyGroupWithIndicator, eventually, type Stack } from './support/agent-stack.js';
import type { FakeAgent } from './support/fake-agent.js';
import { startTwoInstances, type TwoInstances } from './support/two-instances.js';

const SHA = 'b'.repeat(64);
type Delta = Extract<ServerMessage, { type: 'indicators_delta' }>;
type Snapshot = Extract<ServerMessage, { type: 'indicators_snapshot' }>;

/**
 * Two server instances on one PostgreSQL database (the scale-out of ARCHITECTURE §5): an
 * indicator created through one, and a group move made through it, reach an agent connected to
 * the other within seconds (the other instance reads the feed revision every second and looks
 * for moved devices every few).
 */
// PostgreSQL only: several instances share a PostgreSQL database, never a SQLite file.
describe.skipIf(TEST_DB !== 'postgres' || !(await postgresAvailable()))(
  'indicators across two server instances (postgres)',
  () => {
    let t: TwoInstances;
    let a: Stack;
    let agent: FakeAgent;
    beforeEach(async () => {
      t = await startTwoInstances();
      ({ a, agent } = t);
    });
    afterEach(() => t.close());

    const of = <T extends ServerMessage['type']>(type: T) =>
      agent.received.filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);

    it('an indicator made through one instance is announced to agents on the other', async () => {
      agent.send({ type: 'indicators_sync', version: null });
      const held = (
        await eventually(
          () => of('indicators_snapshot'),
          (l) => l.length === 1,
        )
      )[0]!.version;
      agent.send({ type: 'indicators_sync', version: held });
      await eventually(
        () => of('indicators_delta'),
        (l) => l.length === 1,
      );
      await new Promise((r) => setTimeout(r, 1200)); // instance b has read the revision at least once

      const started = Date.now();
      const made = await a.services.indicators.create(SYSTEM_PRINCIPAL, {
        type: 'sha256',
        value: SHA,
        action: 'block',
        title: 'made on a',
      });
      expect(made.outcome).toBe('applied');
      const changed = await eventually(
        () => of('indicators_changed'),
        (l) => l.length === 1,
        5000,
      );
      expect(changed[0]!.rev).toBe(made.indicator!.rev);
      agent.send({ type: 'indicators_sync', version: held });
      const deltas = await eventually(
        () => of('indicators_delta'),
        (l) => l.length === 2,
      );
      expect((deltas[1] as Delta).upserts.map((i) => i.value)).toEqual([SHA]);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('a group change made through one instance resyncs agents on the other', async () => {
      const webId = await emptyGroupWithIndicator(a, SHA);
      agent.send({ type: 'indicators_sync', version: null });
      const first = await eventually(
        () => of('indicators_snapshot'),
        (l) => l.length === 1,
      );
      expect(first[0]!.indicators).toEqual([]);
      agent.send({ type: 'indicators_sync', version: first[0]!.version });
      await eventually(
        () => of('indicators_delta'),
        (l) => l.length === 1,
      );

      await a.services.deviceGroups.patch(SYSTEM_PRINCIPAL, webId, { rule: { namePattern: 'web*' } });
      const snaps = await eventually(
        () => of('indicators_snapshot'),
        (l) => l.length === 2,
        5000,
      );
      expect((snaps[1] as Snapshot).indicators.map((i) => i.value)).toEqual([SHA]);
    });
  },
);
