import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Action, FileObservation, FilePage } from '@quell/contracts';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import { alert, createHarness, HOUR, postgresAvailable, T0, TEST_DB, type Harness } from './harness.js';
import { agentKeyPair, inventory } from './support/fake-agent.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());
const have7z = existsSync('/usr/bin/7z');
const DAY = 24 * HOUR;

/** Deterministic "malware": a shell script whose hashes the test computes itself. */
const SAMPLE = Buffer.from('#!/bin/sh\n# quell test sample, harmless\nwhile :; do sleep 60; done\n');
const hash = (alg: string, b: Buffer) => createHash(alg).update(b).digest('hex');
const SHA = hash('sha256', SAMPLE);
const OTHER = 'b'.repeat(64);

async function enroll(h: Harness, hostname: string): Promise<string> {
  const t = await h.services.enrollment.createToken(SYSTEM_PRINCIPAL, { label: hostname });
  const res = await h.services.enrollment.enroll({
    token: t.token,
    publicKey: agentKeyPair().publicKeyB64,
    inventory: inventory(hostname),
  });
  return res.deviceId;
}

const seen = (
  device: string,
  path: string,
  at: number,
  over: Partial<FileObservation> = {},
): FileObservation => ({
  sha256: SHA,
  device,
  path,
  source: 'executed',
  at: new Date(at).toISOString(),
  ...over,
});

/** Approves (when policy made it wait) and drives an action to `to`, as an executor would. */
async function drive(h: Harness, id: string, to: 'succeeded' | 'failed'): Promise<void> {
  const a = (await h.api('GET', `/api/actions/${id}`, h.adminToken)).body as Action;
  if (a.status === 'pending_approval') {
    const ok = await h.api('POST', `/api/actions/${id}/approve`, h.adminToken, {});
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  }
  for (const step of ['dispatched', to] as const) {
    await h.store.transaction(async (trx) => {
      const row = await h.store.actions.get(trx, id);
      await h.services.actions.transition(trx, row!, step, 'test-executor', `test moved to ${step}`);
    });
  }
}

const auditCount = async (h: Harness) =>
  (await h.store.db.selectFrom('audit_log').select('seq').execute()).length;

