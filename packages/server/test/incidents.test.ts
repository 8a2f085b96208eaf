import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alert, createHarness, HOUR, postgresAvailable, T0, TEST_DB, type Harness } from './harness.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());

describe.skipIf(!enabled)(`incidents (${TEST_DB})`, () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const ingest = async (body: unknown) => {
    const r = await h.api('POST', '/api/alerts', h.adminToken, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.results as Array<{ alertId: string; incidentId: string; created: boolean }>;
  };

  it('joins an alert to the open incident that shares an entity with it', async () => {
    const [a] = await ingest(
      alert({
        id: 'a1',
        entities: [
          { kind: 'device', hostname: 'ws01' },
          { kind: 'user', username: 'bob' },
        ],
      }),
    );
    const [b] = await ingest(
      alert({
        id: 'a2',
        at: T0 + HOUR,
        entities: [
          { kind: 'user', username: 'BOB' },
          { kind: 'ip', address: '192.0.2.1' },
        ],
      }),
    );
    expect(b!.incidentId).toBe(a!.incidentId);
    const inc = await h.api('GET', `/api/incidents/${a!.incidentId}`, h.adminToken);
    expect(inc.body.alertCount).toBe(2);
    expect(inc.body.alerts).toHaveLength(2);
    expect(inc.body.entities.map((e: { key: string }) => e.key).sort()).toEqual([
      'device:ws01',
      'ip:192.0.2.1',
      'user:\\bob',
    ]);
  });

  it('opens a new incident for an alert that shares nothing', async () => {
    const [a] = await ingest(alert({ entities: [{ kind: 'device', hostname: 'ws01' }] }));
    const [b] = await ingest(alert({ entities: [{ kind: 'device', hostname: 'ws02' }] }));
    expect(b!.incidentId).not.toBe(a!.incidentId);
    const list = await h.api('GET', '/api/incidents', h.adminToken);
    expect(list.body.items).toHaveLength(2);
  });

  it('respects the correlation window: outside it a shared entity opens a new incident', async () => {
    const [a] = await ingest(alert({ at: T0 }));
    const [inside] = await ingest(alert({ at: T0 + 23 * HOUR }));
    expect(inside!.incidentId).toBe(a!.incidentId);
    const [outside] = await ingest(alert({ at: T0 + 23 * HOUR + 25 * HOUR }));
    expect(outside!.incidentId).not.toBe(a!.incidentId);

    await h.api('PATCH', '/api/settings', h.adminToken, { correlationWindowHours: 100 });
    const [wide] = await ingest(alert({ at: T0 + 120 * HOUR }));
    expect(wide!.incidentId).toBe(outside!.incidentId);
  });

  it('does not join a resolved incident', async () => {
    const [a] = await ingest(alert());
    const inc = (await h.api('GET', `/api/incidents/${a!.incidentId}`, h.adminToken)).body;
    await h.api('PATCH', `/api/incidents/${a!.incidentId}`, h.adminToken, {
      version: inc.version,
      status: 'resolved',
      resolutionNote: 'done',
    });
    const [b] = await ingest(alert({ at: T0 + HOUR }));
    expect(b!.incidentId).not.toBe(a!.incidentId);
  });

  it('correlates alerts within one batch', async () => {
    const res = await ingest({
      alerts: [
        alert({ entities: [{ kind: 'device', hostname: 'h1' }] }),
        alert({ entities: [{ kind: 'device', hostname: 'h2' }] }),
        alert({
          entities: [
            { kind: 'device', hostname: 'h1' },
            { kind: 'device', hostname: 'h3' },
          ],
        }),
        alert({ entities: [{ kind: 'device', hostname: 'h3' }] }),
      ],
    });
    expect(res[2]!.incidentId).toBe(res[0]!.incidentId);
    expect(res[3]!.incidentId).toBe(res[0]!.incidentId);
    expect(res[1]!.incidentId).not.toBe(res[0]!.incidentId);
  });

  it('ingests the same alert id only once, in separate calls and within a batch', async () => {
    const [first] = await ingest(alert({ id: 'ext-1' }));
    const [again] = await ingest(alert({ id: 'ext-1', title: 'changed' }));
    expect(again).toEqual({ ...first, created: false });
    const batch = await ingest({ alerts: [alert({ id: 'ext-2' }), alert({ id: 'ext-2' })] });
    expect(batch[0]!.created).toBe(true);
    expect(batch[1]).toEqual({ ...batch[0], created: false });
    const inc = await h.api('GET', `/api/incidents/${first!.incidentId}`, h.adminToken);
    expect(inc.body.alertCount).toBe(2);
  });

  it('sets incident severity to the highest alert severity unless overridden', async () => {
    const [a] = await ingest(alert({ severity: 'low' }));
    await ingest(alert({ severity: 'high', at: T0 + 1000 }));
    let inc = (await h.api('GET', `/api/incidents/${a!.incidentId}`, h.adminToken)).body;
    expect(inc.severity).toBe('high');
    inc = (
      await h.api('PATCH', `/api/incidents/${a!.incidentId}`, h.adminToken, {
        version: inc.version,
        severity: 'low',
      })
    ).body;
    expect(inc.severity).toBe('low');
    expect(inc.severityOverridden).toBe(true);
    await ingest(alert({ severity: 'medium', at: T0 + 2000 }));
    inc = (await h.api('GET', `/api/incidents/${a!.incidentId}`, h.adminToken)).body;
    expect(inc.severity).toBe('low');
    inc = (
      await h.api('PATCH', `/api/incidents/${a!.incidentId}`, h.adminToken, {
        version: inc.version,
        severity: null,
      })
    ).body;
    expect(inc.severity).toBe('high');
  });

  it('merges incidents: alerts move and the absorbed one is Redirected to the other', async () => {
    const [a] = await ingest(alert({ severity: 'low', entities: [{ kind: 'device', hostname: 'm1' }] }));
    const [b] = await ingest(alert({ severity: 'high', entities: [{ kind: 'device', hostname: 'm2' }] }));
    const merged = await h.api('POST', `/api/incidents/${a!.incidentId}/merge`, h.adminToken, {
      sourceIds: [b!.incidentId],
    });
    expect(merged.status).toBe(200);
    expect(merged.body.alertCount).toBe(2);
    expect(merged.body.severity).toBe('high');
    expect(merged.body.entities).toHaveLength(2);
    const absorbed = (await h.api('GET', `/api/incidents/${b!.incidentId}`, h.adminToken)).body;
    expect(absorbed.status).toBe('redirected');
    expect(absorbed.redirectedTo).toBe(a!.incidentId);
    expect(absorbed.alerts).toHaveLength(0);
    // A redirected incident is closed to edits and to further merges.
    const edit = await h.api('PATCH', `/api/incidents/${b!.incidentId}`, h.adminToken, {
      version: absorbed.version,
      assignee: 'x@example.com',
    });
    expect(edit.status).toBe(409);
    const again = await h.api('POST', `/api/incidents/${a!.incidentId}/merge`, h.adminToken, {
      sourceIds: [b!.incidentId],
    });
    expect(again.status).toBe(409);
    // New alerts on the absorbed incident's entities now land in the survivor.
    const [c] = await ingest(alert({ entities: [{ kind: 'device', hostname: 'm2' }], at: T0 + 5000 }));
    expect(c!.incidentId).toBe(a!.incidentId);
    const list = (await h.api('GET', '/api/incidents', h.adminToken)).body.items;
    expect(list.map((i: { id: string }) => i.id)).toEqual([a!.incidentId]);
  });

  it('refuses to merge an incident into itself or into a resolved one', async () => {
    const [a] = await ingest(alert());
    expect(
      (
        await h.api('POST', `/api/incidents/${a!.incidentId}/merge`, h.adminToken, {
          sourceIds: [a!.incidentId],
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await h.api('POST', `/api/incidents/${a!.incidentId}/merge`, h.adminToken, {
          sourceIds: ['inc_missing'],
        })
      ).status,
    ).toBe(404);
  });

  it('resolving needs a note and resolves every alert; reopening brings them back', async () => {
    const [a] = await ingest(alert());
    await ingest(alert({ at: T0 + 1000 }));
    let inc = (await h.api('GET', `/api/incidents/${a!.incidentId}`, h.adminToken)).body;
    const noNote = await h.api('PATCH', `/api/incidents/${a!.incidentId}`, h.adminToken, {
      version: inc.version,
      status: 'resolved',
    });
    expect(noNote.status).toBe(400);
    expect(noNote.body.message).toMatch(/resolutionNote/);
    inc = (
      await h.api('PATCH', `/api/incidents/${a!.incidentId}`, h.adminToken, {
        version: inc.version,
        status: 'resolved',
        resolutionNote: 'Reimaged ws01',
      })
    ).body;
    expect(inc.status).toBe('resolved');
    expect(inc.resolutionNote).toBe('Reimaged ws01');
    expect(inc.alerts.map((x: { status: string }) => x.status)).toEqual(['resolved', 'resolved']);
    inc = (
      await h.api('PATCH', `/api/incidents/${a!.incidentId}`, h.adminToken, {
        version: inc.version,
        status: 'active',
      })
    ).body;
    expect(inc.alerts.map((x: { status: string }) => x.status)).toEqual(['new', 'new']);
  });

  it.each([
    ['resolved', 'in_progress'],
    ['redirected', 'active'],
    ['redirected', 'resolved'],
  ])('refuses the illegal incident transition %s → %s', async (from, to) => {
    const [a] = await ingest(alert({ entities: [{ kind: 'device', hostname: 'x1' }] }));
    const [b] = await ingest(alert({ entities: [{ kind: 'device', hostname: 'x2' }] }));
    let id = a!.incidentId;
    if (from === 'resolved') {
      const inc = (await h.api('GET', `/api/incidents/${id}`, h.adminToken)).body;
      await h.api('PATCH', `/api/incidents/${id}`, h.adminToken, {
        version: inc.version,
        status: 'resolved',
        resolutionNote: 'ok',
      });
    } else {
      await h.api('POST', `/api/incidents/${b!.incidentId}/merge`, h.adminToken, { sourceIds: [id] });
    }
    const inc = (await h.api('GET', `/api/incidents/${id}`, h.adminToken)).body;
    expect(inc.status).toBe(from);
    const r = await h.api('PATCH', `/api/incidents/${id}`, h.adminToken, {
      version: inc.version,
      status: to,
      resolutionNote: 'x',
    });
    expect(r.status).toBe(409);
    id = '';
    void id;
  });

  it('refuses a stale version (optimistic concurrency) and changes nothing', async () => {
    const [a] = await ingest(alert());
    const inc = (await h.api('GET', `/api/incidents/${a!.incidentId}`, h.adminToken)).body;
    const ok = await h.api('PATCH', `/api/incidents/${a!.incidentId}`, h.adminToken, {
      version: inc.version,
      assignee: 'ann@example.com',
    });
    expect(ok.status).toBe(200);
    const stale = await h.api('PATCH', `/api/incidents/${a!.incidentId}`, h.adminToken, {
      version: inc.version,
      assignee: 'bob@example.com',
    });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('QUELL_E_CONFLICT');
    const now = (await h.api('GET', `/api/incidents/${a!.incidentId}`, h.adminToken)).body;
    expect(now.assignee).toBe('ann@example.com');
  });

  it('classifies with determinations that belong to the classification', async () => {
    const [a] = await ingest(alert());
    let inc = (await h.api('GET', `/api/incidents/${a!.incidentId}`, h.adminToken)).body;
    const bad = await h.api('PATCH', `/api/incidents/${a!.incidentId}`, h.adminToken, {
      version: inc.version,
      classification: 'false_positive',
      determination: 'malware',
    });
    expect(bad.status).toBe(400);
    inc = (
      await h.api('PATCH', `/api/incidents/${a!.incidentId}`, h.adminToken, {
        version: inc.version,
        classification: 'true_positive',
        determination: 'malware',
        tags: ['ransomware', 'vip'],
      })
    ).body;
    expect([inc.classification, inc.determination, inc.tags]).toEqual([
      'true_positive',
      'malware',
      ['ransomware', 'vip'],
    ]);
  });

  it('keeps an activity log of every change, by whom, with comments up to 30,000 characters', async () => {
    const analyst = await h.login('analyst');
    const [a] = await ingest(alert());
    const inc = (await h.api('GET', `/api/incidents/${a!.incidentId}`, h.adminToken)).body;
    await h.api('PATCH', `/api/incidents/${a!.incidentId}`, analyst.token, {
      version: inc.version,
      assignee: analyst.principal.name,
      status: 'in_progress',
    });
    const long = 'x'.repeat(30_000);
    expect(
      (await h.api('POST', `/api/incidents/${a!.incidentId}/comments`, analyst.token, { text: long })).status,
    ).toBe(201);
    expect(
      (await h.api('POST', `/api/incidents/${a!.incidentId}/comments`, analyst.token, { text: `${long}y` }))
        .status,
    ).toBe(400);
    const log = (await h.api('GET', `/api/incidents/${a!.incidentId}/activity`, analyst.token)).body.items;
    expect(log.map((e: { kind: string }) => e.kind)).toEqual([
      'alert_added',
      'created',
      'status_changed',
      'assigned',
      'commented',
    ]);
    expect(log.at(-1).actor).toBe(analyst.principal.name);
    const viewer = await h.login('viewer');
    expect(
      (await h.api('POST', `/api/incidents/${a!.incidentId}/comments`, viewer.token, { text: 'hi' })).status,
    ).toBe(403);
  });

  it('draws the attack story: alerts linked to their entities', async () => {
    const [a] = await ingest(
      alert({
        entities: [
          { kind: 'device', hostname: 'ws01' },
          { kind: 'process', name: 'evil', pid: 1, deviceHostname: 'ws01' },
          { kind: 'file', sha256: 'a'.repeat(64), name: 'evil' },
        ],
      }),
    );
    const g = (await h.api('GET', `/api/incidents/${a!.incidentId}/graph`, h.adminToken)).body;
    expect(g.nodes.map((n: { type: string }) => n.type).sort()).toEqual([
      'alert',
      'device',
      'file',
      'process',
    ]);
    expect(g.edges.filter((e: { source: string }) => e.source === a!.alertId)).toHaveLength(3);
    expect(g.edges.some((e: { label: string }) => e.label === 'ran')).toBe(true);
  });

  it('ingests OCSF Detection Findings (class 2004)', async () => {
    const finding = {
      class_uid: 2004,
      time: T0,
      severity_id: 4,
      finding_info: {
        uid: 'ocsf-1',
        title: 'Ransom note dropped',
        attacks: [{ technique: { uid: 'T1486' }, tactic: { name: 'Impact' } }],
        types: ['Ransomware'],
      },
      metadata: { product: { name: 'Wazuh' }, version: '1.1.0' },
      device: { hostname: 'srv9', os: { name: 'Debian' } },
      actor: { user: { name: 'root' } },
      evidences: [{ file: { name: 'README.txt', hashes: [{ algorithm_id: 3, value: 'b'.repeat(64) }] } }],
    };
    const r = await h.api('POST', '/api/alerts/ocsf', h.adminToken, [finding]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const al = (await h.api('GET', `/api/alerts/${r.body.results[0].alertId}`, h.adminToken)).body;
    expect([al.severity, al.detectionSource, al.category, al.mitreTechniques, al.externalId]).toEqual([
      'high',
      'Wazuh',
      'Ransomware',
      ['T1486'],
      'ocsf-1',
    ]);
    expect(al.entities.map((e: { kind: string }) => e.kind).sort()).toEqual(['device', 'file', 'user']);
    const again = await h.api('POST', '/api/alerts/ocsf', h.adminToken, finding);
    expect(again.body.results[0].created).toBe(false);
    const bad = await h.api('POST', '/api/alerts/ocsf', h.adminToken, { ...finding, class_uid: 1001 });
    expect(bad.status).toBe(400);
  });

  it('filters, sorts and pages the incident queue', async () => {
    for (let i = 0; i < 7; i++) {
      await ingest(
        alert({
          severity: i % 2 ? 'high' : 'low',
          at: T0 + i * 1000,
          entities: [{ kind: 'device', hostname: `q${i}` }],
        }),
      );
    }
    const high = (await h.api('GET', '/api/incidents?severity=high', h.adminToken)).body.items;
    expect(high).toHaveLength(3);
    const p1 = (await h.api('GET', '/api/incidents?limit=4&sort=lastActivityAt&order=asc', h.adminToken))
      .body;
    expect(p1.items).toHaveLength(4);
    const p2 = (
      await h.api(
        'GET',
        `/api/incidents?limit=4&sort=lastActivityAt&order=asc&cursor=${p1.nextCursor}`,
        h.adminToken,
      )
    ).body;
    expect(p2.items).toHaveLength(3);
    expect(p2.nextCursor).toBeNull();
    const titles = [...p1.items, ...p2.items].map((i: { lastActivityAt: string }) => i.lastActivityAt);
    expect(titles).toEqual([...titles].sort());
    const bySeverity = (await h.api('GET', '/api/incidents?sort=severity&order=desc', h.adminToken)).body
      .items;
    expect(bySeverity[0].severity).toBe('high');
    expect((await h.api('GET', '/api/incidents?cursor=garbage', h.adminToken)).status).toBe(400);
  });
});
