import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  exportContains,
  readSha256Export,
  sortDigests,
  writeSha256Export,
  writeSha256ExportOf,
} from './sha256-export.js';

const digest = (s: string) => createHash('sha256').update(s).digest();
const dir = mkdtempSync(join(tmpdir(), 'quell-sha-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('blocked SHA-256 export', () => {
  it('sorts in memcmp order and drops duplicates', () => {
    const list = Array.from({ length: 5000 }, (_, i) => digest(`d${i % 4000}`));
    const sorted = sortDigests(Buffer.concat(list), 32);
    expect(sorted.length).toBe(4000 * 32);
    for (let i = 1; i < 4000; i++)
      expect(
        Buffer.compare(
          Buffer.from(sorted.subarray((i - 1) * 32, i * 32)),
          Buffer.from(sorted.subarray(i * 32, (i + 1) * 32)),
        ),
      ).toBe(-1);
  });

  it('orders digests that share their leading bytes by the rest', () => {
    const a = Buffer.alloc(32, 0xaa);
    const b = Buffer.from(a);
    b[31] = 0x01;
    const c = Buffer.from(a);
    c[5] = 0x00;
    expect(Buffer.from(sortDigests(Buffer.concat([a, b, c]), 32))).toEqual(Buffer.concat([c, b, a]));
  });

  it('writes the documented header and a binary-searchable body', async () => {
    const path = join(dir, 'blocked-sha256.bin');
    const list = Array.from({ length: 300 }, (_, i) => digest(`x${i}`));
    expect(await writeSha256Export(path, Buffer.concat(list), 42)).toBe(300);
    const raw = readFileSync(path);
    expect(raw.toString('latin1', 0, 4)).toBe('QSHA');
    expect([raw.readUInt32LE(4), raw.readUInt32LE(8), raw.readDoubleLE(16), raw.length]).toEqual([
      1,
      300,
      42,
      32 + 300 * 32,
    ]);
    const { version, digests } = await readSha256Export(path);
    expect(version).toBe(42);
    expect(list.every((d) => exportContains(digests, d))).toBe(true);
    expect(exportContains(digests, digest('absent'))).toBe(false);
  });

  it('exports chosen entries of a digest table, over many write chunks, without duplicates', async () => {
    const path = join(dir, 'entries.bin');
    const keys = Buffer.concat(Array.from({ length: 50_000 }, (_, i) => digest(`k${i}`)));
    // Every even entry, and entry 0 twice.
    const entries = Int32Array.from({ length: 25_001 }, (_, i) => (i === 25_000 ? 0 : i * 2));
    expect(await writeSha256ExportOf(path, keys, entries, 7)).toBe(25_000);
    const { version, digests } = await readSha256Export(path);
    expect([version, digests.length]).toEqual([7, 25_000 * 32]);
    const expected = sortDigests(
      Buffer.concat(Array.from({ length: 25_000 }, (_, i) => digest(`k${i * 2}`))),
      32,
    );
    expect(Buffer.from(digests)).toEqual(Buffer.from(expected));
    expect(exportContains(digests, digest('k1'))).toBe(false);
  });
});
