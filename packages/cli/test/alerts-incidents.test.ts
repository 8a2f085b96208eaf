import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConflictError } from '@quell/core';
import { ADMIN, alert, json, startTestServer, type TestServer } from './harness.js';
import type { Incident, IncidentSummary, IngestResult, Page } from './types.js';

describe('quell alerts ingest and quell incidents', () => {
  let t: TestServer;
  let n = 0;
  /** Writes `content` to a fresh file in the test directory and returns its path. */
  const file = (content: unknown, raw = false) => {
    const path = join(t.dir, `input-${(n += 1)}.json`);
    writeFileSync(path, raw ? String(content) : JSON.stringify(content));
    return path;
  };
  const incidents = async (q: string) =>
    json<Page<IncidentSummary>>(await t.run(['incidents', 'list', '--json', '--q', q])).items;

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('creates incidents from a file of alerts and counts a re-sent file as duplicates', async () => {
    const path = file(
      [alert(1, { title: 'Ransom note on fs01' }), alert(2, { title: 'Ransom rename on fs01' })].map((a) => ({
        ...a,
        entities: [{ kind: 'device', hostname: 'fs01.example' }],
      })),
    );
    const first = await t.run(['alerts', 'ingest', path]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('2 alerts: 2 created, 0 duplicate');
    // Two alerts on one device correlate into one incident, titled after the device.
    const listed = await incidents('fs01.example');
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ alertCount: 2, status: 'active' });
    expect(first.stdout).toContain(listed[0]!.id);

    const again = await t.run(['alerts', 'ingest', path]);
    expect(again.stdout).toContain('2 alerts: 0 created, 2 duplicate');
  });

  it('reads {alerts: [...]}, NDJSON and OCSF findings from stdin', async () => {
    const ocsf = {
      class_uid: 2004,
      time: Date.parse('2026-06-01T09:00:00Z'),
      severity_id: 4,
      finding_info: { uid: 'ocsf-1', title: 'OCSF credential dumping finding' },
      metadata: { product: { name: 'sensor' } },
      device: { hostname: 'dc01.example' },
    };
    const ndjson = [
      JSON.stringify({ alerts: [alert(10, { title: 'NDJSON batch alert' })] }),
      JSON.stringify(ocsf),
      '',
    ].join('\n');
    const r = await t.run(['alerts', 'ingest', '-', '--json'], { input: ndjson });
    const { results } = json<IngestResult>(r);
    expect(results).toHaveLength(2);
    expect(results.every((x) => x.created)).toBe(true);
    expect(await incidents('OCSF credential')).toHaveLength(1);
    expect(await incidents('NDJSON batch')).toHaveLength(1);

    const shown = await t.run(['alerts', 'show', results[1]!.alertId]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/title\s*│\s*OCSF credential dumping finding/);
    expect(shown.stdout).toContain(results[1]!.incidentId);
    expect(shown.stdout).toMatch(/device\s*│\s*dc01\.example/);
    const missing = await t.run(['alerts', 'show', 'alt_missing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/alt_missing.*QUELL_E_NOT_FOUND/);
  });

  it('names the alert and the field when an alert is invalid, and ingests nothing of its batch', async () => {
    const { title: _dropped, ...untitled } = alert(21);
    const r = await t.run([
      'alerts',
      'ingest',
      file([alert(20, { title: 'Valid alert before a bad one' }), untitled]),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: Invalid alert: alert #2 is missing "title". (QUELL_E_INPUT)\n');
    expect(await incidents('Valid alert before a bad one')).toEqual([]);

    const badSeverity = await t.run(['alerts', 'ingest', file([alert(22, { severity: 'apocalyptic' })])]);
    expect(badSeverity.stderr).toContain(
      'alert #1, field severity must be one of: informational, low, medium, high',
    );
  });

  it.each([
    ['text that is not JSON', 'not json at all', /input-\d+\.json is not valid JSON/],
    ['an empty file', '', /is empty/],
    ['a bad NDJSON line', `${JSON.stringify(alert(30))}\n{oops\n`, /line 2 is not valid JSON/],
    [
      'an OCSF class other than 2004',
      JSON.stringify({ class_uid: 3002 }),
      /alert #1 is OCSF class 3002; only Detection Findings/,
    ],
  ])('refuses %s before sending anything', async (_what, content, message) => {
    const r = await t.run(['alerts', 'ingest', file(content, true)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/\(QUELL_E_INPUT\)\n$/);
  });

  it('sends large files in batches of at most 1000 alerts', async () => {
    const spy = vi.spyOn(t.server.services.ingest, 'ingest');
    const many = Array.from({ length: 2001 }, (_, i) =>
      alert(1000 + i, { title: `Bulk alert ${i}`, entities: [{ kind: 'device', hostname: 'bulk.example' }] }),
    );
    const r = await t.run(['alerts', 'ingest', file(many)], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2001 alerts: 2001 created, 0 duplicate');
    expect(spy.mock.calls.map((c) => c[1].length)).toEqual([1000, 1000, 1]);
    spy.mockRestore();
  });

  it('lists incidents as JSON and as a table, filtered', async () => {
    await t.run([
      'alerts',
      'ingest',
      file([alert(40, { title: 'High severity listing check', severity: 'high' })]),
    ]);
    const table = await t.run(['incidents', 'list', '--severity', 'high', '--q', 'listing check']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/ID +│ SEVERITY +│ STATUS/);
    expect(table.stdout).toContain('High severity listing check');
    const none = await t.run(['incidents', 'list', '--severity', 'low', '--q', 'listing check']);
    expect(none.stdout.trim()).toBe('(no incidents)');
  });

  it('assigns, comments, tags, classifies, resolves and reopens an incident', async () => {
    await t.run(['alerts', 'ingest', file([alert(50, { title: 'Triage walk-through' })])]);
    const [inc] = await incidents('Triage walk-through');
    const id = inc!.id;
    const show = async () => json<Incident>(await t.run(['incidents', 'show', id, '--json']));

    expect((await t.run(['incidents', 'assign', id, '--me'])).stdout).toContain(`assigned to ${ADMIN.email}`);
    expect((await show()).assignee).toBe(ADMIN.email);
    await t.run(['incidents', 'assign', id, 'bob@example.com']);
    expect((await show()).assignee).toBe('bob@example.com');
    await t.run(['incidents', 'assign', id, '--none']);
    expect((await show()).assignee).toBeNull();
    const twoWays = await t.run(['incidents', 'assign', id, 'bob@example.com', '--me']);
    expect([twoWays.code, twoWays.stderr]).toEqual([
      1,
      'error: give exactly one of: an email, --me, --none (QUELL_E_INPUT)\n',
    ]);

    expect((await t.run(['incidents', 'comment', id, 'Looked at the process tree'])).code).toBe(0);
    await t.run(['incidents', 'tag', id, '--add', 'finance', '--add', 'vip']);
    await t.run(['incidents', 'tag', id, '--remove', 'vip']);
    expect((await show()).tags).toEqual(['finance']);

    await t.run([
      'incidents',
      'classify',
      id,
      '--classification',
      'true_positive',
      '--determination',
      'malware',
    ]);
    const mismatch = await t.run([
      'incidents',
      'classify',
      id,
      '--classification',
      'false_positive',
      '--determination',
      'malware',
    ]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('"malware" is not a determination of false_positive');

    const resolved = await t.run(['incidents', 'resolve', id, '--note', 'Reimaged the host']);
    expect(resolved.stdout).toContain(`incident ${id} resolved`);
    expect(await show()).toMatchObject({
      status: 'resolved',
      resolutionNote: 'Reimaged the host',
      classification: 'true_positive',
    });
    expect((await t.run(['incidents', 'reopen', id])).code).toBe(0);
    expect((await show()).status).toBe('active');
    const again = await t.run(['incidents', 'reopen', id]);
    expect(again.stderr).toContain('is active, not resolved: nothing to reopen');

    const readable = await t.run(['incidents', 'show', id]);
    expect(readable.stdout).toContain('Looked at the process tree');
    expect(readable.stdout).toContain('Triage walk-through');
  });

  it('says the incident changed meanwhile when the server refuses a stale version', async () => {
    await t.run(['alerts', 'ingest', file([alert(60, { title: 'Concurrent edit' })])]);
    const [inc] = await incidents('Concurrent edit');
    // Another analyst's edit landing between our read and our write looks like this to the API.
    const spy = vi
      .spyOn(t.server.services.incidents, 'patch')
      .mockRejectedValueOnce(
        new ConflictError(`Incident ${inc!.id} was changed by someone else`, { version: inc!.version + 1 }),
      );
    const r = await t.run(['incidents', 'assign', inc!.id, '--me']);
    spy.mockRestore();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: incident ${inc!.id} changed meanwhile (someone else edited it); run the command again (QUELL_E_CONFLICT)\n`,
    );
  });

  it('merges incidents and shows the attack story graph', async () => {
    await t.run([
      'alerts',
      'ingest',
      file([alert(70, { title: 'Merge target' }), alert(71, { title: 'Merge source' })]),
    ]);
    const [target] = await incidents('Merge target');
    const [source] = await incidents('Merge source');
    const merged = await t.run(['incidents', 'merge', target!.id, source!.id]);
    expect(merged.code).toBe(0);
    expect(json<Incident>(await t.run(['incidents', 'show', source!.id, '--json']))).toMatchObject({
      status: 'redirected',
      redirectedTo: target!.id,
    });
    expect(json<Incident>(await t.run(['incidents', 'show', target!.id, '--json'])).alertCount).toBe(2);
    const graph = await t.run(['incidents', 'graph', target!.id]);
    expect(graph.stdout).toContain('host70.example');
    expect(graph.stdout).toContain('host71.example');
    const missing = await t.run(['incidents', 'show', 'inc_missing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('(QUELL_E_NOT_FOUND)');
  });
});
