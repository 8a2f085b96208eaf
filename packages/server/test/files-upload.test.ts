import { createHash } from 'node:crypto';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StreamAck } from '@quell/contracts';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import { blobUploadSink } from '../src/agents/gateway/blob-upload-sink.js';
import { UploadStreams } from '../src/agents/gateway/upload-streams.js';
import { createHarness, postgresAvailable, T0, TEST_DB, type Harness } from './harness.js';
import { agentKeyPair, inventory } from './support/fake-agent.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());
const SAMPLE = Buffer.from('#!/bin/sh\necho collected\n');
const SHA = createHash('sha256').update(SAMPLE).digest('hex');
/** Small limits, so the test can go over them without gigabytes. */
const LIMITS = { package: 1000, file: SAMPLE.length };

async function enroll(h: Harness, hostname: string): Promise<string> {
  const t = await h.services.enrollment.createToken(SYSTEM_PRINCIPAL, { label: hostname });
  const res = await h.services.enrollment.enroll({
    token: t.token,
    publicKey: agentKeyPair().publicKeyB64,
    inventory: inventory(hostname),
  });
  return res.deviceId;
}

/**
 * The gateway's upload path for file actions: a collected file is accepted up to the file limit
 * (QUELL_FILE_MAX_BYTES), only from the device holding it, and once stored it is the file's
 * stored copy on the file page.
 */
describe.skipIf(!enabled)(`uploads of collected files (${TEST_DB})`, () => {
  let h: Harness;
  let actionId: string;
  const acks: StreamAck[] = [];
  const streamsOf = (deviceId: string, hostname: string) =>
    new UploadStreams(
      { deviceId, hostname },
      h.store,
      blobUploadSink(h.services.blobs),
      LIMITS,
      pino({ level: 'silent' }),
      (a) => acks.push(a),
    );

  beforeEach(async () => {
    h = await createHarness();
    acks.length = 0;
    await enroll(h, 'ws1');
    await h.services.files.record([
      { sha256: SHA, device: 'ws1', path: '/tmp/a.sh', source: 'executed', at: new Date(T0).toISOString() },
    ]);
    const a = await h.services.files.collect(SYSTEM_PRINCIPAL, SHA, { device: 'ws1' });
    actionId = a.id;
    await h.store.transaction(async (trx) => {
      const row = await h.store.actions.get(trx, actionId);
      await h.services.actions.transition(trx, row!, 'dispatched', 'test-executor', 'sent');
    });
  });
  afterEach(async () => {
    await h.close();
  });

  it('stores a collected file from its device, which makes it the stored copy', async () => {
    const ws1 = (await h.store.agents.byIdOrHostname(h.store.db, 'ws1'))!;
    const s = streamsOf(ws1.id, 'ws1');
    await s.opened({ type: 'stream_open', streamId: 'u1', kind: 'upload', actionId, size: SAMPLE.length });
    await s.data({ type: 'stream_data', streamId: 'u1', seq: 0, data: SAMPLE.toString('base64') });
    await s.closed({ type: 'stream_close', streamId: 'u1', sha256: SHA });
    expect(acks).toEqual([{ type: 'stream_ack', streamId: 'u1', ok: true, sha256: SHA }]);
    expect((await h.services.files.get(SYSTEM_PRINCIPAL, SHA)).storedCopy).toMatchObject({
      size: SAMPLE.length,
    });
  });

  it.each([
    ['a file over the file limit', 'ws1', SAMPLE.length + 1, /over the server's upload limit of \d+ bytes/],
    [
      'an upload from a device that does not hold the file',
      'ws2',
      SAMPLE.length,
      /takes no upload from this device/,
    ],
  ])('refuses %s at stream_open', async (_what, host, size, error) => {
    const id =
      host === 'ws1' ? (await h.store.agents.byIdOrHostname(h.store.db, 'ws1'))!.id : await enroll(h, host);
    await streamsOf(id, host).opened({ type: 'stream_open', streamId: 'u2', kind: 'upload', actionId, size });
    expect(acks).toEqual([
      { type: 'stream_ack', streamId: 'u2', ok: false, error: expect.stringMatching(error) },
    ]);
    expect(await h.services.blobs.has(SHA)).toBe(false);
  });
});
