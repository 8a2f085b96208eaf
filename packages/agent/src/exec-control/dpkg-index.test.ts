import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDpkgIndex } from './dpkg-index.js';

const MD5_A = 'a'.repeat(32);
const MD5_B = 'b'.repeat(32);
const MD5_C = 'c'.repeat(32);
const MD5_D = 'd'.repeat(32);

/** A dpkg database the way dpkg lays it out, with a diversion and a usr-merge leftover. */
function fakeDpkg(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quell-dpkg-'));
  mkdirSync(join(dir, 'info'));
  const info = (name: string, text: string) => writeFileSync(join(dir, 'info', name), text);
  info('coreutils.md5sums', `${MD5_A}  bin/ls\n${MD5_B}  usr/bin/true\n`);
  info('coreutils.list', '/.\n/bin\n/bin/ls\n/usr/bin/true\n');
  info('libfoo:amd64.md5sums', `${MD5_C}  usr/lib/x86_64-linux-gnu/libfoo.so.1\nnot a line\n`);
  info('libfoo:i386.md5sums', `${MD5_D}  usr/lib/x86_64-linux-gnu/libfoo.so.1\n`);
  info('mawk.md5sums', `${MD5_C}  usr/bin/awk\n`);
  // dpkg-divert --package gawk --rename --divert /usr/bin/awk.mawk /usr/bin/awk
  info('gawk.md5sums', `${MD5_D}  usr/bin/awk\n`);
  writeFileSync(join(dir, 'diversions'), '/usr/bin/awk\n/usr/bin/awk.mawk\ngawk\n');
  return dir;
}

describe('loadDpkgIndex', () => {
  const dir = fakeDpkg();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('maps each packaged path to the md5 dpkg recorded', async () => {
    const idx = await loadDpkgIndex(dir);
    expect(idx.expectedMd5('/usr/bin/true')).toEqual([MD5_B]);
    expect(idx.expectedMd5('/tmp/dropped')).toEqual([]);
  });

  it('finds /bin/ls when it is executed as /usr/bin/ls on a usr-merged system', async () => {
    const idx = await loadDpkgIndex(dir);
    expect(idx.expectedMd5('/usr/bin/ls')).toEqual([MD5_A]);
    expect(idx.expectedMd5('/bin/ls')).toEqual([MD5_A]);
    expect(idx.expectedMd5('/bin/true')).toEqual([MD5_B]);
  });

  it('accepts any architecture’s copy of a shared path', async () => {
    const idx = await loadDpkgIndex(dir);
    expect([...idx.expectedMd5('/usr/lib/x86_64-linux-gnu/libfoo.so.1')].sort()).toEqual([MD5_C, MD5_D]);
  });

  it('expects a diverted file at its diverted-to path', async () => {
    const idx = await loadDpkgIndex(dir);
    expect(idx.expectedMd5('/usr/bin/awk.mawk')).toEqual([MD5_C]);
    expect(idx.expectedMd5('/usr/bin/awk')).toEqual([MD5_D]);
  });

  it('fails with the missing directory named', async () => {
    await expect(loadDpkgIndex(join(dir, 'nope'))).rejects.toThrow(/nope/);
  });
});
