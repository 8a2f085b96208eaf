import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaxiiClient } from '../../connectors/src/taxii/taxii-client.js';
import { TaxiiError } from '../../connectors/src/taxii/taxii-error.js';
import { pullIndicators } from '../../connectors/src/taxii/pull-indicators.js';
import { importStixObjects } from '../src/indicators/formats/stix-import.js';
import { startTaxiiServer, type TaxiiTestObject, type TaxiiTestServer } from './support/taxii-server.js';

const bundle = JSON.parse(
  readFileSync(new URL('./fixtures/stix/mixed-bundle.json', import.meta.url), 'utf8'),
) as { objects: TaxiiTestObject['object'][] };
const now = Date.parse('2030-06-01T00:00:00Z');
const added = (i: number) => new Date(Date.parse('2030-05-01T00:00:00Z') + i * 60_000).toISOString();
const feed = (paging: 'next' | 'added_after') => ({
  id: `feed-${paging}`,
  title: `Feed paged by ${paging}`,
  paging,
  objects: bundle.objects.map((object, i) => ({ dateAdded: added(i), object })),
});
const indicatorCount = bundle.objects.filter((o) => o.type === 'indicator').length;
const auth = { kind: 'basic', username: 'quell', password: 's3cret' } as const;

describe('TAXII 2.1 client against a real TAXII server', () => {
  let server: TaxiiTestServer;
  beforeEach(async () => {
    server = await startTaxiiServer({
      username: 'quell',
      password: 's3cret',
      token: 'tok-123',
      pageSize: 4,
      collections: [feed('next'), feed('added_after')],
    });
  });
  afterEach(async () => {
    await server.close();
  });

  it('finds the default API root through discovery and lists its collections', async () => {
    const client = new TaxiiClient({ discoveryUrl: server.discoveryUrl, auth });
    expect(await client.resolveApiRoot()).toBe(server.apiRootUrl);
    expect(await client.apiRoot()).toMatchObject({ versions: ['application/taxii+json;version=2.1'] });
    expect((await client.collections()).map((c) => c.id)).toEqual(['feed-next', 'feed-added_after']);
    expect(await client.collection('feed-next')).toMatchObject({ can_read: true });
  });

  it.each(['next', 'added_after'] as const)(
    'pulls every page of a collection paged by %s, and the importer lands the valid indicators',
    async (paging) => {
      const client = new TaxiiClient({ apiRootUrl: server.apiRootUrl, auth });
      const pulled = await pullIndicators(client, `feed-${paging}`, null, { pageSize: 10 });
      expect(pulled.objects).toHaveLength(indicatorCount);
      expect(pulled.pages).toBe(Math.ceil(indicatorCount / 4));
      expect(pulled.complete).toBe(true);
      expect(pulled.nextAddedAfter).toBe(added(bundle.objects.length - 1));
      expect(
        server.objectRequests.every((r) => r.query['match[type]'] === 'indicator' && r.query.limit === '10'),
      ).toBe(true);

      const result = importStixObjects(pulled.objects, { now, source: 'taxii' });
      expect(result.accepted.map((i) => `${i.type}:${i.value}`)).toEqual([
        'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        'md5:d41d8cd98f00b204e9800998ecf8427e',
        'sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709',
        'ipv4:198.51.100.0/24',
        'ipv6:2001:db8::1',
        'domain:xn--bcher-kva.example',
        'url:http://phish.example/login?x=1',
        'domain:new-version.example',
      ]);
      expect(result.accepted.every((i) => i.source === 'taxii')).toBe(true);
      expect(result.rejected).toHaveLength(15);
      expect(result.rejected.every((r) => r.stixId?.startsWith('indicator--') && r.reason.length > 10)).toBe(
        true,
      );
      expect(result.rejected.map((r) => r.reason)).toEqual(
        expect.arrayContaining([
          'it is revoked',
          'it expired at 2029-01-01T00:00:00Z (valid_until)',
          expect.stringMatching(/FOLLOWEDBY/),
          expect.stringMatching(/pattern_type "sigma"/),
        ]),
      );
      expect(result.revokedIds).toHaveLength(1);
    },
  );

  it('honours added_after: the next pull brings only what was added since the cursor', async () => {
    const client = new TaxiiClient({
      discoveryUrl: server.discoveryUrl,
      auth: { kind: 'bearer', token: 'tok-123' },
    });
    const first = await pullIndicators(client, 'feed-next', null);
    expect(first.objects).toHaveLength(indicatorCount);

    const fresh = {
      type: 'indicator',
      spec_version: '2.1',
      id: 'indicator--00000000-0000-4000-8000-000000000100',
      created: '2030-05-02T00:00:00Z',
      modified: '2030-05-02T00:00:00Z',
      name: 'Fresh C2',
      pattern: "[domain-name:value = 'fresh.example']",
      pattern_type: 'stix',
      valid_from: '2030-05-02T00:00:00Z',
    };
    server.add('feed-next', [
      { dateAdded: '2030-05-02T00:00:00.000Z', object: fresh },
      { dateAdded: '2030-05-02T00:00:01.000Z', object: { type: 'malware', id: 'malware--x' } },
    ]);
    server.objectRequests.length = 0;
    const second = await pullIndicators(client, 'feed-next', first.nextAddedAfter);
    expect(server.objectRequests[0]?.query.added_after).toBe(first.nextAddedAfter);
    expect(second.objects).toEqual([fresh]);
    expect(second.nextAddedAfter).toBe('2030-05-02T00:00:00.000Z');
    expect(importStixObjects(second.objects, { now }).accepted).toMatchObject([{ value: 'fresh.example' }]);

    const third = await pullIndicators(client, 'feed-next', second.nextAddedAfter);
    expect(third).toMatchObject({ objects: [], nextAddedAfter: second.nextAddedAfter, pages: 1 });
  });

  it('stops at maxPages with a cursor to go on from', async () => {
    const client = new TaxiiClient({ apiRootUrl: server.apiRootUrl, auth });
    const part = await pullIndicators(client, 'feed-added_after', null, { maxPages: 2 });
    expect(part).toMatchObject({ pages: 2, complete: false });
    expect(part.objects).toHaveLength(8);
    const rest = await pullIndicators(client, 'feed-added_after', part.nextAddedAfter);
    expect(part.objects.length + rest.objects.length).toBe(indicatorCount);
  });

  it('says the credentials are wrong when the server answers 401', async () => {
    const client = new TaxiiClient({
      discoveryUrl: server.discoveryUrl,
      auth: { kind: 'basic', username: 'quell', password: 'wrong' },
    });
    const err = await pullIndicators(client, 'feed-next', null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaxiiError);
    expect(err).toMatchObject({ status: 401, retryable: false });
    expect((err as Error).message).toMatch(
      /answered 401 .*rejected the credentials: check the feed's username and password, or its token\. It said: Unauthorized: The credentials are missing or wrong\./,
    );
  });

  it.each([
    [
      'an unknown collection',
      'api1',
      'nope',
      /answered 404 .*check the discovery URL, the API root and the collection id/,
    ],
    [
      'a web page',
      'quirks/html',
      'x',
      /content type "text\/html", not application\/taxii\+json;version=2\.1: check that the URL points at a TAXII 2\.1 server/,
    ],
    ['a TAXII 2.0 server', 'quirks/taxii20', 'x', /this is a TAXII 2\.0 server; Quell speaks TAXII 2\.1/],
    ['a body that is not JSON', 'quirks/not-json', 'x', /a body that is not JSON/],
  ])('explains %s', async (_name, path, collection, message) => {
    const apiRootUrl = `${server.base}/${path}/`;
    const client = new TaxiiClient({ apiRootUrl, auth });
    const call = path === 'api1' ? client.getObjects(collection) : client.apiRoot();
    await expect(call).rejects.toThrow(message);
  });

  it('gives up on a server that does not answer in time, as a retryable error', async () => {
    const client = new TaxiiClient({ apiRootUrl: `${server.base}/quirks/slow/`, auth, timeoutMs: 200 });
    const err = await client.apiRoot().catch((e: unknown) => e);
    expect(err).toMatchObject({
      retryable: true,
      message: expect.stringMatching(/did not answer within 200 ms/),
    });
  });

  it('refuses a configuration without a usable URL', () => {
    expect(() => new TaxiiClient({})).toThrow(/needs a discovery URL or an API root URL/);
    expect(() => new TaxiiClient({ discoveryUrl: 'ftp://x/' })).toThrow(/must be an http\(s\) URL/);
  });
});
