import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClamdClient, parseVerdict } from './clamd.client.js';

describe('clamd replies', () => {
  it.each([
    ['stream: OK\0', { kind: 'clean' }],
    ['stream: Win.Test.EICAR_HDB-1 FOUND\0', { kind: 'found', name: 'Win.Test.EICAR_HDB-1' }],
    [
      'INSTREAM size limit exceeded. ERROR\0',
      { kind: 'error', message: 'INSTREAM size limit exceeded. ERROR' },
    ],
  ])('%j', (reply, verdict) => {
    expect(parseVerdict(reply)).toEqual(verdict);
  });
});

/** A fake clamd that decodes INSTREAM framing and flags streams containing "BAD". */
function fakeClamd(path: string, seen: Buffer[]): Promise<Server> {
  const server = createServer((sock) => {
    let buf = Buffer.alloc(0);
    let body: Buffer[] = [];
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.subarray(0, 6).toString() === 'zPING\0') return void sock.end('PONG\0');
      if (buf.subarray(0, 10).toString() !== 'zINSTREAM\0') return;
      let off = 10;
      body = [];
      while (buf.length >= off + 4) {
        const len = buf.readUInt32BE(off);
        if (len === 0) {
          const all = Buffer.concat(body);
          seen.push(all);
          return void sock.end(all.includes('BAD') ? 'stream: Fake.Bad FOUND\0' : 'stream: OK\0');
        }
        if (buf.length < off + 4 + len) return;
        body.push(buf.subarray(off + 4, off + 4 + len));
        off += 4 + len;
      }
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

describe('ClamdClient', () => {
  let dir = '';
  let server: Server | null = null;
  afterEach(async () => {
    server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pings, and streams a file in length-prefixed chunks', async () => {
    dir = await mkdtemp(join(tmpdir(), 'quell-clamd-unit-'));
    const seen: Buffer[] = [];
    server = await fakeClamd(join(dir, 's'), seen);
    const client = new ClamdClient(join(dir, 's'));
    expect(await client.ping()).toBe(true);
    const stream = await client.openStream();
    await stream.write(Buffer.from('hello '));
    await stream.write(Buffer.from('BAD world'));
    expect(await stream.finish()).toEqual({ kind: 'found', name: 'Fake.Bad' });
    expect(seen.map(String)).toEqual(['hello BAD world']);
  });

  it('says no when nothing listens', async () => {
    dir = await mkdtemp(join(tmpdir(), 'quell-clamd-unit-'));
    expect(await new ClamdClient(join(dir, 'none'), 500).ping()).toBe(false);
  });
});
