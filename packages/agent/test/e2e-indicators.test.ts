import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportContains, readSha256Export } from '../src/indicators/index.js';
import { writeFileSync } from 'node:fs';
import { EICAR } from './scan.fixtures.js';
import { createStack, e2eMissing, eventually, type Stack } from './support/e2e-stack.js';

/**
 * Indicators end to end with the real agent: one created through the API reaches the agent's
 * store (read back from the blocked-SHA-256 file it writes for its exec-control helper) within
 * 5 s and leaves within 5 s of its removal; an IP indicator is enforced by nftables in the
 * device's namespace while the agent's own channel stays up; a device moved to another group
 * converges on that group's indicators without waiting for the next change.
 */
const missing = e2eMissing();
const SHA = createHash('sha256').update('quell e2e indicator sample').digest('hex');

describe.skipIf(missing.length)('e2e: indicators reach a real agent', () => {
  let s: Stack;
  let listener: { close(): void } | undefined;
  beforeAll(async () => {
    s = await createStack({ prepareFs: (root) => writeFileSync(join(root, 'tmp/eicar.com'), EICAR) });
    listener = await s.lab.listen('peer', 8080);
  });
  afterAll(async () => {
    listener?.close();
    await s?.close();
  });

  const blocked = async (sha = SHA): Promise<boolean> => {
    try {
      const { digests } = await readSha256Export(join(s.stateDir, 'indicators', 'blocked-sha256.bin'));
      return exportContains(digests, Buffer.from(sha, 'hex'));
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
    await eventually(
      () => blocked(),
      (b) => b,
      5000,
    );
    expect(Date.now() - started).toBeLessThan(5000);

    expect(created.outcome).toBe('applied');
    const id = created.indicator.id as string;
    const removedAt = Date.now();
    await s.server.ok('DELETE', `/api/indicators/${id}`);
    await eventually(
      () => blocked(),
      (b) => !b,
      5000,
    );
    expect(Date.now() - removedAt).toBeLessThan(5000);
  });

  it("a device moved into another group gets that group's indicators and drops the old group's within 5 s", async () => {
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    const oldGroupSha = sha('e2e: only for ungrouped devices');
    const newGroupSha = sha('e2e: only for the moved-to group');
    const device = await s.device();
    expect(device.deviceGroupId).toBe('ungrouped');
    const group = await s.server.ok('POST', '/api/device-groups', {
      name: 'e2e moved',
      rank: 10,
      rule: { namePattern: 'no-such-host-*' },
      automationLevel: 'none',
    });
    // The new group's indicator is older than the move: a delta from the agent's version would miss it.
    const forNew = await s.server.ok('POST', '/api/indicators', {
      type: 'sha256',
      value: newGroupSha,
      action: 'block',
      title: 'e2e moved group',
      deviceGroupIds: [group.id],
    });
    const forOld = await s.server.ok('POST', '/api/indicators', {
      type: 'sha256',
      value: oldGroupSha,
      action: 'block',
      title: 'e2e ungrouped',
      deviceGroupIds: ['ungrouped'],
    });
    expect([forNew.outcome, forOld.outcome]).toEqual(['applied', 'applied']);
    await eventually(
      () => blocked(oldGroupSha),
      (b) => b,
      5000,
    );
    expect(await blocked(newGroupSha)).toBe(false);

    // The group's rule now matches this device: it moves, with no indicator change after it.
    const moved = Date.now();
    await s.server.ok('PATCH', `/api/device-groups/${group.id as string}`, {
      rule: { namePattern: device.hostname },
    });
    expect((await s.device()).deviceGroupId).toBe(group.id);
    await eventually(
      async () => [await blocked(newGroupSha), await blocked(oldGroupSha)],
      ([n, o]) => n && !o,
      5000,
    );
    expect(Date.now() - moved).toBeLessThan(5000);
    expect((await s.device()).health).toBe('online');

    // And back: the rule stops matching, the device is ungrouped again.
    await s.server.ok('PATCH', `/api/device-groups/${group.id as string}`, {
      rule: { namePattern: 'no-such-host-*' },
    });
    await eventually(
      async () => [await blocked(newGroupSha), await blocked(oldGroupSha)],
      ([n, o]) => !n && o,
      5000,
    );
    for (const i of [forNew, forOld])
      await s.server.ok('DELETE', `/api/indicators/${i.indicator.id as string}`);
  });

  it('an IP indicator cuts traffic to a peer within 5 s while the agent stays connected; removing it restores it', async () => {
    const peer = s.lab.ip('peer');
    const reaches = () => s.lab.canConnect('dev', peer, 8080, 700);
    expect(await reaches()).toBe(true);
    const started = Date.now();
    const created = await s.server.ok('POST', '/api/indicators', {
      type: 'ipv4',
      value: peer,
      action: 'block',
      title: 'e2e peer',
    });
    expect(created.outcome).toBe('applied');
    await eventually(reaches, (r) => !r, 5000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await s.device()).health).toBe('online');

    await s.server.ok('DELETE', `/api/indicators/${created.indicator.id as string}`);
    await eventually(reaches, (r) => r, 5000);
  });

  it('an allow indicator suppresses a scan detection, and the detection is back once it is removed', async () => {
    const eicarSha = createHash('sha256').update(EICAR).digest('hex');
    const scan = async () => {
      const req = await s.request('run_av_scan', { scope: 'quick' });
      return s.waitAction(req.id, ['succeeded', 'failed'], 60_000);
    };
    const before = await scan();
    expect(before.result.detections, JSON.stringify(before.result)).toBeGreaterThanOrEqual(1);

    const allow = await s.server.ok('POST', '/api/indicators', {
      type: 'sha256',
      value: eicarSha,
      action: 'allow',
      title: 'e2e: the test file is fine here',
      generateAlert: false,
    });
    expect(allow.outcome).toBe('applied');
    // The allow must have reached the agent before the next scan is a fair test.
    await eventually(
      async () => (await scan()).result.detections as number,
      (n) => n === before.result.detections - 1,
      20_000,
    );
    await s.server.ok('DELETE', `/api/indicators/${allow.indicator.id as string}`);
    await eventually(
      async () => (await scan()).result.detections as number,
      (n) => n === before.result.detections,
      20_000,
    );
  });
});
