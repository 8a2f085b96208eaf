import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Indicator, IndicatorActionResult, IndicatorImportResult } from '@quell/contracts';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import { createHarness, HOUR, postgresAvailable, T0, TEST_DB, type Harness } from './harness.js';
import { startTaxiiServer, type TaxiiTestObject, type TaxiiTestServer } from './support/taxii-server.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());
const SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const mixedBundle = JSON.parse(
  readFileSync(new URL('./fixtures/stix/mixed-bundle.json', import.meta.url), 'utf8'),
) as { type: 'bundle'; id: string; objects: TaxiiTestObject['object'][] };
/** The fixture's expiries are judged from here (one expired in 2029, one expires in 2031). */
const IN_2030 = Date.parse('2030-06-01T00:00:00Z');

describe.skipIf(!enabled)(`indicators (${TEST_DB})`, () => {
  let h: Harness;
  let changes: number[];
  /** The admin's token; sessions end when the clock jumps years ahead, so `travel` makes a new one. */
  let admin: string;
  const travel = async (to: number) => {
    h.clock.set(to);
    admin = (await h.login('admin')).token;
  };
  beforeEach(async () => {
    h = await createHarness({ env: { QUELL_TEST_TAXII_PASSWORD: 's3cret' } });
    admin = h.adminToken;
    changes = [];
    h.services.indicators.onChanged = (rev) => changes.push(rev);
    h.services.dispatcher.start(20);
  });
  afterEach(async () => {
    await h.services.indicators.stop();
    await h.services.dispatcher.stop();
    await h.close();
  });

  const create = (body: Record<string, unknown>, token = admin) =>
    h.api('POST', '/api/indicators', token, body);
  const importBody = (body: Record<string, unknown>) => h.api('POST', '/api/indicators/import', admin, body);
  const count = async (table: 'indicators' | 'actions') =>
    (await h.store.db.selectFrom(table).select('id').execute()).length;
  const group = async (name: string) => {
    const r = await h.api('POST', '/api/device-groups', admin, {
      name,
      rank: 1,
      rule: { namePattern: `${name.toLowerCase()}*` },
      automationLevel: 'full',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id as string;
  };

  describe('single indicators through the action pipeline', () => {
    it('adds an indicator by the add_indicator action and answers it, normalised, once applied', async () => {
      const res = await create({
        type: 'domain',
        value: 'WWW.Evil.Example.',
        action: 'block',
        comment: 'C2',
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const out = res.body as IndicatorActionResult;
      expect(out.outcome).toBe('applied');
      expect(out.action).toMatchObject({ type: 'add_indicator', status: 'succeeded', requestComment: 'C2' });
      expect(out.indicator).toMatchObject({
        type: 'domain',
        value: 'www.evil.example',
        action: 'block',
        title: 'www.evil.example',
        severity: 'medium',
        generateAlert: true,
        deviceGroupIds: [],
        source: 'manual',
        createdBy: 'admin@example.com',
      });
      const got = await h.api('GET', `/api/indicators/${out.indicator!.id}`, admin);
      expect(got.body).toEqual(out.indicator);
      expect(changes).toEqual([out.indicator!.rev]);
    });

    it('refuses a duplicate of type, value and scope naming the existing one, and replaces it on upsert', async () => {
      const first = (
        await create({ type: 'md5', value: 'D41D8CD98F00B204E9800998ECF8427E', action: 'audit' })
      ).body as IndicatorActionResult;
      const again = await create({ type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e', action: 'block' });
      expect(again.status).toBe(409);
      expect(again.body.message).toContain(first.indicator!.id);
      expect(again.body.details).toEqual({ id: first.indicator!.id });
      const up = (
        await create({
          type: 'md5',
          value: 'd41d8cd98f00b204e9800998ecf8427e',
          action: 'block',
          upsert: true,
        })
      ).body as IndicatorActionResult;
      expect(up.indicator).toMatchObject({ id: first.indicator!.id, action: 'block' });
      expect(up.indicator!.rev).toBeGreaterThan(first.indicator!.rev);
    });

    it.each([
      [{ type: 'sha256', value: 'abc123', action: 'block' }, 400, /not a valid sha256 indicator/],
      [
        { type: 'domain', value: 'x.example', action: 'allow', generateAlert: true },
        400,
        /allow indicator cannot raise alerts/,
      ],
      [{ type: 'ipv4', value: '10.0.0.1/8', action: 'block' }, 400, /host bits|not a valid ipv4/],
      [
        { type: 'url', value: 'https://x.example/', action: 'block', expiresAt: '2020-01-01T00:00:00Z' },
        400,
        /already past/,
      ],
      [
        { type: 'domain', value: 'x.example', action: 'block', deviceGroupIds: ['dg_nope'] },
        404,
        /No device group dg_nope/,
      ],
      [{ type: 'domain', value: 'x.example', action: 'nuke' }, 400, /body\.action must be one of/],
    ])('refuses %j and writes nothing', async (body, status, message) => {
      const res = await create(body);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.message).toMatch(message);
      expect(await count('indicators')).toBe(0);
      expect(await count('actions')).toBe(0);
    });

    it('waits for approval when a rule asks for it, and applies the indicator once approved', async () => {
      await h.api('PATCH', '/api/settings', admin, {
        approvalRules: [{ actionType: 'add_indicator', requireApproval: true }],
      });
      const res = (await create({ type: 'ipv4', value: '198.51.100.0/24', action: 'block' }))
        .body as IndicatorActionResult;
      expect(res).toMatchObject({
        outcome: 'pending_approval',
        indicator: null,
        action: { status: 'pending_approval' },
      });
      expect(await count('indicators')).toBe(0);
      const responder = await h.login('responder');
      const ok = await h.api('POST', `/api/actions/${res.action.id}/approve`, responder.token, {});
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      await h.services.dispatcher.settle();
      for (let i = 0; i < 100 && (await count('indicators')) === 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect((await h.services.indicators.lookup('ipv4', '198.51.100.7', null))?.value).toBe(
        '198.51.100.0/24',
      );
    });

    it('edits, removes by the remove_indicator action, and undoing an add removes what it added', async () => {
      const added = (await create({ type: 'url', value: 'http://Phish.example:80/login#x', action: 'audit' }))
        .body as IndicatorActionResult;
      const id = added.indicator!.id;
      const patched = await h.api('PATCH', `/api/indicators/${id}`, admin, {
        action: 'allow',
        title: 'Known good',
      });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body).toMatchObject({ action: 'allow', title: 'Known good', generateAlert: false });
      const audit = await h.api('GET', `/api/audit?subject=${id}`, admin);
      expect(audit.body.items.map((e: { event: string }) => e.event)).toContain('indicator.updated');

      const undo = await h.api('POST', `/api/actions/${added.action.id}/undo`, admin, {});
      expect(undo.status, JSON.stringify(undo.body)).toBe(201);
      // The executor's write commits first, the action's success (and the original's undone) next.
      for (let i = 0; i < 200; i++) {
        if ((await h.api('GET', `/api/actions/${added.action.id}`, admin)).body.status === 'undone') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect((await h.api('GET', `/api/actions/${added.action.id}`, admin)).body.status).toBe('undone');
      expect((await h.api('GET', `/api/indicators/${id}`, admin)).status).toBe(404);

      const other = (
        await create({ type: 'sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709', action: 'block' })
      ).body as IndicatorActionResult;
      const del = await h.api('DELETE', `/api/indicators/${other.indicator!.id}?comment=fp`, admin);
      expect(del.status, JSON.stringify(del.body)).toBe(200);
      expect(del.body).toMatchObject({
        outcome: 'applied',
        action: { type: 'remove_indicator', status: 'succeeded' },
      });
      expect((await h.api('GET', `/api/indicators/${other.indicator!.id}`, admin)).status).toBe(404);
    });

    it('lets viewers read and refuses them changes', async () => {
      const viewer = await h.login('viewer');
      expect((await h.api('GET', '/api/indicators', viewer.token)).status).toBe(200);
      const res = await create({ type: 'domain', value: 'x.example', action: 'block' }, viewer.token);
      expect(res.status).toBe(403);
      expect(res.body.message).toMatch(/indicators:manage/);
    });
  });

  describe('list and lookup', () => {
    it('filters and pages the list', async () => {
      const csv = [
        'type,value,action,title',
        ...Array.from({ length: 7 }, (_, i) => `domain,d${i}.example,block,Domain ${i}`),
        `${'sha256'},${SHA},audit,Empty file`,
      ].join('\n');
      expect((await importBody({ format: 'csv', csv })).status).toBe(200);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { items: Indicator[]; nextCursor: string | null } } = await h.api(
          'GET',
          `/api/indicators?type=domain&limit=3&sort=value&order=asc${cursor ? `&cursor=${cursor}` : ''}`,
          admin,
        );
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((i) => i.value));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `d${i}.example`));
      const q = await h.api('GET', '/api/indicators?q=EMPTY', admin);
      expect(q.body.items.map((i: Indicator) => i.type)).toEqual(['sha256']);
    });

    it('decides by precedence: the group’s own indicator beats an all-devices one, then allow beats block', async () => {
      const servers = await group('Servers');
      await importBody({
        format: 'csv',
        csv: [
          'type,value,action,deviceGroups',
          `sha256,${SHA},block,`,
          `sha256,${SHA},audit,Servers`,
          `domain,evil.example,block,`,
          `domain,b.evil.example,allow,`,
          `ipv4,203.0.113.0/24,block_and_remediate,`,
        ].join('\n'),
      });
      expect((await h.services.indicators.lookup('sha256', SHA.toUpperCase(), servers))?.action).toBe(
        'audit',
      );
      expect((await h.services.indicators.lookup('sha256', SHA, null))?.action).toBe('block');
      expect((await h.services.indicators.lookup('sha256', SHA, 'dg_other'))?.action).toBe('block');
      // Both cover a.b.evil.example in the same scope: allow outranks block.
      expect((await h.services.indicators.lookup('domain', 'a.b.evil.example', null))?.action).toBe('allow');
      expect((await h.services.indicators.lookup('domain', 'c.evil.example', null))?.action).toBe('block');
      expect((await h.services.indicators.lookup('ipv4', '203.0.113.9', null))?.action).toBe(
        'block_and_remediate',
      );
      expect(await h.services.indicators.lookup('ipv4', '203.0.114.9', null)).toBeNull();
      expect(await h.services.indicators.matchObservable('domain', 'x.c.evil.example')).toMatchObject({
        action: 'block',
        title: 'evil.example',
      });
      expect(await h.services.indicators.matchObservable('ipv4', 'not an address')).toBeNull();
      const matched = await h.services.indicators.matchSha256([SHA, 'f'.repeat(64)], servers);
      expect(matched.map((m) => [m.sha256, m.indicator.action])).toEqual([[SHA, 'audit']]);

      h.clock.set(T0 + HOUR);
      await importBody({
        format: 'csv',
        csv: `type,value,action,expiresAt\nmd5,${'a'.repeat(32)},block,${new Date(T0 + 2 * HOUR).toISOString()}`,
      });
      expect(await h.services.indicators.lookup('md5', 'a'.repeat(32), null)).not.toBeNull();
      h.clock.set(T0 + 3 * HOUR);
      expect(await h.services.indicators.lookup('md5', 'a'.repeat(32), null)).toBeNull();
      expect((await h.api('GET', '/api/indicators?type=md5', admin)).body.items).toEqual([]);
      const all = await h.api('GET', '/api/indicators?type=md5&includeExpired=true', admin);
      expect(all.body.items).toMatchObject([{ expired: true }]);
    });
  });

  describe('import and export', () => {
    it('lands the valid indicators of a mixed STIX bundle in one go and reports each invalid one with its reason', async () => {
      await travel(IN_2030);
      // The bundle scopes its dropper hash to the group named "finance" (x_quell_device_groups).
      const finance = await group('Finance');
      const dry = (await importBody({ format: 'stix', bundle: mixedBundle, dryRun: true }))
        .body as IndicatorImportResult;
      expect(dry).toMatchObject({ dryRun: true, imported: 8, updated: 0 });
      expect(await count('indicators')).toBe(0);

      const res = await importBody({ format: 'stix', bundle: mixedBundle });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const out = res.body as IndicatorImportResult;
      expect(out).toMatchObject({ dryRun: false, imported: 8, updated: 0, removed: 0, ignored: 3 });
      const list = await h.api('GET', '/api/indicators?limit=100&sort=value&order=asc', admin);
      expect(list.body.items.map((i: Indicator) => `${i.type}:${i.value}`).sort()).toEqual(
        [
          `sha256:${SHA}`,
          'md5:d41d8cd98f00b204e9800998ecf8427e',
          'sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709',
          'ipv4:198.51.100.0/24',
          'ipv6:2001:db8::1',
          'domain:xn--bcher-kva.example',
          'url:http://phish.example/login?x=1',
          'domain:new-version.example',
        ].sort(),
      );
      expect(
        list.body.items.every(
          (i: Indicator) => i.source === 'import_stix' && i.externalId?.startsWith('indicator--'),
        ),
      ).toBe(true);
      expect(list.body.items.find((i: Indicator) => i.type === 'sha256')).toMatchObject({
        deviceGroupIds: [finance],
        action: 'block_and_remediate',
        severity: 'high',
        expiresAt: '2031-01-01T00:00:00.000Z',
      });
      // Every invalid indicator object is reported once, by position and id, with a reason.
      const invalid = mixedBundle.objects
        .map((o, index) => ({ o, index }))
        .filter(
          ({ o, index }) => o.type === 'indicator' && index !== 21 && ![1, 2, 3, 4, 22].includes(index),
        );
      expect(out.rejected.map((r) => r.index)).toEqual(invalid.map((x) => x.index));
      for (const r of out.rejected) {
        expect(r.stixId).toBe(mixedBundle.objects[r.index!]!.id);
        expect(r.reason.length).toBeGreaterThan(8);
      }
      expect(out.rejected.map((r) => r.reason)).toEqual(
        expect.arrayContaining([
          'it is revoked',
          'it expired at 2029-01-01T00:00:00Z (valid_until)',
          expect.stringMatching(/FOLLOWEDBY/),
        ]),
      );
      const audit = await h.api('GET', '/api/audit?subject=indicators', admin);
      expect(audit.body.items).toMatchObject([
        { event: 'indicators.imported_stix', data: { imported: 8, rejected: out.rejected.length } },
      ]);

      const again = (await importBody({ format: 'stix', bundle: mixedBundle })).body as IndicatorImportResult;
      expect(again).toMatchObject({ imported: 0, updated: 0 });
      expect(changes).toHaveLength(1);
    });

    it('withdraws what a later bundle revokes', async () => {
      await travel(IN_2030);
      const revokedLater = structuredClone(mixedBundle.objects[13]!) as Record<string, unknown>;
      delete revokedLater.revoked;
      await importBody({
        format: 'stix',
        bundle: { type: 'bundle', id: 'bundle--1', objects: [revokedLater] },
      });
      expect((await h.services.indicators.lookup('domain', 'revoked.example', null))?.externalId).toBe(
        revokedLater.id,
      );
      const out = (await importBody({ format: 'stix', bundle: mixedBundle })).body as IndicatorImportResult;
      expect(out.removed).toBe(1);
      expect(await h.services.indicators.lookup('domain', 'revoked.example', null)).toBeNull();
    });

    it('round-trips CSV, with device groups by name, and refuses a broken file as a whole', async () => {
      await group('Laptops');
      const csv = [
        'type,value,action,title,description,severity,generateAlert,expiresAt,deviceGroups',
        `sha256,${SHA},block_and_remediate,"=cmd|' /C calc'!A0",Dropper,high,true,2030-01-01T00:00:00.000Z,Laptops`,
        'domain,evil.example,allow,Partner,,low,false,,',
        'ipv6,2001:DB8::/32,audit,Lab range,,informational,true,,',
        'md5,nothex,block,,,,,,',
      ].join('\r\n');
      const first = (await importBody({ format: 'csv', csv })).body as IndicatorImportResult;
      expect(first).toMatchObject({ imported: 3, rejected: [{ row: 5, value: 'nothex' }] });
      const exported = await h.api('GET', '/api/indicators/export/csv', admin);
      expect(exported.status).toBe(200);
      const text = exported.body as string;
      expect(text).toContain("'=cmd|"); // spreadsheets must not run it
      const back = (await importBody({ format: 'csv', csv: text, dryRun: true }))
        .body as IndicatorImportResult;
      expect(back).toMatchObject({ imported: 0, updated: 0, rejected: [] });
      const stix = await h.api('GET', '/api/indicators/export/stix', admin);
      expect(stix.body.objects).toHaveLength(3);
      const viaStix = (await importBody({ format: 'stix', bundle: stix.body, dryRun: true }))
        .body as IndicatorImportResult;
      expect(viaStix).toMatchObject({ imported: 0, rejected: [] });

      const broken = await importBody({ format: 'csv', csv: 'kind,value\nsha256,abc' });
      expect(broken.status).toBe(400);
      expect(broken.body.message).toMatch(/Unknown column "kind"/);
      const wrongField = await importBody({ format: 'stix', csv: 'type,value' });
      expect(wrongField.status).toBe(400);
    });
  });

  describe('the agent feed', () => {
    const feed = (g: string, since: number | null, limit = 100, cursor?: string) =>
      h.services.indicators.feedFor(g, since, limit, cursor);

    it('gives a snapshot in pages, then deltas of the group’s indicators with removals and expiries', async () => {
      const mine = await group('Web');
      const other = await group('Db');
      const rows = [
        'type,value,action,expiresAt,deviceGroups',
        ...Array.from({ length: 5 }, (_, i) => `domain,all${i}.example,block,,`),
        'domain,web.example,allow,,Web',
        'domain,db.example,block,,Db',
        `md5,${'b'.repeat(32)},block,${new Date(T0 + 2 * HOUR).toISOString()},`,
      ];
      const imported = (await importBody({ format: 'csv', csv: rows.join('\n') }))
        .body as IndicatorImportResult;
      const first = await feed(mine, null, 4);
      expect(first.kind).toBe('snapshot');
      if (first.kind !== 'snapshot') return;
      expect(first.snapshot.version).toBe(imported.rev);
      const second = await feed(mine, null, 4, first.nextCursor!);
      if (second.kind !== 'snapshot') throw new Error('expected a snapshot page');
      expect(second.nextCursor).toBeNull();
      const all = [...first.snapshot.indicators, ...second.snapshot.indicators];
      expect(all.map((i) => i.value).sort()).toEqual(
        [
          'all0.example',
          'all1.example',
          'all2.example',
          'all3.example',
          'all4.example',
          'b'.repeat(32),
          'web.example',
        ].sort(),
      );
      expect(all.find((i) => i.value === 'web.example')).toMatchObject({
        groupScoped: true,
        action: 'allow',
        generateAlert: false,
      });
      expect(Object.keys(all[0]!).sort()).toEqual([
        'action',
        'expiresAt',
        'generateAlert',
        'groupScoped',
        'id',
        'severity',
        'title',
        'type',
        'value',
      ]);
      const v = first.snapshot.version;
      expect(await feed(mine, v)).toEqual({
        kind: 'delta',
        delta: { fromVersion: v, toVersion: v, upserts: [], removals: [] },
        more: false,
      });

      // A change for the other group is not this group's business.
      await importBody({ format: 'csv', csv: 'type,value,action,deviceGroups\ndomain,db2.example,block,Db' });
      const removedId = all.find((i) => i.value === 'all0.example')!.id;
      await h.services.indicators.remove(SYSTEM_PRINCIPAL, removedId);
      h.clock.set(T0 + 3 * HOUR);
      const swept = await h.services.indicators.sweepExpired();
      expect(swept).not.toBeNull();
      const d = await feed(mine, v);
      if (d.kind !== 'delta') throw new Error('expected a delta');
      expect(d.delta.upserts).toEqual([]);
      expect([...d.delta.removals].sort()).toEqual([removedId, all.find((i) => i.type === 'md5')!.id].sort());
      expect(d.delta.toVersion).toBe(await h.services.indicators.revision());
      const otherDelta = await feed(other, v);
      if (otherDelta.kind !== 'delta') throw new Error('expected a delta');
      expect(otherDelta.delta.upserts.map((i) => i.value)).toEqual(['db2.example']);
      expect(changes.length).toBeGreaterThanOrEqual(4);
    });

    it('answers a fleet asking for the same delta alike, and the next change reaches the next ask', async () => {
      const g = await group('Web');
      const v = await h.services.indicators.revision();
      const add = async (value: string) =>
        (
          (await importBody({ format: 'csv', csv: `type,value,action\ndomain,${value},block` }))
            .body as IndicatorImportResult
        ).rev;
      const first = await add('one.example');
      const fleet = await Promise.all(Array.from({ length: 200 }, () => feed(g, v)));
      for (const d of fleet) {
        if (d.kind !== 'delta') throw new Error('expected a delta');
        expect(d.delta.toVersion).toBe(first);
        expect(d.delta.upserts.map((i) => i.value)).toEqual(['one.example']);
      }
      // Same starting revision after another change: the answer carries it (nothing stale).
      const second = await add('two.example');
      const later = await feed(g, v);
      if (later.kind !== 'delta') throw new Error('expected a delta');
      expect(later.delta.toVersion).toBe(second);
      expect(later.delta.upserts.map((i) => i.value).sort()).toEqual(['one.example', 'two.example']);
      // A removal likewise.
      const one = (await h.api('GET', '/api/indicators?q=one.example', admin)).body.items[0] as Indicator;
      await h.services.indicators.remove(SYSTEM_PRINCIPAL, one.id);
      const after = await feed(g, second);
      if (after.kind !== 'delta') throw new Error('expected a delta');
      expect(after.delta.removals).toEqual([one.id]);
    });

    it('moves an indicator to other device groups in one revision: groups that lost it drop it, groups that gained it add it', async () => {
      const web = await group('Web');
      const db = await group('Db');
      const ops = await group('Ops');
      const added = (await create({ type: 'domain', value: 'moved.example', action: 'block' }))
        .body as IndicatorActionResult;
      const oldId = added.indicator!.id;
      const v0 = await h.services.indicators.revision();
      changes = [];

      const moved = await h.api('PATCH', `/api/indicators/${oldId}`, admin, {
        deviceGroupIds: [web, db],
        title: 'Moved',
      });
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
      const now = moved.body as Indicator;
      expect(now).toMatchObject({ value: 'moved.example', action: 'block', title: 'Moved' });
      expect([...now.deviceGroupIds].sort()).toEqual([web, db].sort());
      expect(now.id).not.toBe(oldId);
      expect((await h.api('GET', `/api/indicators/${oldId}`, admin)).status).toBe(404);
      expect(changes).toEqual([now.rev]);

      // Ops lost it; Web kept it (the old id goes, the new one comes, in the same delta).
      const opsDelta = await feed(ops, v0);
      if (opsDelta.kind !== 'delta') throw new Error('expected a delta');
      expect(opsDelta.delta).toEqual({ fromVersion: v0, toVersion: now.rev, upserts: [], removals: [oldId] });
      const webDelta = await feed(web, v0);
      if (webDelta.kind !== 'delta') throw new Error('expected a delta');
      expect(webDelta.delta.removals).toEqual([oldId]);
      expect(webDelta.delta.upserts.map((i) => [i.id, i.title, i.groupScoped])).toEqual([
        [now.id, 'Moved', true],
      ]);
      const audit = await h.api('GET', `/api/audit?subject=${oldId}`, admin);
      expect(audit.body.items.map((e: { event: string }) => e.event)).toContain('indicator.rescoped');

      // Back to all devices: Ops gains it; Db and Web swap the group-scoped one for it.
      const v1 = await h.services.indicators.revision();
      const back = await h.api('PATCH', `/api/indicators/${now.id}`, admin, { deviceGroupIds: [] });
      expect(back.status, JSON.stringify(back.body)).toBe(200);
      const everywhere = back.body as Indicator;
      expect(everywhere.deviceGroupIds).toEqual([]);
      // Its all-devices tombstone comes back to life: the first id again.
      expect(everywhere.id).toBe(oldId);
      const opsBack = await feed(ops, v1);
      if (opsBack.kind !== 'delta') throw new Error('expected a delta');
      expect(opsBack.delta.removals).toEqual([]);
      expect(opsBack.delta.upserts.map((i) => [i.id, i.groupScoped])).toEqual([[everywhere.id, false]]);
      const webBack = await feed(web, v1);
      if (webBack.kind !== 'delta') throw new Error('expected a delta');
      expect(webBack.delta.removals).toEqual([now.id]);
      expect(webBack.delta.upserts.map((i) => i.id)).toEqual([everywhere.id]);
      const dbSnapshot = await feed(db, null);
      if (dbSnapshot.kind !== 'snapshot') throw new Error('expected a snapshot');
      expect(dbSnapshot.snapshot.indicators.map((i) => i.id)).toEqual([everywhere.id]);
    });

    it('refuses a scope change to an unknown group or onto another indicator’s scope, changing nothing', async () => {
      const db = await group('Db');
      const all = (await create({ type: 'domain', value: 'busy.example', action: 'block' }))
        .body as IndicatorActionResult;
      const scoped = (
        await create({ type: 'domain', value: 'busy.example', action: 'allow', deviceGroupIds: [db] })
      ).body as IndicatorActionResult;
      const rev = await h.services.indicators.revision();

      const unknown = await h.api('PATCH', `/api/indicators/${all.indicator!.id}`, admin, {
        deviceGroupIds: ['grp_missing'],
        title: 'Not this',
      });
      expect(unknown.status).toBe(404);
      expect(unknown.body.message).toMatch(/grp_missing.*quell groups list/);

      const clash = await h.api('PATCH', `/api/indicators/${all.indicator!.id}`, admin, {
        deviceGroupIds: [db],
      });
      expect(clash.status).toBe(409);
      expect(clash.body.message).toContain(scoped.indicator!.id);

      expect(await h.services.indicators.revision()).toBe(rev);
      expect((await h.api('GET', `/api/indicators/${all.indicator!.id}`, admin)).body).toEqual(all.indicator);
    });

    it('keeps an indicator for many groups with a long value (the identity key stays indexable)', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const g = await h.services.deviceGroups.create(SYSTEM_PRINCIPAL, {
          name: `Team ${i}`,
          rank: 10 + i,
          rule: { namePattern: `team${i}-*` },
          automationLevel: 'full',
        });
        ids.push(g.id);
      }
      const url = `https://long.example/${'a'.repeat(1990)}`;
      const out = (
        await importBody({
          format: 'csv',
          csv: `type,value,action,deviceGroups\nurl,${url},block,${ids.join(';')}`,
        })
      ).body as IndicatorImportResult;
      expect(out).toMatchObject({ imported: 1, rejected: [] });
      const page = await feed(ids[17]!, null);
      if (page.kind !== 'snapshot') throw new Error('expected a snapshot');
      expect(page.snapshot.indicators).toMatchObject([{ value: url, groupScoped: true }]);
      const again = (
        await importBody({
          format: 'csv',
          csv: `type,value,action,deviceGroups\nurl,${url},audit,${[...ids].reverse().join(';')}`,
        })
      ).body as IndicatorImportResult;
      expect(again).toMatchObject({ imported: 0, updated: 1 });
    });

    it('never splits a revision across delta pages, and sends a snapshot to agents behind the pruned tombstones', async () => {
      const g = await group('Web');
      const base = await h.services.indicators.revision();
      await importBody({
        format: 'csv',
        csv: [
          'type,value,action',
          ...Array.from({ length: 6 }, (_, i) => `domain,big${i}.example,block`),
        ].join('\n'),
      });
      await importBody({ format: 'csv', csv: 'type,value,action\ndomain,small.example,block' });
      const page = await feed(g, base, 3);
      if (page.kind !== 'delta') throw new Error('expected a delta');
      expect(page.delta.upserts).toHaveLength(6);
      expect(page.more).toBe(true);
      const rest = await feed(g, page.delta.toVersion, 3);
      if (rest.kind !== 'delta') throw new Error('expected a delta');
      expect(rest.delta.upserts.map((i) => i.value)).toEqual(['small.example']);
      expect(rest.more).toBe(false);

      const victim = (await h.api('GET', '/api/indicators?q=small', admin)).body.items[0] as Indicator;
      await h.services.indicators.remove(SYSTEM_PRINCIPAL, victim.id);
      h.clock.set(T0 + 40 * 24 * HOUR);
      expect(await h.services.indicators.pruneTombstones()).toBe(1);
      expect((await feed(g, base)).kind).toBe('snapshot');
      expect((await feed(g, 10_000)).kind).toBe('snapshot');
      expect((await feed(g, await h.services.indicators.revision())).kind).toBe('delta');
    });
  });

  describe('TAXII feeds', () => {
    let taxii: TaxiiTestServer;
    beforeEach(async () => {
      taxii = await startTaxiiServer({
        username: 'quell',
        password: 's3cret',
        pageSize: 5,
        collections: [
          {
            id: 'iocs',
            title: 'IOCs',
            paging: 'next',
            objects: mixedBundle.objects.map((object, i) => ({
              dateAdded: new Date(Date.parse('2030-05-01T00:00:00Z') + i * 60_000).toISOString(),
              object,
            })),
          },
        ],
      });
    });
    afterEach(async () => {
      await taxii.close();
    });

    it('pulls a feed with the password from an environment variable, records the cursor, and pulls only what is new', async () => {
      await travel(IN_2030);
      await group('Finance');
      const created = await h.api('POST', '/api/indicators/feeds', admin, {
        name: 'Partner CTI',
        discoveryUrl: taxii.discoveryUrl,
        collectionId: 'iocs',
        authKind: 'basic',
        username: 'quell',
        secretEnv: 'QUELL_TEST_TAXII_PASSWORD',
        defaultAction: 'audit',
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(JSON.stringify(created.body)).not.toContain('s3cret');
      const id = created.body.id as string;
      const pulled = await h.api('POST', `/api/indicators/feeds/${id}/pull`, admin);
      expect(pulled.status, JSON.stringify(pulled.body)).toBe(200);
      expect(pulled.body).toMatchObject({
        complete: true,
        import: { imported: 8, updated: 0 },
        feed: { lastError: null, lastCounts: { imported: 8, rejected: 15 } },
      });
      expect(pulled.body.feed.addedAfter).toMatch(/^2030-05-01T00:22/);
      const list = (await h.api('GET', '/api/indicators?source=taxii&limit=100', admin)).body
        .items as Indicator[];
      expect(list).toHaveLength(8);
      // The feed's default action fills in for objects without x_quell_action.
      expect(list.filter((i) => i.action === 'audit')).toHaveLength(7);

      taxii.objectRequests.length = 0;
      const again = await h.api('POST', `/api/indicators/feeds/${id}/pull`, admin);
      expect(again.body.import).toMatchObject({ imported: 0, updated: 0 });
      expect(taxii.objectRequests[0]?.query.added_after).toBe(pulled.body.feed.addedAfter);
      const audit = await h.api('GET', `/api/audit?subject=${id}`, admin);
      expect(audit.body.items.map((e: { event: string }) => e.event)).toEqual(
        expect.arrayContaining(['indicator_feed.created', 'indicators.taxii_pulled']),
      );
    });

    it('pulls due feeds on schedule, once per interval', async () => {
      await travel(IN_2030);
      await group('Finance');
      const feedRes = await h.api('POST', '/api/indicators/feeds', admin, {
        name: 'Scheduled',
        apiRootUrl: taxii.apiRootUrl,
        collectionId: 'iocs',
        authKind: 'basic',
        username: 'quell',
        secretEnv: 'QUELL_TEST_TAXII_PASSWORD',
        intervalMinutes: 5,
      });
      const lastPull = async () =>
        (
          (await h.api('GET', '/api/indicators/feeds', admin)).body.items[0] as {
            lastPulledAt: string | null;
          }
        ).lastPulledAt;
      const until = async (ok: () => Promise<boolean>) => {
        for (let i = 0; i < 250 && !(await ok()); i++) await new Promise((r) => setTimeout(r, 20));
      };
      const pulled = async () =>
        (await h.api('GET', '/api/indicators?source=taxii&limit=100', admin)).body.items.length as number;
      h.services.indicators.startFeedPolling(30);
      await until(async () => (await pulled()) === 8);
      expect(await pulled()).toBe(8);
      expect(await lastPull()).toBe(new Date(IN_2030).toISOString());
      const requests = taxii.objectRequests.length;
      await new Promise((r) => setTimeout(r, 200));
      expect(taxii.objectRequests.length).toBe(requests);

      h.clock.advance(6 * 60_000);
      await until(async () => taxii.objectRequests.length > requests);
      expect(taxii.objectRequests.at(-1)?.query.added_after).toMatch(/^2030-05-01T00:22/);
      await h.services.indicators.stop();
      expect(feedRes.status).toBe(201);
    });

    it('changes only the settings a PATCH names: a paused feed with its own interval stays so', async () => {
      const created = await h.api('POST', '/api/indicators/feeds', admin, {
        name: 'Paused',
        apiRootUrl: taxii.apiRootUrl,
        collectionId: 'iocs',
        intervalMinutes: 240,
        enabled: false,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const patched = await h.api('PATCH', `/api/indicators/feeds/${created.body.id}`, admin, {
        name: 'Paused renamed',
      });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body).toMatchObject({ name: 'Paused renamed', intervalMinutes: 240, enabled: false });
      const [listed] = (await h.api('GET', '/api/indicators/feeds', admin)).body.items;
      expect(listed).toMatchObject({ name: 'Paused renamed', intervalMinutes: 240, enabled: false });
    });

    it('says which environment variable is missing, and records the error on the feed', async () => {
      const feedRes = await h.api('POST', '/api/indicators/feeds', admin, {
        name: 'No secret',
        apiRootUrl: taxii.apiRootUrl,
        collectionId: 'iocs',
        authKind: 'bearer',
        secretEnv: 'QUELL_TEST_NOT_SET',
      });
      const pulled = await h.api('POST', `/api/indicators/feeds/${feedRes.body.id}/pull`, admin);
      expect(pulled.status).toBe(400);
      expect(pulled.body.message).toMatch(
        /environment variable QUELL_TEST_NOT_SET, which is not set on the server/,
      );
      const feeds = await h.api('GET', '/api/indicators/feeds', admin);
      expect(feeds.body.items[0].lastError).toMatch(/QUELL_TEST_NOT_SET/);
      const patched = await h.api('PATCH', `/api/indicators/feeds/${feedRes.body.id}`, admin, {
        enabled: false,
        resetCursor: true,
      });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body).toMatchObject({
        enabled: false,
        addedAfter: null,
        secretEnv: 'QUELL_TEST_NOT_SET',
      });
      const noSecret = await h.api('POST', '/api/indicators/feeds', admin, {
        name: 'Basic without secret',
        apiRootUrl: taxii.apiRootUrl,
        collectionId: 'iocs',
        authKind: 'basic',
        username: 'quell',
      });
      expect(noSecret.status).toBe(400);
      expect(noSecret.body.message).toMatch(/needs secretEnv/);
    });
  });
});
