import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FileIdentity } from './helper-protocol.js';
import { PackageTrustPolicy, type ExecSubject } from './trust-policy.js';

const dir = mkdtempSync(join(tmpdir(), 'quell-trust-'));
const dpkg = join(dir, 'dpkg');
mkdirSync(join(dpkg, 'info'), { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function identity(path: string): FileIdentity {
  const st = statSync(path, { bigint: true });
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

/** A file on disk, presented as if executed at `packagePath`. */
function subject(name: string, content: string, packagePath: string | null): ExecSubject {
  const p = join(dir, name);
  writeFileSync(p, content);
  return { packagePath, contentPath: p, file: identity(p) };
}

describe('PackageTrustPolicy', () => {
  writeFileSync(join(dpkg, 'info', 'tool.md5sums'), `${md5('tool v1')}  usr/bin/tool\n`);

  it('trusts a package path only with the checksum dpkg recorded', async () => {
    const policy = new PackageTrustPolicy({ dpkgDir: dpkg });
    await policy.prepare({ allowSha256: [] });
    expect(await policy.decide(subject('a', 'tool v1', '/usr/bin/tool'))).toEqual({
      allow: true,
      reason: 'package',
      sha256: sha('tool v1'),
    });
    expect(await policy.decide(subject('b', 'tampered', '/usr/bin/tool'))).toMatchObject({
      allow: false,
      reason: 'untrusted',
    });
    // Right content, wrong place: a copy of a package binary dropped elsewhere is not owned.
    expect(await policy.decide(subject('c', 'tool v1', '/tmp/tool'))).toMatchObject({ allow: false });
  });

  it('trusts any path whose SHA-256 is on the allow list (case-insensitive)', async () => {
    const policy = new PackageTrustPolicy({ dpkgDir: dpkg });
    await policy.prepare({ allowSha256: [sha('in-house').toUpperCase()] });
    expect(await policy.decide(subject('d', 'in-house', '/opt/app'))).toMatchObject({
      allow: true,
      reason: 'allow_list',
    });
  });

  it('picks up a package upgrade made while enforcing', async () => {
    const policy = new PackageTrustPolicy({ dpkgDir: dpkg, refreshIntervalMs: 0 });
    await policy.prepare({ allowSha256: [] });
    writeFileSync(join(dpkg, 'info', 'tool2.md5sums'), `${md5('tool2 v2')}  usr/bin/tool2\n`);
    // Directory mtimes can have coarse granularity: make the change visible.
    utimesSync(join(dpkg, 'info'), new Date(), new Date(Date.now() + 5000));
    expect(await policy.decide(subject('e', 'tool2 v2', '/usr/bin/tool2'))).toMatchObject({ allow: true });
  });

  it('denies without hashing files over the size limit', async () => {
    const policy = new PackageTrustPolicy({ dpkgDir: dpkg, maxHashBytes: 4 });
    await policy.prepare({ allowSha256: [sha('tool v1')] });
    expect(await policy.decide(subject('f', 'tool v1', '/usr/bin/tool'))).toEqual({
      allow: false,
      reason: 'too_large',
      sha256: null,
    });
  });

  it('refuses to hash (and cache) a file that is not the version the helper reported', async () => {
    const policy = new PackageTrustPolicy({ dpkgDir: dpkg });
    await policy.prepare({ allowSha256: [] });
    const s = subject('g', 'tool v1', '/usr/bin/tool');
    const stale = { ...s, file: { ...s.file, ino: s.file.ino + 1n } };
    expect(await policy.decide(stale)).toMatchObject({ allow: false, reason: 'unreadable' });
    expect(await policy.decide(s)).toMatchObject({ allow: true });
  });
});
