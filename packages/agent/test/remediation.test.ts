import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../src/events/agent-events.js';
import { IndicatorStore, StoreHashBlocklist, type SyncIndicator } from '../src/indicators/index.js';
import { silentLogger } from '../src/log.js';
import { FileQuarantine } from '../src/quarantine/index.js';
import { BlockRemediator, PathWatcher, remediationActionId } from '../src/remediation/index.js';
import { eventually } from './support/e2e-stack.js';
import { indicator } from './support/indicators-fixtures.js';
import { QuarantineLab, sha256 } from './support/quarantine-lab.js';
import { cmd, requirements, ROOT } from './support/requirements.js';

/**
 * Block-and-remediate on the agent, with the real pieces: inotify watches over a temp root, the
 * real quarantine (vault, refusals from the host's dpkg database), a real indicator store.
 */
const missing = requirements([ROOT, cmd('getfattr', 'attr'), cmd('dpkg', 'dpkg')]);
const PAYLOAD = '#!/bin/sh\n# quell remediation test payload\nexit 0\n';

describe.skipIf(missing.length)('block and remediate: new copies and scanned copies', () => {
  let lab: QuarantineLab;
  let store: IndicatorStore;
  let version = 1;
  let fq: FileQuarantine;
  let remediator: BlockRemediator;
  let watcher: PathWatcher;
  const events: AgentEvent[] = [];
  const delta = (upserts: SyncIndicator[], removals: string[] = []) => {
    store.applyDelta({ fromVersion: version, toVersion: version + 1, upserts, removals });
    version++;
  };
  const remediated = () => events.filter((e) => e.kind === 'remediated');

  beforeAll(async () => {
    lab = new QuarantineLab();
    mkdirSync(lab.host('/var/tmp'), { recursive: true });
    mkdirSync(lab.host('/usr/bin'), { recursive: true });
    store = new IndicatorStore();
    store.applySnapshot({
      version,
      indicators: [indicator('remediate-payload', { value: sha256(PAYLOAD), action: 'block_and_remediate' })],
    });
    fq = new FileQuarantine({
      stateDir: lab.stateDir,
      fsRoot: lab.root,
      dpkgDir: '/var/lib/dpkg',
      isAllowed: (sha) => store.lookupHash('sha256', sha)?.action === 'allow',
    });
    remediator = new BlockRemediator({
      indicators: new StoreHashBlocklist(store),
      quarantine: async () => fq,
      fsRoot: lab.root,
      events: { emit: (e) => events.push(e) },
      log: silentLogger,
    });
    watcher = new PathWatcher({
      roots: ['/tmp', '/var/tmp', '/usr/bin', '/no/such/dir'].map((p) => lab.host(p)),
      onFile: (p) => void remediator.check(p),
      log: silentLogger,
    });
    await watcher.start();
  });
  afterEach(() => {
    events.length = 0;
  });
  afterAll(() => {
    watcher?.stop();
    lab?.cleanup();
  });

  it('quarantines a dropped copy within seconds, into the vault, and says so', async () => {
    const path = lab.write('/tmp/dropper', PAYLOAD, { mode: 0o755 });
    await eventually(
      () => existsSync(path),
      (e) => !e,
      5000,
      'copy gone',
    );
    const [entry] = await fq.list();
    expect(entry).toMatchObject({
      sha256: sha256(PAYLOAD),
      path: '/tmp/dropper',
      actionId: remediationActionId('remediate-payload'),
    });
    await eventually(remediated, (r) => r.length === 1, 2000);
    expect(remediated()[0]).toEqual({
      kind: 'remediated',
      path: '/tmp/dropper',
      sha256: sha256(PAYLOAD),
      indicatorId: 'remediate-payload',
      quarantineId: entry!.entryId,
      outcome: 'quarantined',
      error: null,
      at: expect.any(Number),
    });
  });

  it('finds copies in directories created after the watch began, and trees moved in whole', async () => {
    const nested = lab.write('/var/tmp/new/deeper/x.sh', PAYLOAD);
    mkdirSync(lab.host('/var/tmp/staging/sub'), { recursive: true });
    const staged = lab.host('/var/tmp/staging/sub/y.sh');
    writeFileSync(staged, PAYLOAD);
    // A tree written elsewhere, then renamed into a watched directory at once.
    mkdirSync(lab.host('/outside/pack'), { recursive: true });
    writeFileSync(lab.host('/outside/pack/z.sh'), PAYLOAD);
    renameSync(lab.host('/outside/pack'), lab.host('/tmp/pack'));
    for (const p of [nested, staged, lab.host('/tmp/pack/z.sh')])
      await eventually(
        () => existsSync(p),
        (e) => !e,
        5000,
        `${p} gone`,
      );
    // Each copy is reported once its quarantine is recorded (after the file left its path).
    await eventually(remediated, (r) => r.length === 3, 5000, 'three copies reported');
    expect((await fq.list()).map((e) => e.path).sort()).toEqual(
      ['/tmp/dropper', '/tmp/pack/z.sh', '/var/tmp/new/deeper/x.sh', '/var/tmp/staging/sub/y.sh'].sort(),
    );
  });

  it('catches a copy written in two steps once its content matches', async () => {
    const path = lab.host('/tmp/slow');
    writeFileSync(path, PAYLOAD.slice(0, 10));
    await new Promise((r) => setTimeout(r, 50));
    writeFileSync(path, PAYLOAD);
    await eventually(
      () => existsSync(path),
      (e) => !e,
      5000,
      'copy gone',
    );
    await eventually(remediated, (r) => r.length === 1, 5000, 'copy reported');
  });

  it('leaves other files, allowed hashes and package-owned paths where they are', async () => {
    const other = lab.write('/tmp/notes.txt', 'nothing to see');
    const pkg = lab.host('/usr/bin/dash');
    copyFileSync('/usr/bin/dash', pkg);
    const dashSha = sha256(readFileSync('/usr/bin/dash'));
    delta([indicator('remediate-dash', { value: dashSha, action: 'block_and_remediate' })]);
    // Touch it again now that the indicator is held.
    copyFileSync('/usr/bin/dash', pkg);
    // Each write of it may be checked (the first copy can settle after the indicator arrived).
    await eventually(remediated, (r) => r.length >= 1, 5000, 'refusal reported');
    for (const e of remediated())
      expect(e).toMatchObject({
        path: '/usr/bin/dash',
        outcome: 'refused',
        quarantineId: null,
        error: expect.stringMatching(/package/),
      });
    expect(existsSync(pkg)).toBe(true);

    delta([indicator('allow-payload', { value: sha256(PAYLOAD), action: 'allow' })]);
    const allowed = lab.write('/tmp/allowed-copy', PAYLOAD);
    await new Promise((r) => setTimeout(r, 1500));
    expect(existsSync(allowed)).toBe(true);
    expect(existsSync(other)).toBe(true);
    delta([], ['allow-payload', 'remediate-dash']);
  });

  it('remediates what a scan found, by SHA-256, and only for block-and-remediate winners', async () => {
    watcher.stop();
    const found = lab.write('/tmp/found-by-scan', PAYLOAD);
    const blockedOnly = lab.write('/tmp/blocked-only', 'blocked, not remediated');
    delta([indicator('block-only', { value: sha256('blocked, not remediated') })]);
    const records = await remediator.remediateFound([
      { path: '/tmp/found-by-scan', sha256: sha256(PAYLOAD) },
      { path: '/tmp/blocked-only', sha256: sha256('blocked, not remediated') },
    ]);
    expect(records).toEqual([
      {
        path: '/tmp/found-by-scan',
        sha256: sha256(PAYLOAD),
        indicatorId: 'remediate-payload',
        outcome: 'quarantined',
        entryId: expect.stringMatching(/^[0-9a-f]{16}$/),
        error: null,
      },
    ]);
    expect(existsSync(found)).toBe(false);
    expect(existsSync(blockedOnly)).toBe(true);

    // The vault entry restores like any quarantine (here with the indicator still held, and no watcher).
    const restored = await fq.restore({ entryId: records[0]!.entryId! });
    expect(restored.counts.filesRestored).toBe(1);
    expect(readFileSync(found, 'utf8')).toBe(PAYLOAD);
  });
});
