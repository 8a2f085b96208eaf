import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerMessage } from '@quell/contracts';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import type { DatabaseConfig } from '@quell/store';
import { ManualClock } from '@quell/server';
import { freshDatabase, postgresAvailable, TEST_DB } from './harness.js';
import {
  emptyGroupWithIndicator,
  enrollFakeAgent,
  eventually,
  startStack,
  type Stack,
} from './support/agent-stack.js';
import type { FakeAgent } from './support/fake-agent.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());
const SHA = 'a'.repeat(64);

type Snapshot = Extract<ServerMessage, { type: 'indicators_snapshot' }>;
type Delta = Extract<ServerMessage, { type: 'indicators_delta' }>;

/**
 * A device that moves to another device group holds indicators computed for the old one; no delta
 * from its version carries the new group's older indicators. The gateway pushes it the new
 * group's snapshot, also when the move came from somewhere other than a group change made here
 * (tags in an alert), through its periodic check.
 */
describe.skipIf(!enabled)(`indicator resync after a group move (${TEST_DB})`, () => {
  let db: { config: DatabaseConfig; drop: () => Promise<void> };
  let dataDir: string;
  let s: Stack;
  let agent: FakeAgent;

  beforeEach(async () => {
    db = await freshDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'quell-regroup-'));
    s = await startStack(db.config, dataDir, new ManualClock(Date.now()));
    ({ agent } = await enrollFakeAgent(s, 'web01'));
    await agent.connect();
  });
  afterEach(async () => {
    await agent.disconnect();
    await s.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A fresh agent's first sync: a snapshot, then (as the agent does) a sync from its version. */
  const initialSync = async () => {
    agent.send({ type: 'indicators_sync', version: null });
    const held = (await eventually(snapshots, (l) => l.length === 1))[0]!.version;
    agent.send({ type: 'indicators_sync', version: held });
    await eventually(deltas, (l) => l.length === 1);
    return held;
  };
  /** Reconnects, asks from `held`, and expects the Web group's snapshot rather than a delta. */
  const expectSnapshotOnReconnect = async (held: number) => {
    agent.received.length = 0;
    await agent.connect();
    agent.send({ type: 'indicators_sync', version: held });
    const snap = await eventually(snapshots, (l) => l.length >= 1).catch((e) => {
      throw new Error(`${String(e)}; received ${JSON.stringify(agent.received.map((m) => m.type))}`);
    });
    expect(snap[0]!.indicators.map((i) => i.value)).toEqual([SHA]);
    expect(deltas()).toEqual([]);
  };
  const snapshots = () => agent.received.filter((m): m is Snapshot => m.type === 'indicators_snapshot');
  const deltas = () => agent.received.filter((m): m is Delta => m.type === 'indicators_delta');

  it('pushes the new group’s snapshot when tags in an alert move the device, then serves deltas again', async () => {
    const vip = await s.services.deviceGroups.create(SYSTEM_PRINCIPAL, {
      name: 'VIP',
      rank: 1,
      rule: { tags: ['vip'] },
      automationLevel: 'none',
    });
    const made = await s.services.indicators.create(SYSTEM_PRINCIPAL, {
      type: 'sha256',
      value: SHA,
      action: 'block',
      title: 'vip only',
      deviceGroupIds: [vip.id],
    });
    expect(made.outcome).toBe('applied');

    // The agent's first sync: ungrouped, so the VIP indicator is not in its set.
    const held = await initialSync();
    expect(snapshots()[0]!.indicators).toEqual([]);

    // An alert tags the device `vip`: it moves to VIP, with no indicator change after the move.
    await s.services.ingest.ingest(SYSTEM_PRINCIPAL, [
      {
        title: 'suspicious login',
        severity: 'low',
        category: 'InitialAccess',
        detectionSource: 'test',
        firstActivityAt: new Date().toISOString(),
        entities: [{ kind: 'device', hostname: 'web01', tags: ['vip'] }],
      },
    ]);
    expect((await s.services.devices.get(SYSTEM_PRINCIPAL, 'web01')).deviceGroupId).toBe(vip.id);

    // Pushed unasked within the gateway's check interval (500 ms in this stack).
    const pushed = await eventually(snapshots, (l) => l.length === 2, 5000);
    expect(pushed[1]).toMatchObject({ first: true, version: held });
    expect(pushed[1]!.indicators.map((i) => [i.value, i.groupScoped])).toEqual([[SHA, true]]);

    // Once it holds the VIP set (it asks again from the snapshot's version, as agents do after
    // the last page), that is an empty delta, and no further snapshot comes.
    agent.send({ type: 'indicators_sync', version: held });
    const d = await eventually(deltas, (l) => l.length === 2);
    expect(d[1]).toMatchObject({ fromVersion: held, toVersion: held, upserts: [], removals: [] });
    await new Promise((r) => setTimeout(r, 1200));
    expect(snapshots()).toHaveLength(2);
  });

  it('answers the next sync of a device that moved while offline with a snapshot, not a delta', async () => {
    const webId = await emptyGroupWithIndicator(s, SHA);
    const held = await initialSync();
    await agent.disconnect();

    await s.services.deviceGroups.patch(SYSTEM_PRINCIPAL, webId, { rule: { namePattern: 'web*' } });
    await expectSnapshotOnReconnect(held);
  });

  it('sends the snapshot again on the next connection when the pushed one was not applied', async () => {
    const webId = await emptyGroupWithIndicator(s, SHA);
    const held = await initialSync();
    await s.services.deviceGroups.patch(SYSTEM_PRINCIPAL, webId, { rule: { namePattern: 'web*' } });
    // Pushed on the move; the agent drops the connection before it applies it.
    await eventually(snapshots, (l) => l.length === 2);
    await agent.disconnect();

    await expectSnapshotOnReconnect(held);
  });
});
