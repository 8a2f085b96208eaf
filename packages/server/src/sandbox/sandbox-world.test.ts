import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildWorld, sandboxFileName } from './sandbox-world.js';
import { collectFiles, diffWorld, snapshotWorld } from './world-snapshot.js';

describe('sandbox world', () => {
  let dir: string;
  let fakeHost: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quell-world-test-'));
    // A merged-/usr host with one separate system directory, and a loader cache to copy.
    fakeHost = join(dir, 'host');
    mkdirSync(join(fakeHost, 'usr/bin'), { recursive: true });
    mkdirSync(join(fakeHost, 'lib64'), { recursive: true });
    mkdirSync(join(fakeHost, 'etc/alternatives'), { recursive: true });
    symlinkSync('usr/bin', join(fakeHost, 'bin'));
    symlinkSync('/usr/bin/mawk', join(fakeHost, 'etc/alternatives/awk'));
    writeFileSync(join(fakeHost, 'etc/ld.so.cache'), 'cache');
    writeFileSync(join(dir, 'sample.sh'), '#!/bin/sh\necho hi\n', { mode: 0o600 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const build = () =>
    buildWorld(join(dir, 'world'), {
      samplePath: join(dir, 'sample.sh'),
      sampleName: 'sample.sh',
      owner: null,
      hostRoot: fakeHost,
    });

  it('builds a decoy system with the sample executable at /sample', async () => {
    mkdirSync(join(dir, 'world'));
    const world = await build();
    const at = (p: string) => join(dir, 'world', p);
    expect(world.samplePath).toBe('/sample/sample.sh');
    expect(statSync(at('/sample/sample.sh')).mode & 0o777).toBe(0o755);
    expect(readFileSync(at('/etc/shadow'), 'utf8')).toMatch(/^root:\$6\$decoy/);
    expect(statSync(at('/etc/shadow')).mode & 0o777).toBe(0o640);
    expect(readFileSync(at('/root/.ssh/id_rsa'), 'utf8')).toMatch(/BEGIN RSA PRIVATE KEY/);
    expect(readFileSync(at('/etc/resolv.conf'), 'utf8')).toContain('nameserver 127.0.0.53');
    expect(() => statSync(at('/etc/ld.so.preload'))).toThrow();
    expect(statSync(at('/var/spool/cron/crontabs')).isDirectory()).toBe(true);
    expect(statSync(at('/tmp')).mode & 0o7777).toBe(0o1777);
    expect(readFileSync(at('/etc/ld.so.cache'), 'utf8')).toBe('cache');
    expect(readlinkSync(at('/etc/alternatives/awk'))).toBe('/usr/bin/mawk');
    expect(readlinkSync(at('/bin'))).toBe('usr/bin');
    expect(world.readOnlyBinds).toEqual(['/usr', '/lib64']);
  });

  it('finds what changed, hashes it and copies it out under its hash', async () => {
    mkdirSync(join(dir, 'world'));
    const world = await build();
    const opts = {
      skip: new Set(['/proc', '/dev', ...world.readOnlyBinds]),
      keepContentBytes: 65536,
      maxEntries: 10_000,
    };
    const before = await snapshotWorld(world.root, opts);
    writeFileSync(join(world.root, 'tmp/dropped'), 'payload');
    writeFileSync(join(world.root, 'tmp/copy'), 'payload');
    writeFileSync(join(world.root, 'etc/crontab'), 'changed');
    unlinkSync(join(world.root, 'sample/sample.sh'));
    symlinkSync('/etc/shadow', join(world.root, 'tmp/link'));
    const after = await snapshotWorld(world.root, { ...opts, previous: before.entries });
    const changes = diffWorld(before.entries, after.entries);
    expect(changes.map((c) => `${c.change} ${c.path}`)).toEqual([
      'modified /etc/crontab',
      'deleted /sample/sample.sh',
      'created /tmp/copy',
      'created /tmp/dropped',
      'created /tmp/link',
    ]);

    const out = join(dir, 'out');
    const { files, skipped } = await collectFiles(world.root, changes, out, { maxFiles: 1, maxBytes: 1000 });
    const sha = '239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7426952f9b852d5a935e5';
    expect(files.find((f) => f.path === '/tmp/dropped')).toMatchObject({
      sha256: sha,
      size: 7,
      artifact: `files/${sha}`,
    });
    // Same content: one copy serves both records.
    expect(files.find((f) => f.path === '/tmp/copy')?.artifact).toBe(`files/${sha}`);
    expect(files.find((f) => f.path === '/tmp/link')).toMatchObject({
      type: 'symlink',
      linkTarget: '/etc/shadow',
      sha256: null,
    });
    expect(readFileSync(join(out, 'files', sha), 'utf8')).toBe('payload');
    expect(statSync(join(out, 'files', sha)).mode & 0o777).toBe(0o600);
    // The cap of one copied file goes to what the sample dropped, not the crontab it modified.
    expect(files.find((f) => f.path === '/etc/crontab')?.artifact).toBeNull();
    expect(skipped).toBe(1);
  });

  it.each([
    ['invoice.pdf.sh', 'invoice.pdf.sh'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\x\\evil.exe', 'evil.exe'],
    ['name with spaces;rm -rf', 'name_with_spaces_rm_-rf'],
    ['.hidden', 'hidden'],
    ['...', 'sample'],
  ])('names the sample %j as %j inside the sandbox', (given, expected) => {
    expect(sandboxFileName(given)).toBe(expected);
  });
});
