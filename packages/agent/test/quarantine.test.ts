import { statSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileQuarantine, SystemctlServiceManager, type QuarantineOutcome } from '../src/quarantine/index.js';
import { cmd, requirements, ROOT } from './support/requirements.js';
import { QuarantineLab, sha256, USER_XATTRS, type Snapshot } from './support/quarantine-lab.js';

// Stop and quarantine, then undo, against real processes the test starts and a temp root: the
// processes are found through the real /proc, the files really moved, and every persistence
// item must come back byte for byte.
const missing = requirements([
  ROOT,
  cmd('getfattr', 'attr'),
  cmd('setfattr', 'attr'),
  cmd('touch', 'coreutils'),
  cmd('sleep', 'coreutils'),
  USER_XATTRS,
]);

const SCRIPT = '/tmp/.cache/mal.sh';
const BINARY = '/tmp/.cache/kworkerd';
const SCRIPT_TEXT = '#!/bin/sh\n# dropped\nwhile :; do sleep 1; done\n';

const PERSISTENCE = {
  cron: '/etc/cron.d/updater',
  crontab: '/etc/crontab',
  unit: '/etc/systemd/system/kworkerd.service',
  timer: '/etc/systemd/system/kworkerd.timer',
  wants: '/etc/systemd/system/multi-user.target.wants/kworkerd.service',
  timerWants: '/etc/systemd/system/timers.target.wants/kworkerd.timer',
  bashrc: '/home/alice/.bashrc',
  keys: '/home/alice/.ssh/authorized_keys',
} as const;

