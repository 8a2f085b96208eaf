import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@quell/server';
import { freshDatabase } from '../harness.js';
import { enrollFakeAgent, startStack, type Stack } from './agent-stack.js';
import type { FakeAgent } from './fake-agent.js';

/** Two server instances (`a`, `b`) on one fresh database, and device web01's agent connected to `b`. */
export interface TwoInstances {
  a: Stack;
  b: Stack;
  /** Instance b's clock (the stacks run on manual clocks). */
  clockB: ManualClock;
  agent: FakeAgent;
  close(): Promise<void>;
}

export async function startTwoInstances(): Promise<TwoInstances> {
  const db = await freshDatabase();
  const dirs = [mkdtempSync(join(tmpdir(), 'quell-inst-a-')), mkdtempSync(join(tmpdir(), 'quell-inst-b-'))];
  const a = await startStack(db.config, dirs[0]!, new ManualClock(Date.now()), { instanceId: 'a' });
  const clockB = new ManualClock(Date.now());
  const b = await startStack(db.config, dirs[1]!, clockB, { instanceId: 'b' });
  const { agent } = await enrollFakeAgent(b, 'web01', { tokenFrom: a });
  await agent.connect();
  return {
    a,
    b,
    clockB,
    agent,
    async close() {
      await agent.disconnect();
      await b.close();
      await a.close();
      await db.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
