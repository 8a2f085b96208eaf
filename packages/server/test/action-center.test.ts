import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, HOUR, postgresAvailable, TEST_DB, type Harness } from './harness.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());

describe.skipIf(!enabled)(`Action Center (${TEST_DB})`, () => {
  let h: Harness;
  let ids: string[];
  beforeEach(async () => {
    h = await createHarness();
    ids = [];
    const types = ['isolate_device', 'run_av_scan', 'collect_investigation_package'] as const;
    for (let i = 0; i < 9; i++) {
      const r = await h.api('POST', '/api/actions', h.adminToken, {
        type: types[i % 3],
        target: { kind: 'device', id: `ws${i % 4}` },
        comment: i === 4 ? '=HYPERLINK("http://evil")' : `n${i}`,
      });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
      h.clock.advance(HOUR);
    }
    await h.api('POST', `/api/actions/${ids[0]}/cancel`, h.adminToken, {});
    await h.api('POST', `/api/actions/${ids[1]}/cancel`, h.adminToken, {});
  });
  afterEach(async () => {
    await h.close();
  });

  const list = async (qs: string) => {
    const r = await h.api('GET', `/api/actions?${qs}`, h.adminToken);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as {
      items: Array<{ id: string; type: string; status: string; createdAt: string }>;
      nextCursor: string | null;
    };
  };

  it('splits Pending from History', async () => {
    expect((await list('view=pending')).items).toHaveLength(7);
    expect((await list('view=history')).items.map((a) => a.id).sort()).toEqual([ids[0], ids[1]].sort());
  });

  it('filters by type, status, entity, requester and period', async () => {
    expect((await list('type=run_av_scan')).items).toHaveLength(3);
    expect((await list('status=cancelled')).items).toHaveLength(2);
    expect((await list('entity=ws1')).items.map((a) => a.id).sort()).toEqual([ids[1], ids[5]].sort());
    expect((await list('requestedBy=admin%40example.com')).items).toHaveLength(9);
    expect((await list('requestedBy=nobody%40example.com')).items).toHaveLength(0);
    // The clock is 9 hours past the first request; a day covers all, a custom range the middle.
    expect((await list('period=day')).items).toHaveLength(9);
    const from = new Date(Date.parse((await list('limit=500&order=asc')).items[3]!.createdAt)).toISOString();
    expect((await list(`period=custom&from=${from}`)).items).toHaveLength(6);
    expect((await h.api('GET', '/api/actions?period=custom', h.adminToken)).status).toBe(400);
  });

  it.each(['createdAt', 'updatedAt', 'type', 'status'])(
    'pages through every action once when sorted by %s',
    async (sort) => {
      for (const order of ['asc', 'desc']) {
        const seen: Array<{ id: string; type: string; status: string }> = [];
        let cursor: string | null = null;
        do {
          const page: Awaited<ReturnType<typeof list>> = await list(
            `sort=${sort}&order=${order}&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
          );
          seen.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        expect(new Set(seen.map((a) => a.id)).size).toBe(9);
        if (sort === 'type' || sort === 'status') {
          const values = seen.map((a) => a[sort]);
          const sorted = [...values].sort();
          expect(values).toEqual(order === 'asc' ? sorted : sorted.reverse());
        }
      }
    },
  );

  it('exports the filtered view as CSV, neutralising spreadsheet formulas', async () => {
    const r = await h.app.inject({
      method: 'GET',
      url: '/api/actions/export?view=pending',
      headers: { authorization: `Bearer ${h.adminToken}` },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/csv/);
    expect(r.headers['content-disposition']).toMatch(/attachment; filename="quell-actions-/);
    const lines = r.body.trim().split('\r\n');
    expect(lines[0]!.startsWith('id,createdAt,updatedAt,type,title,status')).toBe(true);
    expect(lines).toHaveLength(1 + 7);
    expect(r.body).toContain(`"'=HYPERLINK(""http://evil"")"`);
  });
});
