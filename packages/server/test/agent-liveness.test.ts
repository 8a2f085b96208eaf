import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseConfig } from '@quell/store';
import { ManualClock } from '@quell/server';
import { freshDatabase, postgresAvailable, TEST_DB } from './harness.js';
import { enrollFakeAgent, eventually, startStack, type Stack } from './support/agent-stack.js';
import type { FakeAgent } from './support/fake-agent.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sweeps every 500 ms; agents are told to heartbeat every 250 ms. */
describe.skipIf(!enabled)(`agent liveness sweeps (${TEST_DB})`, () => {
  let db: { config: DatabaseConfig; drop: () => Promise<void> };
  let dataDir: string;
  let s: Stack;
  const agents: FakeAgent[] = [];

  beforeEach(async () => {
    db = await freshDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'quell-live-'));
    s = await startStack(db.config, dataDir, new ManualClock(Date.now()), {
      livenessMs: 500,
      heartbeatMs: 250,
    });
  });
  afterEach(async () => {
    for (const a of agents.splice(0)) await a.disconnect().catch(() => undefined);
    await s.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function connected(hostname: string): Promise<{ agent: FakeAgent; pings: () => number }> {
    const { agent } = await enrollFakeAgent(s, hostname);
    agents.push(agent);
    await agent.connect();
    let pings = 0;
    agent.ws?.on('ping', () => pings++);
    return { agent, pings: () => pings };
  }

  it('does not ping an agent whose heartbeats show it alive, and keeps it', async () => {
    const { agent, pings } = await connected('beating');
    const beat = setInterval(() => agent.send({ type: 'heartbeat', state: agent.state }), 50);
    try {
      await sleep(2500);
      expect(s.gateway.isConnected('beating')).toBe(true);
      expect(pings()).toBe(0);
    } finally {
      clearInterval(beat);
    }
  });

  it('pings a silent agent and keeps it while it answers', async () => {
    const { pings } = await connected('quiet');
    await eventually(pings, (n) => n >= 2, 5000);
    expect(pings()).toBeGreaterThanOrEqual(2);
    expect(s.gateway.isConnected('quiet')).toBe(true);
  });

  it('pings an agent whose heartbeats stop before dropping it, and keeps it when it answers', async () => {
    const { agent, pings } = await connected('lapsed');
    const beat = setInterval(() => agent.send({ type: 'heartbeat', state: agent.state }), 50);
    await sleep(1200);
    clearInterval(beat);
    expect(pings()).toBe(0);
    // Heartbeats stopped (a stalled agent, a simulator still connecting its peers), pongs still come.
    await eventually(pings, (n) => n >= 2, 5000);
    expect(s.gateway.isConnected('lapsed')).toBe(true);
  });

  it('drops an agent that stops answering altogether', async () => {
    const { agent } = await connected('frozen');
    // Stop reading the socket: no heartbeats, no pongs, as with a hung process.
    (agent.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await eventually(
      () => s.gateway.isConnected('frozen'),
      (up) => !up,
      3000,
    );
    agent.ws?.terminate();
  });
});
