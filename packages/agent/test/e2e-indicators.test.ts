import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportContains, readSha256Export } from '../src/indicators/index.js';
import { createStack, e2eMissing, eventually, type Stack } from './support/e2e-stack.js';

/**
 * Indicator sync end to end: an indicator created through the API reaches the real agent's store
 * (read back from the blocked-SHA-256 file the agent writes for its exec-control helper) within
 * 5 s, and its removal leaves within 5 s too.
 */
const missing = e2eMissing();
const SHA = createHash('sha256').update('quell e2e indicator sample').digest('hex');

describe.skipIf(missing.length)('e2e: indicators reach a real agent', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await createStack();
  });
  afterAll(async () => {
    await s?.close();
  });

  const blocked = async (): Promise<boolean> => {
    try {
      const { digests } = await readSha256Export(join(s.stateDir, 'indicators', 'blocked-sha256.bin'));
      return exportContains(digests, Buffer.from(SHA, 'hex'));
    } catch {
      return false;
    }
  };

  it('a block indicator is in force on the agent within 5 s, and gone within 5 s of its removal', async () => {
    const started = Date.now();
    const created = await s.server.ok('POST', '/api/indicators', {
      type: 'sha256',
      value: SHA,
      action: 'block',
      title: 'e2e sample',
    });
    expect(created, JSON.stringify(created)).toBeTruthy();
    await eventually(blocked, (b) => b, 5000);
    expect(Date.now() - started).toBeLessThan(5000);

    expect(created.outcome).toBe('applied');
    const id = created.indicator.id as string;
    const removedAt = Date.now();
    await s.server.ok('DELETE', `/api/indicators/${id}`);
    await eventually(blocked, (b) => !b, 5000);
    expect(Date.now() - removedAt).toBeLessThan(5000);
  });
});
