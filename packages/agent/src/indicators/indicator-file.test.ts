import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IndicatorFileError } from './indicators.errors.js';
import {
  decodeIndicators,
  encodeIndicators,
  readIndicatorFile,
  writeIndicatorFile,
} from './indicator-file.js';
import { IndicatorPersistence, INDICATOR_FILES } from './indicator-persistence.js';
import { IndicatorStore } from './indicator-store.js';
import type { SyncIndicator } from './indicator-sync.types.js';
import { readSha256Export, exportContains } from './sha256-export.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const ind = (id: string, over: Partial<SyncIndicator> = {}): SyncIndicator => ({
  id,
  type: 'sha256',
  value: sha(id),
  action: 'block',
  groupScoped: false,
  generateAlert: false,
  severity: 'low',
  title: 'Feed A',
  expiresAt: null,
  ...over,
});
const all: SyncIndicator[] = [
  ind('h1'),
  ind('h2', { action: 'allow', groupScoped: true, generateAlert: true, severity: 'high', title: 'Bücher ✓' }),
  ind('s1', { type: 'sha1', value: 'a'.repeat(40) }),
  ind('m1', { type: 'md5', value: 'b'.repeat(32), expiresAt: '2099-01-01T00:00:00.000Z' }),
  ind('d1', { type: 'domain', value: 'evil.test', action: 'audit' }),
  ind('u1', { type: 'url', value: 'https://x.example/a?b=1' }),
  ind('i4', { type: 'ipv4', value: '198.51.100.0/24', action: 'block_and_remediate' }),
  ind('i6', { type: 'ipv6', value: '2001:db8::1' }),
];
const dir = mkdtempSync(join(tmpdir(), 'quell-ioc-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('indicator file', () => {
  it('round-trips every field of every type, and the version', async () => {
    const store = new IndicatorStore();
    store.applySnapshot({ version: 77, indicators: all });
    const back = await decodeIndicators(encodeIndicators(store.currentTables(), 77, 5), Date.now());
    const restored = new IndicatorStore();
    restored.restore(back.version, back.tables);
    expect([back.version, back.writtenAt, restored.size]).toEqual([77, 5, all.length]);
    for (const i of all) expect(restored.get(i.id)).toEqual(store.get(i.id));
    expect(restored.lookupIp('198.51.100.9')?.id).toBe('i4');
    expect(restored.lookupDomain('a.evil.test')?.id).toBe('d1');
  });

  it('leaves out indicators that expired while the agent was down', async () => {
    const store = new IndicatorStore({ now: () => 1000 });
    store.applySnapshot({
      version: 1,
      indicators: [ind('old', { expiresAt: new Date(5000).toISOString() }), ind('keep')],
    });
    const back = await decodeIndicators(encodeIndicators(store.currentTables(), 1, 0), 6000);
    expect(back.tables.size).toBe(1);
  });

  it('refuses a file with one flipped byte', async () => {
    const store = new IndicatorStore();
    store.applySnapshot({ version: 1, indicators: all });
    const buf = encodeIndicators(store.currentTables(), 1, 0);
    buf[60] = buf[60]! ^ 1;
    await expect(decodeIndicators(buf, 0)).rejects.toThrow(IndicatorFileError);
    await expect(decodeIndicators(buf, 0)).rejects.toThrow(/checksum mismatch/);
  });

  it('writes and reads a file of many chunks, records straddling chunk boundaries', async () => {
    const store = new IndicatorStore();
    const many = Array.from({ length: 30_000 }, (_, i) =>
      i % 1000 === 7
        ? ind(`u${i}`, { type: 'url', value: `https://x${i}.test/${'p'.repeat(i % 3000)}` })
        : ind(`h${i}`, { title: `Feed ${i % 5}` }),
    );
    store.applySnapshot({ version: 9, indicators: many });
    const path = join(dir, 'many.bin');
    const bytes = await writeIndicatorFile(path, store.currentTables(), 9);
    expect(bytes).toBeGreaterThan(1 << 20);
    expect(readFileSync(path)).toEqual(
      encodeIndicators(store.currentTables(), 9, readFileSync(path).readDoubleLE(24)),
    );
    const back = await readIndicatorFile(path, Date.now());
    const restored = new IndicatorStore();
    restored.restore(back!.version, back!.tables);
    expect(restored.size).toBe(many.length);
    for (const i of [many[0]!, many[7]!, many[14_007]!, many[29_999]!])
      expect(restored.get(i.id)).toEqual(store.get(i.id));
  });

  it('refuses a truncated file', async () => {
    const store = new IndicatorStore();
    store.applySnapshot({ version: 1, indicators: all });
    const path = join(dir, 'short.bin');
    writeFileSync(path, encodeIndicators(store.currentTables(), 1, 0).subarray(0, 70));
    await expect(readIndicatorFile(path, 0)).rejects.toThrow(IndicatorFileError);
  });
});

describe('IndicatorPersistence', () => {
  it('writes the file and the SHA-256 export after changes, and a restart resumes from them', async () => {
    const store = new IndicatorStore();
    const p = new IndicatorPersistence({ store, dir, minSaveIntervalMs: 0, exportDelayMs: 0 });
    p.start();
    store.applySnapshot({ version: 3, indicators: all });
    store.applyDelta({ fromVersion: 3, toVersion: 4, upserts: [ind('h3')], removals: ['h1'] });
    await p.stop();

    const { version, digests } = await readSha256Export(join(dir, INDICATOR_FILES.sha256Export));
    expect(version).toBe(4);
    expect(exportContains(digests, Buffer.from(sha('h3'), 'hex'))).toBe(true);
    expect(exportContains(digests, Buffer.from(sha('h1'), 'hex'))).toBe(false);
    // h2 is allowed: allows are not in the block list.
    expect(exportContains(digests, Buffer.from(sha('h2'), 'hex'))).toBe(false);

    const again = new IndicatorStore();
    expect(await new IndicatorPersistence({ store: again, dir }).load()).toMatchObject({
      version: 4,
      total: all.length,
    });
    expect(again.get('h3')).not.toBeNull();
    again.applyDelta({ fromVersion: 4, toVersion: 5, upserts: [], removals: ['h3'] });
  });

  it('moves a corrupt file aside and starts empty, so a snapshot replaces it', async () => {
    const sub = mkdtempSync(join(dir, 'corrupt-'));
    const path = join(sub, INDICATOR_FILES.indicators);
    writeFileSync(
      path,
      'QINDgarbage-garbage-garbage-garbage-garbage-garbage-garbage-garbage-garbage-garbage',
    );
    const store = new IndicatorStore();
    expect(await new IndicatorPersistence({ store, dir: sub }).load()).toBeNull();
    expect(store.version).toBeNull();
    expect(existsSync(`${path}.corrupt`)).toBe(true);
    expect(readFileSync(`${path}.corrupt`, 'latin1').startsWith('QIND')).toBe(true);
  });
});