describe.skipIf(!enabled)(`files (${TEST_DB})`, () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const page = async (id = SHA) => {
    const r = await h.api('GET', `/api/files/${id}`, h.adminToken);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as FilePage;
  };

  it('records observations idempotently and shows hashes, names, paths and prevalence on the file page', async () => {
    await enroll(h, 'web01');
    const web02 = await enroll(h, 'web02');
    await enroll(h, 'db01');
    const batch = [
      seen('web01', '/tmp/.x/locker', T0, {
        sha1: hash('sha1', SAMPLE),
        md5: hash('md5', SAMPLE),
        size: SAMPLE.length,
      }),
      seen(web02, '/home/ann/locker.bin', T0 + HOUR, { source: 'scan' }),
      seen('WEB01', '/tmp/.x/locker', T0 + 2 * HOUR),
      seen('nosuch', '/x', T0),
    ];
    const first = await h.services.files.record(batch);
    expect(first).toEqual({ files: 1, sightings: 2, unknownDevices: ['nosuch'] });
    await h.services.files.record(batch); // an agent repeating its report changes nothing

    const p = await page();
    expect(p.file).toMatchObject({
      sha256: SHA,
      sha1: hash('sha1', SAMPLE),
      md5: hash('md5', SAMPLE),
      size: SAMPLE.length,
      deviceCount: 2,
      firstSeenAt: new Date(T0).toISOString(),
      lastSeenAt: new Date(T0 + 2 * HOUR).toISOString(),
    });
    expect(p.file.names).toEqual(['locker', 'locker.bin']);
    expect(p.paths.sort()).toEqual(['/home/ann/locker.bin', '/tmp/.x/locker']);
    expect(p.devices.map((d) => [d.hostname, d.paths, d.count, d.lastSeenAt])).toEqual([
      ['web01', ['/tmp/.x/locker'], 2, new Date(T0 + 2 * HOUR).toISOString()],
      ['web02', ['/home/ann/locker.bin'], 1, new Date(T0 + HOUR).toISOString()],
    ]);
    expect(p.verdicts).toEqual([]);
    expect(p.storedCopy).toBeNull();
    // The page also answers to the SHA-1 and MD5, and the list finds it by name and hash prefix.
    expect((await page(hash('md5', SAMPLE))).file.sha256).toBe(SHA);
    for (const q of ['locker.b', SHA.slice(0, 8)]) {
      const list = await h.api('GET', `/api/files?q=${encodeURIComponent(q)}`, h.adminToken);
      expect(
        list.body.items.map((f: { sha256: string }) => f.sha256),
        q,
      ).toEqual([SHA]);
    }
  });

  it('records a report of thousands of observations in one call, the same on a repeat', async () => {
    const hosts = ['bulk1', 'bulk2', 'bulk3', 'bulk4', 'bulk5'];
    for (const host of hosts) await enroll(h, host);
    // 5 devices × 1,200 files: more rows than one multi-row statement takes, so chunking is exercised.
    const report = hosts.flatMap((device, d) =>
      Array.from({ length: 1200 }, (_, i) =>
        seen(device, `/usr/lib/app/lib${i}.so`, T0 + d, {
          sha256: createHash('sha256').update(`file ${i}`).digest('hex'),
          source: 'scan',
        }),
      ),
    );
    expect(await h.services.files.record(report)).toEqual({
      files: 1200,
      sightings: 6000,
      unknownDevices: [],
    });
    await h.services.files.record(report);
    const counts = await h.store.db
      .selectFrom('file_sightings')
      .select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.sum<number>('count').as('total')])
      .executeTakeFirstOrThrow();
    expect([Number(counts.n), Number(counts.total)]).toEqual([6000, 6000]);
    const one = (await h.api('GET', `/api/files?q=lib7.so`, h.adminToken)).body.items;
    expect(one).toEqual([expect.objectContaining({ deviceCount: 5, names: ['lib7.so'] })]);
  });

  it('shows a viewer scoped to device groups only the devices of its groups, with the fleet-wide count', async () => {
    const group = await h.api('POST', '/api/device-groups', h.adminToken, {
      name: 'Web',
      rank: 1,
      rule: { namePattern: 'web*' },
      automationLevel: 'full',
    });
    await enroll(h, 'web01');
    await enroll(h, 'db01');
    await h.services.files.record([seen('web01', '/tmp/a', T0), seen('db01', '/tmp/b', T0)]);
    const viewer = await h.login('viewer', [group.body.id]);
    const p = (await h.api('GET', `/api/files/${SHA}`, viewer.token)).body as FilePage;
    expect([p.file.deviceCount, p.devices.map((d) => d.hostname), p.paths]).toEqual([
      2,
      ['web01'],
      ['/tmp/a'],
    ]);
  });

  it('links alerts that name the file to the page, with their incidents, and counts their devices', async () => {
    await h.api('POST', '/api/alerts', h.adminToken, {
      alerts: [
        alert({
          id: 'file-alert-1',
          title: 'Ransomware dropper executed',
          entities: [
            { kind: 'device', hostname: 'fs01' },
            {
              kind: 'file',
              name: 'invoice.pdf.sh',
              path: '/srv/share/invoice.pdf.sh',
              sha256: SHA.toUpperCase(),
            },
          ],
        }),
        alert({ id: 'unrelated', entities: [{ kind: 'file', sha256: OTHER }] }),
      ],
    });
    const p = await page();
    expect(p.alerts).toEqual([expect.objectContaining({ title: 'Ransomware dropper executed' })]);
    expect(p.incidents).toEqual([expect.objectContaining({ id: p.alerts[0]!.incidentId, status: 'active' })]);
    expect(p.file.names).toEqual(['invoice.pdf.sh']);
    expect(p.devices).toEqual([
      expect.objectContaining({ hostname: 'fs01', paths: ['/srv/share/invoice.pdf.sh'], sources: ['alert'] }),
    ]);
    // A hash named without any device is still a known file.
    expect((await page(OTHER)).file.deviceCount).toBe(0);
    // Incidents come from their entities too, so alerts from before files were recorded count.
    await h.store.db.deleteFrom('file_alerts').execute();
    const before = await page();
    expect([before.alerts, before.incidents.map((i) => i.id)]).toEqual([[], [p.alerts[0]!.incidentId]]);
  });

  it('shows the verdict of a block indicator on the hash, and a failing verdict source does not break the page', async () => {
    await enroll(h, 'web01');
    await h.services.files.record([seen('web01', '/tmp/x', T0)]);
    expect((await page()).verdicts).toEqual([]);
    h.services.dispatcher.start(20);
    try {
      const ioc = await h.api('POST', '/api/indicators', h.adminToken, {
        type: 'sha256',
        value: SHA,
        action: 'block',
        title: 'Locker',
      });
      expect(ioc.status, JSON.stringify(ioc.body)).toBeLessThan(300);
      await h.services.dispatcher.settle();
    } finally {
      await h.services.dispatcher.stop();
    }
    h.services.files.addVerdictSource(() => Promise.reject(new Error('down')));
    h.services.files.addVerdictSource((sha) =>
      Promise.resolve(
        sha === SHA ? { verdict: 'suspicious' as const, source: 'deep_analysis', ref: 'an_1' } : null,
      ),
    );
    expect((await page()).verdicts).toEqual([
      expect.objectContaining({ verdict: 'malicious', source: 'indicator', title: 'block: Locker' }),
      { verdict: 'suspicious', source: 'deep_analysis', ref: 'an_1' },
    ]);
  });

  it.each([
    ['c'.repeat(64), 404, /has not seen a file c{64}/],
    ['not-a-hash', 400, /not a file hash/],
  ])('answers %s with %i and a message saying what to do', async (id, status, message) => {
    const r = await h.api('GET', `/api/files/${id}`, h.adminToken);
    expect(r.status).toBe(status);
    expect(r.body.message).toMatch(message);
  });

  describe('quarantine and restore', () => {
    beforeEach(async () => {
      for (const host of ['ws1', 'ws2', 'ws3', 'old1']) await enroll(h, host);
      await h.services.files.record([
        seen('ws1', '/tmp/a', T0 - 2 * DAY),
        seen('ws2', '/opt/b', T0 - 29 * DAY),
        seen('old1', '/tmp/a', T0 - 40 * DAY),
      ]);
    });

    const quarantine = (body: unknown, token = h.adminToken) =>
      h.api('POST', `/api/files/${SHA}/quarantine`, token, body);
    const batchTargets = async (batchId: string) =>
      ((await h.api('GET', `/api/actions?batchId=${batchId}`, h.adminToken)).body.items as Action[])
        .map((a) => {
          expect(a).toMatchObject({ type: 'stop_and_quarantine_file', params: { sha256: SHA } });
          return a.target.deviceHostname;
        })
        .sort();

    it('quarantines on exactly the devices that saw it in the last 30 days, as one batch with counts', async () => {
      const r = await quarantine({ comment: 'ransomware' });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body).toMatchObject({
        type: 'stop_and_quarantine_file',
        total: 2,
        requestComment: 'ransomware',
      });
      expect(Object.values(r.body.counts as Record<string, number>).reduce((a, b) => a + b)).toBe(2);
      expect(await batchTargets(r.body.id)).toEqual(['ws1', 'ws2']);
      // Each device is told where it saw the file, so the agent finds the copy on disk.
      const sent = (await h.api('GET', `/api/actions?batchId=${r.body.id}`, h.adminToken)).body
        .items as Action[];
      expect(Object.fromEntries(sent.map((a) => [a.target.deviceHostname, a.params.path]))).toEqual({
        ws1: '/tmp/a',
        ws2: '/opt/b',
      });

      const wider = await quarantine({ seenWithinDays: 60 });
      expect(await batchTargets(wider.body.id)).toEqual(['old1', 'ws1', 'ws2']);
      const chosen = await quarantine({ devices: ['ws3'] });
      expect(await batchTargets(chosen.body.id)).toEqual(['ws3']);
      const onWs3 = (await h.api('GET', `/api/actions?batchId=${chosen.body.id}`, h.adminToken)).body.items;
      expect(onWs3[0].params).toEqual({ sha256: SHA });

      const p = await page();
      expect(p.batches.map((b) => b.id).sort()).toEqual([r.body.id, wider.body.id, chosen.body.id].sort());
      expect(p.quarantine.map((q) => [q.hostname, q.state])).toEqual([
        ['old1', 'quarantining'],
        ['ws1', 'quarantining'],
        ['ws2', 'quarantining'],
        ['ws3', 'quarantining'],
      ]);
    });

    it('refuses more devices than the cap, saying how many and how to narrow, with nothing requested', async () => {
      h.services.files.limits.quarantineCap = 1;
      const r = await quarantine({});
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(
        /^2 devices saw .* more than the cap of 1; nothing was requested\. Narrow it/,
      );
      const capped = await quarantine({ cap: 3, seenWithinDays: 60 });
      expect(capped.status, JSON.stringify(capped.body)).toBe(201);
      expect(capped.body.total).toBe(3);
      expect((await h.api('GET', '/api/action-batches', h.adminToken)).body.items).toHaveLength(1);
      const none = await quarantine({ seenWithinDays: 1 });
      expect([none.status, none.body.message]).toEqual([400, expect.stringMatching(/No device saw/)]);
      const unknown = await h.api('POST', `/api/files/${OTHER}/quarantine`, h.adminToken, {});
      expect([unknown.status, unknown.body.message]).toEqual([404, expect.stringMatching(/--device/)]);
    });

    it('restores by undoing the succeeded quarantines, per device or on all of them', async () => {
      const batch = (await quarantine({ seenWithinDays: 60 })).body;
      const actions = (await h.api('GET', `/api/actions?batchId=${batch.id}`, h.adminToken)).body
        .items as Action[];
      const on = (host: string) => actions.find((a) => a.target.deviceHostname === host)!;
      await drive(h, on('ws1').id, 'succeeded');
      await drive(h, on('ws2').id, 'succeeded');
      await drive(h, on('old1').id, 'failed');
      expect((await page()).quarantine.map((q) => q.state)).toEqual([
        'not_quarantined',
        'quarantined',
        'quarantined',
      ]);

      const one = await h.api('POST', `/api/files/${SHA}/restore`, h.adminToken, { devices: ['ws2'] });
      expect(one.status, JSON.stringify(one.body)).toBe(201);
      expect(one.body.actions).toEqual([
        expect.objectContaining({
          type: 'restore_quarantined_file',
          undoOf: on('ws2').id,
          params: { sha256: SHA, path: '/opt/b' },
        }),
      ]);
      await drive(h, one.body.actions[0].id, 'succeeded');
      const rest = await h.api('POST', `/api/files/${SHA}/restore`, h.adminToken, {
        comment: 'false positive',
      });
      expect(rest.body.actions.map((a: Action) => a.undoOf)).toEqual([on('ws1').id]);
      expect(Object.fromEntries((await page()).quarantine.map((q) => [q.hostname, q.state]))).toEqual({
        old1: 'not_quarantined',
        ws1: 'restoring',
        ws2: 'restored',
      });
      const again = await h.api('POST', `/api/files/${SHA}/restore`, h.adminToken, {});
      expect([again.status, again.body.message]).toEqual([409, expect.stringMatching(/Nothing to restore/)]);
    });

    it('leaves the role checks to the action pipeline: an analyst may not quarantine, a viewer sees the page', async () => {
      const analyst = await h.login('analyst');
      const r = await quarantine({}, analyst.token);
      expect([r.status, r.body.message]).toEqual([
        403,
        expect.stringMatching(/cannot request stop_and_quarantine_file/),
      ]);
      const viewer = await h.login('viewer');
      expect((await h.api('GET', `/api/files/${SHA}`, viewer.token)).status).toBe(200);
      const collect = await h.api('POST', `/api/files/${SHA}/collect`, analyst.token, { device: 'ws1' });
      expect(collect.status, JSON.stringify(collect.body)).toBe(201);
      expect(collect.body).toMatchObject({
        type: 'collect_file',
        target: { kind: 'file', id: SHA, deviceHostname: 'ws1' },
        params: { sha256: SHA, path: '/tmp/a' },
      });
      const twice = await h.api('POST', `/api/files/${SHA}/collect`, analyst.token, { device: 'ws2' });
      expect([twice.status, twice.body.message]).toEqual([409, expect.stringMatching(/already queued/)]);
    });
  });

  describe('download of a stored copy', () => {
    let dir: string;
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'quell-file-dl-'));
      await enroll(h, 'ws1');
      await h.services.files.record([seen('ws1', '/tmp/.cache/dropper.sh', T0)]);
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const download = (body: unknown, token = h.adminToken, id = SHA) =>
      h.app.inject({
        method: 'POST',
        url: `/api/files/${id}/download`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
    const downloads = async () =>
      (
        (await h.api('GET', `/api/audit?subject=${SHA}`, h.adminToken)).body.items as Array<{
          event: string;
          actor: string;
          data: { reason: string };
        }>
      ).filter((e) => e.event === 'file.downloaded');

    it('refuses without a stored copy, pointing at `quell file collect`', async () => {
      const r = await download({ password: 'long enough password', reason: 'triage' });
      expect(r.statusCode).toBe(404);
      expect(r.json().message).toMatch(/quell file collect/);
    });

    it.skipIf(!have7z && !process.env.CI)(
      'streams an AES-256 zip that 7-Zip opens with the password (same SHA-256) and not with a wrong one; audited with the reason',
      async () => {
        await h.services.blobs.put(SAMPLE, { expectedSha256: SHA });
        expect((await page()).storedCopy).toMatchObject({ size: SAMPLE.length });
        const r = await download({ password: 'correct horse battery', reason: 'send to the malware team' });
        expect(r.statusCode, r.body).toBe(200);
        expect(r.headers['content-type']).toBe('application/zip');
        expect(r.headers['content-disposition']).toBe('attachment; filename="dropper.sh.zip"');
        const zip = join(dir, 'sample.zip');
        writeFileSync(zip, r.rawPayload);
        expect(
          execFileSync('7z', ['l', '-slt', '-pcorrect horse battery', zip], { encoding: 'utf8' }),
        ).toMatch(/Method = AES-256/);
        execFileSync('7z', ['x', '-y', `-o${join(dir, 'out')}`, '-pcorrect horse battery', zip], {
          stdio: 'ignore',
        });
        expect(hash('sha256', readFileSync(join(dir, 'out', 'dropper.sh')))).toBe(SHA);
        expect(() =>
          execFileSync('7z', ['x', '-y', `-o${join(dir, 'bad')}`, '-pwrong password!', zip], {
            stdio: 'ignore',
          }),
        ).toThrow();

        const analyst = await h.login('analyst');
        const second = await download(
          { password: 'another long one', reason: 'YARA rule writing' },
          analyst.token,
        );
        expect(second.statusCode).toBe(200);
        // Newest first, as the audit log lists them.
        expect((await downloads()).map((e) => [e.actor, e.data.reason])).toEqual([
          [analyst.principal.name, 'YARA rule writing'],
          ['admin@example.com', 'send to the malware team'],
        ]);
      },
    );

    it.each([
      [{ password: 'short', reason: 'triage' }, /10 to 256 characters/],
      [{ password: 'long enough password' }, /reason/],
      [{ password: 'long enough password', reason: '   ' }, /Say why/],
    ])('refuses %j and audits nothing', async (body, message) => {
      await h.services.blobs.put(SAMPLE);
      const before = await auditCount(h);
      const r = await download(body);
      expect(r.statusCode).toBe(400);
      expect(r.json().message).toMatch(message);
      expect(await auditCount(h)).toBe(before);
    });

    it('is for analysts and up: a viewer is refused', async () => {
      await h.services.blobs.put(SAMPLE);
      const viewer = await h.login('viewer');
      const r = await download({ password: 'long enough password', reason: 'curious' }, viewer.token);
      expect(r.statusCode).toBe(403);
      expect(await downloads()).toEqual([]);
    });
  });
});