describe.skipIf(missing.length)('stop and quarantine file, and its undo', () => {
  let lab: QuarantineLab;
  let services: SystemctlServiceManager;
  let q: FileQuarantine;
  const before: Record<string, Snapshot> = {};
  let scriptSha: string;
  let binarySha: string;
  let procs: Awaited<ReturnType<QuarantineLab['start']>>[];
  let bystander: Awaited<ReturnType<QuarantineLab['start']>>;
  let outScript: QuarantineOutcome;
  let outBinary: QuarantineOutcome;
  let scriptAtimeNs: bigint;

  beforeAll(async () => {
    lab = new QuarantineLab();
    // Owned by alice, with an xattr and odd nanosecond times, so restore has something to prove.
    lab.write(SCRIPT, SCRIPT_TEXT, { mode: 0o750, uid: 1000 });
    lab.setXattr(SCRIPT, 'user.origin', 'dropper');
    lab.touch(SCRIPT, '1600000000.123456789', '1600000001.987654321');
    // Same bytes as /usr/bin/sleep: only the path tells the two apart.
    lab.copy('/usr/bin/sleep', BINARY, { mode: 0o755, uid: 1000 });
    lab.touch(BINARY, '1500000000.000000001', '1500000000.999999999');
    scriptSha = sha256(lab.read(SCRIPT));
    binarySha = sha256(lab.read(BINARY));

    lab.write(
      PERSISTENCE.cron,
      'SHELL=/bin/sh\n*/5 * * * * root /tmp/.cache/mal.sh >/dev/null 2>&1\n0 3 * * * root /usr/bin/true\n',
      { mtime: '1650000000.111111111' },
    );
    lab.write(PERSISTENCE.crontab, '17 * * * * root /tmp/.cache/mal.sh.bak\n', { mtime: '1650000000.2' });
    lab.write(
      PERSISTENCE.unit,
      '[Unit]\nDescription=Kernel worker\n[Service]\nExecStart=/tmp/.cache/kworkerd 1000\nRestart=always\n[Install]\nWantedBy=multi-user.target\n',
      { mtime: '1650000000.333333333' },
    );
    lab.write(PERSISTENCE.timer, '[Timer]\nOnBootSec=5min\n[Install]\nWantedBy=timers.target\n', {
      mtime: '1650000000.4',
    });
    lab.link(PERSISTENCE.wants, '/etc/systemd/system/kworkerd.service');
    lab.link(PERSISTENCE.timerWants, '../kworkerd.timer');
    lab.touch(PERSISTENCE.wants, '1650000000.5', '1650000000.555555555', true);
    lab.write(
      PERSISTENCE.bashrc,
      "# ~/.bashrc\nalias ll='ls -l'\n(/tmp/.cache/mal.sh &) 2>/dev/null\nexport EDITOR=vi\n",
      { uid: 1000, mtime: '1650000000.666666666' },
    );
    lab.write(
      PERSISTENCE.keys,
      'ssh-ed25519 AAAAC3legit alice@laptop\ncommand="/tmp/.cache/kworkerd 1000; exec $SHELL",no-pty ssh-ed25519 AAAAC3evil x\n',
      { mode: 0o600, uid: 1000, mtime: '1650000000.777777777' },
    );
    for (const p of [SCRIPT, BINARY, ...Object.values(PERSISTENCE)]) before[p] = lab.snapshot(p);

    procs = [
      // Run directly (the kernel starts /bin/sh with the script's absolute path)…
      await lab.start(lab.host(SCRIPT), [], { expect: 'mal.sh' }),
      // …and by a relative path, resolved against the process's cwd.
      await lab.start('/bin/sh', ['mal.sh'], { cwd: lab.host('/tmp/.cache'), expect: 'mal.sh' }),
      await lab.start(lab.host(BINARY), ['1000'], { expect: 'kworkerd' }),
    ];
    // The real sleep has the same hash as the copy but is not under the root: it must survive.
    bystander = await lab.start('/usr/bin/sleep', ['1001'], { expect: '1001' });

    // Starting the script read it, which moved its atime: this is the atime to get back.
    scriptAtimeNs = statSync(lab.host(SCRIPT), { bigint: true }).atimeNs;
    services = new SystemctlServiceManager({ fsRoot: lab.root });
    q = new FileQuarantine({ fsRoot: lab.root, stateDir: lab.stateDir, services });
    outScript = await q.quarantine({ sha256: scriptSha, paths: [SCRIPT], actionId: 'act-q1' });
    outBinary = await q.quarantine({ sha256: binarySha, paths: [BINARY], actionId: 'act-q2' });
  });

  afterAll(() => lab?.cleanup());

  it('kills the processes running the script or the binary, and only those', async () => {
    expect(outScript.processesKilled.map((p) => p.pid).sort()).toEqual([procs[0]!.pid, procs[1]!.pid].sort());
    expect(outBinary.processesKilled.map((p) => p.pid)).toEqual([procs[2]!.pid]);
    expect(outBinary.processesKilled[0]).toMatchObject({
      exe: lab.host(BINARY),
      cmdline: `${lab.host(BINARY)} 1000`,
      user: 'root',
    });
    for (const p of procs) expect(await QuarantineLab.exited(p)).toBe('SIGKILL');
    // Still running (D: a disk wait on a busy machine), not stopped or killed.
    expect(QuarantineLab.state(bystander.pid!)).toMatch(/^[SRD]$/);
  });

  it('moves both files into the vault, neutralised', () => {
    expect(lab.exists(SCRIPT)).toBe(false);
    expect(lab.exists(BINARY)).toBe(false);
    expect(outScript.files).toEqual([
      { path: SCRIPT, entryId: expect.stringMatching(/^[0-9a-f]{16}$/), sha256: scriptSha },
    ]);
    const vault = join(lab.stateDir, 'quarantine');
    expect(statSync(vault).mode & 0o777).toBe(0o700);
    for (const out of [outScript, outBinary]) {
      const dir = join(vault, out.files[0]!.entryId);
      const st = statSync(dir);
      expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o700, 0, 0]);
      const content = join(dir, 'content.bin');
      expect(statSync(content).mode & 0o111).toBe(0);
      expect(sha256(readFileSync(content))).not.toBe(out.sha256);
      expect(readdirSync(dir).sort()).toEqual(['content.bin', 'manifest.json']);
    }
    expect(readFileSync(join(vault, outScript.files[0]!.entryId, 'content.bin')).includes('#!/bin/sh')).toBe(
      false,
    );
  });

  it('removes the cron line, bashrc line, unit, timer, links and forced-command key that refer to them', () => {
    expect(lab.read(PERSISTENCE.cron).toString()).toBe('SHELL=/bin/sh\n0 3 * * * root /usr/bin/true\n');
    expect(lab.read(PERSISTENCE.crontab)).toEqual(before[PERSISTENCE.crontab]!.bytes);
    expect(lab.read(PERSISTENCE.bashrc).toString()).toBe("# ~/.bashrc\nalias ll='ls -l'\nexport EDITOR=vi\n");
    expect(lab.read(PERSISTENCE.keys).toString()).toBe('ssh-ed25519 AAAAC3legit alice@laptop\n');
    for (const p of [PERSISTENCE.unit, PERSISTENCE.timer, PERSISTENCE.wants, PERSISTENCE.timerWants]) {
      expect(lab.exists(p)).toBe(false);
    }
    expect(outScript.persistenceRemoved.map((i) => [i.kind, i.location])).toEqual([
      ['cron', `${PERSISTENCE.cron}:2`],
      ['shell_rc', `${PERSISTENCE.bashrc}:3`],
    ]);
    expect(outBinary.persistenceRemoved.map((i) => [i.kind, i.location]).sort()).toEqual(
      [
        ['authorized_keys', `${PERSISTENCE.keys}:2`],
        ['systemd', PERSISTENCE.unit],
        ['systemd', PERSISTENCE.wants],
        ['systemd', PERSISTENCE.timer],
        ['systemd', PERSISTENCE.timerWants],
      ].sort(),
    );
    expect(outBinary.counts).toEqual({ processesKilled: 1, filesQuarantined: 1, persistenceRemoved: 5 });
    expect(outScript.skipped).toEqual([]);
  });

  it('stops and disables the units through the service manager (recorded: not the live root)', () => {
    expect(services.calls.filter((c) => c.op !== 'enable')).toEqual(
      expect.arrayContaining([
        { op: 'stop', target: 'kworkerd.service', executed: false },
        { op: 'disable', target: 'kworkerd.service', executed: false },
        { op: 'stop', target: 'kworkerd.timer', executed: false },
        { op: 'disable', target: 'kworkerd.timer', executed: false },
        { op: 'reload', target: 'system', executed: false },
      ]),
    );
  });

  it('lists the vault entries', async () => {
    const entries = await q.list();
    expect(entries.map((e) => [e.path, e.sha256, e.actionId]).sort()).toEqual(
      [
        [SCRIPT, scriptSha, 'act-q1'],
        [BINARY, binarySha, 'act-q2'],
      ].sort(),
    );
  });

  describe('undo', () => {
    beforeAll(async () => {
      services.calls.length = 0;
      await q.restore({ sha256: scriptSha });
      await q.restore({ entryId: outBinary.files[0]!.entryId });
    });

    it('puts both files back bit-identical with mode, owner, times and xattrs', () => {
      // atime first: ctime is necessarily new, so with relatime the next read moves atime again.
      expect(statSync(lab.host(SCRIPT), { bigint: true }).atimeNs).toBe(scriptAtimeNs);
      for (const p of [SCRIPT, BINARY]) {
        const now = lab.snapshot(p);
        expect(now).toEqual(before[p]);
        expect(sha256(now.bytes!)).toBe(p === SCRIPT ? scriptSha : binarySha);
      }
      expect(statSync(lab.host(BINARY), { bigint: true }).mtimeNs).toBe(1500000000999999999n);
      expect(lab.xattr(SCRIPT, 'user.origin')).toBe('dropper');
    });

    it('puts every persistence item back byte-identical, with owner, mode and mtime', () => {
      for (const p of Object.values(PERSISTENCE)) expect(lab.snapshot(p), p).toEqual(before[p]);
    });

    it('re-enables the units and empties the vault', async () => {
      expect(services.calls).toEqual(
        expect.arrayContaining([
          { op: 'reload', target: 'system', executed: false },
          { op: 'enable', target: 'kworkerd.service', executed: false },
          { op: 'enable', target: 'kworkerd.timer', executed: false },
        ]),
      );
      expect(await q.list()).toEqual([]);
      expect(readdirSync(join(lab.stateDir, 'quarantine'))).toEqual([]);
    });
  });
});
