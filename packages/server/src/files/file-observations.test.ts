import { describe, expect, it } from 'vitest';
import type { FileRow } from '@quell/store';
import { baseName, foldObservations, type ResolvedObservation } from './file-observations.js';

const SHA = 'a'.repeat(64);
const obs = (over: Partial<ResolvedObservation>): ResolvedObservation => ({
  sha256: SHA,
  deviceId: 'dev_1',
  path: '/tmp/x',
  source: 'executed',
  at: 1000,
  ...over,
});

describe('folding a report of observations', () => {
  it('makes one file row and one sighting per device and path, counting repeats and widening times', () => {
    const { files, sightings } = foldObservations(
      [
        obs({ at: 2000, source: 'scan' }),
        obs({ at: 1000 }),
        obs({ deviceId: 'dev_2', path: 'C:\\Users\\bob\\x.exe', at: 3000, md5: 'F'.repeat(32) }),
        obs({ deviceId: null, name: 'named-in-alert', at: 500 }),
      ],
      new Map(),
    );
    expect(files).toEqual([
      {
        sha256: SHA,
        sha1: null,
        md5: 'f'.repeat(32),
        size: null,
        names: ['x.exe', 'x', 'named-in-alert'],
        first_seen_at: 500,
        last_seen_at: 3000,
      },
    ]);
    expect(sightings).toEqual([
      {
        sha256: SHA,
        device_id: 'dev_1',
        path: '/tmp/x',
        source: 'scan',
        first_seen_at: 1000,
        last_seen_at: 2000,
        count: 2,
      },
      {
        sha256: SHA,
        device_id: 'dev_2',
        path: 'C:\\Users\\bob\\x.exe',
        source: 'executed',
        first_seen_at: 3000,
        last_seen_at: 3000,
        count: 1,
      },
    ]);
  });

  it.each([
    ['newer than what is known: first', 5000, ['fresh', 'old-1', 'old-2']],
    ['older than what is known: after it', 10, ['old-1', 'old-2', 'fresh']],
  ])('merges names with the known row, a batch %s', (_what, at, names) => {
    const known: FileRow = {
      sha256: SHA,
      sha1: null,
      md5: null,
      size: null,
      names: JSON.stringify(['old-1', 'old-2']),
      first_seen_at: 100,
      last_seen_at: 1000,
    };
    const { files } = foldObservations([obs({ path: '/a/fresh', at })], new Map([[SHA, known]]));
    expect(files[0]!.names).toEqual(names);
  });

  it('keeps at most 20 names', () => {
    const many = Array.from({ length: 30 }, (_, i) => obs({ path: `/tmp/n${i}`, at: i }));
    expect(foldObservations(many, new Map()).files[0]!.names).toHaveLength(20);
  });

  it.each([
    ['/usr/local/bin/evil', 'evil'],
    ['C:\\Temp\\evil.exe', 'evil.exe'],
    ['evil', 'evil'],
  ])('takes the base name of %s', (path, name) => expect(baseName(path)).toBe(name));
});
