import type { ChildProcess } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Command } from '@quell/contracts';
import {
  FileQuarantine,
  QuarantineConflictError,
  QuarantineNotFoundError,
  QuarantineRefusedError,
  RestoreQuarantinedFileHandler,
  StopAndQuarantineFileHandler,
  SystemctlServiceManager,
} from '../src/quarantine/index.js';
import { cmd, requirements, ROOT } from './support/requirements.js';
import { md5, QuarantineLab, sha256, USER_XATTRS } from './support/quarantine-lab.js';

// What quarantine must refuse or skip, restore conflicts, repeats, and the two handlers. Every
// refusal is checked for "nothing changed": the process still runs (not even stopped), the file
// and the persistence are untouched, the vault is empty.
const missing = requirements([
  ROOT,
  cmd('getfattr', 'attr'),
  cmd('setfattr', 'attr'),
  cmd('touch', 'coreutils'),
  USER_XATTRS,
]);

const SCRIPT = '/opt/evil/run.sh';
const TEXT = '#!/bin/sh\nwhile :; do sleep 1; done\n';
const CRON = '/etc/cron.d/evil';
const CRON_TEXT = '@reboot root /opt/evil/run.sh\n';

describe.skipIf(missing.length)('quarantine refusals, skips, conflicts and repeats', () => {
  let lab: QuarantineLab;
  let proc: ChildProcess;
  const sha = sha256(TEXT);
  const quarantine = (opts: { isAllowed?: (h: string) => boolean } = {}) =>
    new FileQuarantine({
      fsRoot: lab.root,
      stateDir: lab.stateDir,
      services: new SystemctlServiceManager({ fsRoot: lab.root }),
      ...opts,
    });

  beforeEach(async () => {
    lab = new QuarantineLab();
    lab.write(SCRIPT, TEXT, { mode: 0o755 });
    lab.write(CRON, CRON_TEXT);
    proc = await lab.start(lab.host(SCRIPT), [], { expect: 'run.sh' });
  });
  afterEach(() => lab.cleanup());

  const expectNothingChanged = (): void => {
    // Still running, neither stopped (T) nor killed (Z or gone); D is a disk wait on a busy machine.
    expect(QuarantineLab.state(proc.pid!)).toMatch(/^[SRD]$/);
    expect(sha256(lab.read(SCRIPT))).toBe(sha);
    expect(lab.read(CRON).toString()).toBe(CRON_TEXT);
    // Not even an empty vault directory was made.
    expect(readdirSync(lab.stateDir)).toEqual([]);
  };

  it('refuses a file the package database owns, naming the package problem, and changes nothing', async () => {
    // A fake dpkg database under the root listing the script's path.
    lab.write('/var/lib/dpkg/info/evilpkg.md5sums', `${md5(TEXT)}  opt/evil/run.sh\n`);
    const err = await quarantine()
      .quarantine({ sha256: sha, paths: [SCRIPT], actionId: 'a1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuarantineRefusedError);
    expect(err).toMatchObject({
      code: 'QUELL_E_AGENT_QUARANTINE_REFUSED',
      refusals: [
        { path: SCRIPT, reason: 'package_owned', detail: expect.stringContaining('installed package') },
      ],
    });
    expectNothingChanged();
  });

  it('refuses a package-owned path it only found through a running process', async () => {
    lab.write('/var/lib/dpkg/info/evilpkg.md5sums', `${md5('other')}  opt/evil/run.sh\n`);
    const err = await quarantine()
      .quarantine({ sha256: sha, actionId: 'a1' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ refusals: [{ path: SCRIPT, reason: 'package_owned' }] });
    expect((err as Error).message).toContain('reinstall the package');
    expectNothingChanged();
  });

  it('refuses a hash an allow indicator covers', async () => {
    const err = await quarantine({ isAllowed: (h) => h === sha })
      .quarantine({ sha256: sha, paths: [SCRIPT], actionId: 'a1' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'QUELL_E_AGENT_QUARANTINE_REFUSED',
      refusals: [{ reason: 'allowed' }],
    });
    expectNothingChanged();
  });

  it('skips a path whose content is not the hash, and still quarantines the real copy', async () => {
    const decoy = '/home/alice/run.sh';
    lab.write(decoy, '#!/bin/sh\necho harmless\n', { mode: 0o755 });
    const out = await quarantine().quarantine({
      sha256: sha,
      paths: [decoy, SCRIPT, '/nope/x'],
      actionId: 'a1',
    });
    expect(out.skipped).toEqual([
      { path: decoy, reason: 'hash_mismatch', detail: `sha256 there is ${sha256(lab.read(decoy))}` },
      { path: '/nope/x', reason: 'missing' },
    ]);
    expect(lab.read(decoy).toString()).toBe('#!/bin/sh\necho harmless\n');
    expect(out.files.map((f) => f.path)).toEqual([SCRIPT]);
    expect(await QuarantineLab.exited(proc)).toBe('SIGKILL');
  });

  it('finds the copy from the running process when no path is given', async () => {
    const out = await quarantine().quarantine({ sha256: sha, actionId: 'a1' });
    expect(out.files.map((f) => f.path)).toEqual([SCRIPT]);
    expect(out.processesKilled.map((p) => p.pid)).toEqual([proc.pid]);
    expect(out.persistenceRemoved).toEqual([
      { kind: 'cron', location: `${CRON}:1`, detail: '@reboot root /opt/evil/run.sh' },
    ]);
  });

  it('reports a repeat of a finished quarantine as done, with nothing to do', async () => {
    const q = quarantine();
    const first = await q.quarantine({ sha256: sha, paths: [SCRIPT], actionId: 'a1' });
    const again = await q.quarantine({ sha256: sha, paths: [SCRIPT], actionId: 'a2' });
    expect(again).toMatchObject({
      files: [],
      processesKilled: [],
      skipped: [],
      alreadyQuarantined: [first.files[0]!.entryId],
      counts: { processesKilled: 0, filesQuarantined: 0, persistenceRemoved: 0 },
    });
    expect(await q.list()).toHaveLength(1);
  });

  it('refuses to restore over a different file and changes nothing; restores once it is moved away', async () => {
    const q = quarantine();
    const out = await q.quarantine({ sha256: sha, paths: [SCRIPT], actionId: 'a1' });
    writeFileSync(lab.host(SCRIPT), 'someone else\n');
    const err = await q.restore({ sha256: sha }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuarantineConflictError);
    expect(err).toMatchObject({
      code: 'QUELL_E_AGENT_QUARANTINE_CONFLICT',
      conflicts: [{ path: SCRIPT, kind: 'file' }],
    });
    expect(lab.read(SCRIPT).toString()).toBe('someone else\n');
    expect(lab.read(CRON).toString()).toBe('');
    expect((await q.list()).map((e) => e.entryId)).toEqual([out.files[0]!.entryId]);

    lab.write(SCRIPT, TEXT, { mode: 0o755 });
    const again = await q.restore({ sha256: sha });
    // The same content already there counts as restored; the cron line still comes back.
    expect(again.files).toEqual([
      { path: SCRIPT, entryId: out.files[0]!.entryId, sha256: sha, alreadyPresent: true },
    ]);
    expect(lab.read(CRON).toString()).toBe(CRON_TEXT);
    expect(await q.list()).toEqual([]);
  });

  it('appends a removed line when the file changed since, instead of guessing a position', async () => {
    const q = quarantine();
    await q.quarantine({ sha256: sha, paths: [SCRIPT], actionId: 'a1' });
    writeFileSync(lab.host(CRON), '# edited by an admin\n');
    const out = await q.restore({ sha256: sha });
    expect(lab.read(CRON).toString()).toBe(`# edited by an admin\n${CRON_TEXT}`);
    expect(out.persistenceRestored).toEqual([
      { kind: 'cron', location: CRON, detail: '1 line run(s)', how: 'appended' },
    ]);
  });

  it('says what is missing when nothing in the vault matches', async () => {
    await expect(quarantine().restore({ sha256: 'a'.repeat(64) })).rejects.toBeInstanceOf(
      QuarantineNotFoundError,
    );
    await expect(quarantine().restore({ entryId: '../../etc' })).rejects.toMatchObject({
      code: 'QUELL_E_AGENT_QUARANTINE_NOT_FOUND',
    });
  });

  describe('handlers', () => {
    const command = (type: Command['type'], params: Record<string, unknown>): Command => ({
      actionId: `act-${type}`,
      deviceId: 'dev-1',
      type,
      params,
      issuedAt: 0,
      expiresAt: Number.MAX_SAFE_INTEGER,
      timeoutMs: 60_000,
    });
    const ctx = (c: Command) => ({
      command: c,
      signal: new AbortController().signal,
      progress: () => undefined,
    });

    it('quarantine and restore through the handlers, with counts as results', async () => {
      const q = quarantine();
      const stop = await new StopAndQuarantineFileHandler(q).run(
        ctx(command('stop_and_quarantine_file', { sha256: sha.toUpperCase(), path: SCRIPT })),
      );
      expect(stop.status ?? 'succeeded').toBe('succeeded');
      expect(stop.result).toEqual({ processesKilled: 1, filesQuarantined: 1, persistenceRemoved: 1 });
      expect(stop.evidence).toMatchObject({ files: [{ path: SCRIPT, sha256: sha }], skipped: [] });

      const undo = await new RestoreQuarantinedFileHandler(q).run(
        ctx(command('restore_quarantined_file', { sha256: sha })),
      );
      expect(undo).toMatchObject({ result: { filesRestored: 1 } });
      expect(sha256(lab.read(SCRIPT))).toBe(sha);
    });

    it('fails with the code and the refusal in the evidence', async () => {
      const out = await new StopAndQuarantineFileHandler(quarantine({ isAllowed: () => true })).run(
        ctx(command('stop_and_quarantine_file', { sha256: sha, path: SCRIPT })),
      );
      expect(out).toMatchObject({
        status: 'failed',
        error: expect.stringContaining('QUELL_E_AGENT_QUARANTINE_REFUSED'),
        evidence: { code: 'QUELL_E_AGENT_QUARANTINE_REFUSED', refusals: [{ reason: 'allowed' }] },
      });
      expectNothingChanged();
    });

    it('fails when the file is nowhere to be found', async () => {
      const out = await new StopAndQuarantineFileHandler(quarantine()).run(
        ctx(command('stop_and_quarantine_file', { sha256: 'b'.repeat(64), path: '/opt/none' })),
      );
      expect(out).toMatchObject({ status: 'failed', error: expect.stringContaining('no copy of') });
    });

    it('rejects params that are not a hash before doing anything', async () => {
      await expect(
        new StopAndQuarantineFileHandler(quarantine()).run(
          ctx(command('stop_and_quarantine_file', { sha256: 'x' })),
        ),
      ).rejects.toMatchObject({ code: 'QUELL_E_AGENT_PARAMS' });
    });
  });
});
