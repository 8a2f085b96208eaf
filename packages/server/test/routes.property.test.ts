import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { ROUTES, type OperationId, type RouteDef } from '@quell/contracts';
import { alert, createHarness, HOUR, postgresAvailable, T0, TEST_DB, type Harness } from './harness.js';
import { expectErrorBody, rowCounts, type RowCounts } from './probes.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());

/** The seed and run counts keep the file deterministic and under a couple of minutes per database. */
const SEED = 42;
const RANDOM_RUNS = 50;
const MUTATION_RUNS = 30;

/** A body each route accepts as to its shape, the starting point for "valid but one field wrong". */
const VALID_BODY: Partial<Record<OperationId, Record<string, unknown>>> = {
  login: { email: 'nobody@example.com', password: 'not-the-password', mode: 'token' },
  ingestAlerts: { ...alert({ id: 'probe-1' }), lastActivityAt: new Date(T0 + HOUR).toISOString() },
  ingestOcsf: {
    class_uid: 2004,
    time: T0,
    severity_id: 3,
    finding_info: { uid: 'f-1', title: 'Probe finding' },
    metadata: { product: { name: 'probe' } },
    device: { hostname: 'ws01' },
  },
  patchIncident: { version: 0, title: 'Renamed', tags: ['probe'], assignee: null },
  commentIncident: { text: 'Looked at it.' },
  mergeIncidents: { sourceIds: ['inc_nope'] },
  requestAction: { type: 'isolate_device', target: { kind: 'device', id: 'ws01' }, comment: 'contain' },
  approveAction: { comment: 'go' },
  rejectAction: { comment: 'no' },
  cancelAction: { comment: 'stop' },
  undoAction: { comment: 'revert' },
  bulkApprove: { ids: ['act_nope'], comment: 'go' },
  bulkReject: { ids: ['act_nope'], comment: 'no' },
  bulkUndo: { ids: ['act_nope'], comment: 'revert' },
  requestActionBatch: { type: 'run_av_scan', select: { devices: ['ws01'] }, params: { scope: 'quick' } },
  createDeviceGroup: { name: 'Servers', rank: 5, rule: { namePattern: 'srv*' }, automationLevel: 'full' },
  patchDeviceGroup: { name: 'Renamed', rank: 6 },
  previewDeviceGroup: { hostname: 'ws01', os: 'Windows', tags: ['a'] },
  revokeDevice: { comment: 'decommissioned' },
  createEnrollmentToken: { label: 'web fleet', expiresInHours: 2, tags: ['web'] },
  createYaraRule: { name: 'probe_rule', source: 'rule probe_rule { condition: false }' },
  createUser: { email: 'new@example.com', role: 'viewer', password: 'a-long-password-123' },
  patchUser: { name: 'Renamed', disabled: false },
  createToken: { name: 'ci', role: 'viewer', expiresInDays: 30 },
  patchSettings: { twoPersonRule: true, approvalTimeoutHours: 24 },
  // indicators (issue 4)
  createIndicator: { type: 'domain', value: 'evil.example', action: 'block' },
  patchIndicator: { title: 'Renamed', severity: 'high' },
  importIndicators: { format: 'csv', csv: 'type,value\ndomain,evil.example\n', dryRun: true },
  createTaxiiFeed: { name: 'Probe feed', apiRootUrl: 'https://taxii.example/api1/', collectionId: 'c1' },
  patchTaxiiFeed: { name: 'Renamed feed', intervalMinutes: 30 },
  // files (issue 4)
  quarantineFile: { devices: ['ws01'], seenWithinDays: 30, cap: 10, comment: 'malware' },
  restoreFile: { devices: ['ws01'], comment: 'false positive' },
  collectFile: { device: 'ws01', path: '/tmp/x', comment: 'for analysis' },
  downloadFile: { password: 'a long zip password', reason: 'triage' },
  // deep analyses (issue 4)
  submitAnalysis: { sha256: 'c'.repeat(64), name: 'probe.sh', timeoutSeconds: 30, comment: 'probe' },
  resubmitAnalysis: { timeoutSeconds: 30, comment: 'again' },
  cancelAnalysis: { comment: 'stop' },
  downloadAnalysisFile: { sha256: 'd'.repeat(64), password: 'a-long-password', reason: 'probe' },
};

// ---------------------------------------------------------------------------------------------
// Mutations: a valid body with exactly one thing wrong, derived from the route's own schema.

interface JsonSchema {
  type?: string | string[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  const?: unknown;
  if?: JsonSchema;
  else?: JsonSchema;
}

interface Mutated {
  body: Record<string, unknown>;
  /** The field name the error message must name. */
  names: string;
  what: string;
}

const CANDIDATES: Array<[string, unknown]> = [
  ['string', 'not-the-right-type'],
  ['number', 1.5],
  ['integer', 7],
  ['boolean', true],
  ['null', null],
  ['array', [1]],
  ['object', { x: 1 }],
];

/** The JSON types a schema allows, or null when it allows anything. */
function allowedTypes(s: JsonSchema): Set<string> | null {
  if (s.anyOf) {
    const out = new Set<string>();
    for (const b of s.anyOf) {
      const t = allowedTypes(b);
      if (!t) return null;
      t.forEach((x) => out.add(x));
    }
    return out;
  }
  if (s.type) {
    const out = new Set(Array.isArray(s.type) ? s.type : [s.type]);
    if (out.has('number')) out.add('integer');
    return out;
  }
  return null;
}

function setAt(body: Record<string, unknown>, path: string[], value: unknown | typeof DELETE) {
  const copy = structuredClone(body);
  let at: Record<string, unknown> = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const leaf = path.at(-1)!;
  if (value === DELETE) delete at[leaf];
  else at[leaf] = value;
  return copy;
}
const DELETE = Symbol('delete');

/** Every single-fault mutation of `base` that the schema must refuse, as arbitraries. */
function mutations(
  schema: JsonSchema,
  base: Record<string, unknown>,
  root: Record<string, unknown> = base,
  path: string[] = [],
): Array<fc.Arbitrary<Mutated>> {
  const out: Array<fc.Arbitrary<Mutated>> = [];
  const here = path.join('.') || 'body';
  if (schema.additionalProperties === false) {
    out.push(
      fc
        .tuple(fc.stringMatching(/^[a-z][A-Za-z0-9]{0,15}$/), fc.jsonValue({ maxDepth: 2 }))
        .map(([k, v]) => ({
          body: setAt(root, [...path, `x_${k}`], v),
          names: `x_${k}`,
          what: `unknown field ${here}.x_${k}`,
        })),
    );
  }
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const p = [...path, name];
    const where = p.join('.');
    if (schema.required?.includes(name) && name in base) {
      out.push(fc.constant({ body: setAt(root, p, DELETE), names: name, what: `${where} missing` }));
    }
    const allowed = allowedTypes(prop);
    if (allowed) {
      const wrong = CANDIDATES.filter(([t]) => !allowed.has(t)).map(([, v]) => v);
      if (wrong.length)
        out.push(
          fc.constantFrom(...wrong).map((v) => ({
            body: setAt(root, p, v),
            names: name,
            what: `${where} = ${JSON.stringify(v)}`,
          })),
        );
    }
    if (prop.type === 'string' && prop.maxLength !== undefined) {
      const max = prop.maxLength;
      out.push(
        fc.string({ unit: 'grapheme', minLength: max + 1, maxLength: max + 40 }).map((v) => ({
          body: setAt(root, p, v),
          names: name,
          what: `${where} of ${v.length} chars (max ${max})`,
        })),
      );
    }
    if (prop.type === 'array' && prop.maxItems !== undefined) {
      const items = Array.from({ length: prop.maxItems + 1 }, (_, i) => `item-${i}`);
      out.push(fc.constant({ body: setAt(root, p, items), names: name, what: `${where} too many items` }));
    }
    if (prop.type === 'integer' && prop.minimum !== undefined) {
      const v = prop.minimum - 1;
      out.push(fc.constant({ body: setAt(root, p, v), names: name, what: `${where} = ${v}` }));
    }
    if (prop.type === 'integer' && prop.maximum !== undefined) {
      const v = prop.maximum + 1;
      out.push(fc.constant({ body: setAt(root, p, v), names: name, what: `${where} = ${v}` }));
    }
    const value = base[name];
    if (
      prop.type === 'object' &&
      prop.properties &&
      value &&
      typeof value === 'object' &&
      !Array.isArray(value)
    )
      out.push(...mutations(prop, value as Record<string, unknown>, root, p));
  }
  return out;
}

/**
 * Valid bodies with one free-text field set to unusual text within its length limits: control
 * characters, NUL, right-to-left marks, astral planes. The server may store them or refuse them,
 * but not fail.
 */
function strangeText(
  schema: JsonSchema,
  base: Record<string, unknown>,
  root: Record<string, unknown> = base,
  path: string[] = [],
): Array<fc.Arbitrary<Record<string, unknown>>> {
  const out: Array<fc.Arbitrary<Record<string, unknown>>> = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const p = [...path, name];
    const value = base[name];
    if (prop.type === 'string' && !prop.enum && !prop.pattern && !prop.format) {
      const min = Math.max(1, prop.minLength ?? 0);
      const max = Math.min(prop.maxLength ?? 60, 60);
      out.push(
        fc
          .oneof(
            fc.string({ unit: 'binary', minLength: min, maxLength: max }),
            fc.constantFrom(
              '\u0000',
              'a\u0000b',
              '\u202Eevil',
              '\uFFFF',
              '\u{1F600}\u200D',
              '\\x00',
              "'; drop table users; --",
            ),
          )
          .filter((v) => [...v].length >= min)
          .map((v) => setAt(root, p, v)),
      );
    }
    if (
      prop.type === 'object' &&
      prop.properties &&
      value &&
      typeof value === 'object' &&
      !Array.isArray(value)
    )
      out.push(...strangeText(prop, value as Record<string, unknown>, root, p));
  }
  return out;
}

/** Bodies of one alert / one finding take the `else` shape of the if/then/else unions. */
const objectSchema = (s: JsonSchema): JsonSchema => s.else ?? s;

// ---------------------------------------------------------------------------------------------
// Random probes: whatever a client, a fuzzer or an attacker might send.

interface Probe {
  kind: 'json' | 'strange-text' | 'query' | 'path' | 'not-json' | 'content-type';
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

const WEIRD_IDS = [
  '..',
  '.',
  '%00',
  'a%00b',
  '%2e%2e',
  '..%2f..%2fetc%2fpasswd',
  '%',
  '%zz',
  '%C0%AE',
  '%F0%9F%98%80',
  '%E2%80%AE',
  ';',
  '*',
  "'%20OR%201%3D1%20--",
  'NULL',
  '-1',
  '0',
  '__proto__',
  'constructor',
];

const pathIds: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...WEIRD_IDS),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc.integer({ min: 90, max: 5000 }).map((n) => 'a'.repeat(n)),
  fc.stringMatching(/^[A-Za-z0-9_.:-]{1,120}$/),
);

const queryValues = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.integer().map(String),
  fc.constantFrom(
    '',
    '-1',
    '0',
    '1e3',
    '1.5',
    'NaN',
    'null',
    'true',
    '2026-13-45T99:00:00Z',
    'x'.repeat(600),
  ),
  fc.constantFrom('\u0000', 'a\u0000b', '%', '_', "'", '\\'),
  fc.constantFrom('pending', 'history', 'all', 'day', 'custom', 'asc', 'desc', 'active', 'high', 'createdAt'),
);

function queryString(route: RouteDef): fc.Arbitrary<string> {
  const known = Object.keys((route.query as JsonSchema | undefined)?.properties ?? {});
  const key = known.length
    ? fc.oneof(fc.constantFrom(...known), fc.string({ minLength: 1, maxLength: 12 }))
    : fc.string({ minLength: 1, maxLength: 12 });
  const encoded = fc.array(fc.tuple(key, queryValues), { maxLength: 5 }).map((pairs) => {
    const q = new URLSearchParams();
    for (const [k, v] of pairs) q.append(k, v);
    return q.toString();
  });
  const raw = fc.constantFrom(
    '%',
    '%zz',
    '&&&',
    '=',
    'limit=%E0%A4%A',
    'limit=1&limit=2',
    'cursor=%00',
    '__proto__[x]=1',
  );
  return fc.oneof(encoded, raw);
}

const notJson = fc.oneof(
  fc.constantFrom('', ' ', '{', '{"a":', "{'a':1}", 'NaN', 'undefined', '\u0000', '[1,]', '{"a":1}}'),
  fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
);

const otherTypes = fc.constantFrom(
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
  'text/json',
  'application/jsonx',
);

/** Object bodies: random keys, or the route's own keys with random values. */
function jsonBodies(route: RouteDef): fc.Arbitrary<unknown> {
  const keys = Object.keys(objectSchema((route.body ?? {}) as JsonSchema).properties ?? {});
  const own = keys.length
    ? fc.dictionary(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 2 }), { maxKeys: keys.length })
    : fc.constant({});
  return fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }),
    own,
  );
}

function probes(op: OperationId, route: RouteDef): fc.Arbitrary<Probe> {
  const url = (id = 'probe-1') => route.url.replace(':id', id);
  const json = { 'content-type': 'application/json' };
  const base = VALID_BODY[op];
  const strange = base ? strangeText(objectSchema(route.body as JsonSchema), base) : [];
  return fc.oneof(
    ...(strange.length
      ? [
          fc.oneof(...strange).map((b) => ({
            kind: 'strange-text' as const,
            url: url(),
            headers: json,
            payload: JSON.stringify(b),
          })),
        ]
      : []),
    jsonBodies(route).map((b) => ({
      kind: 'json' as const,
      url: url(),
      headers: json,
      payload: JSON.stringify(b),
    })),
    queryString(route).map((q) => ({ kind: 'query' as const, url: `${url()}?${q}`, headers: {} })),
    // Routes without an id get a stray path segment instead: an unknown route must answer cleanly too.
    pathIds.map((id) => ({
      kind: 'path' as const,
      url: route.url.includes(':id') ? url(id) : `${route.url}/${id}`,
      headers: {},
    })),
    notJson.map((s) => ({ kind: 'not-json' as const, url: url(), headers: json, payload: s })),
    fc.tuple(otherTypes, fc.string({ maxLength: 40 })).map(([type, s]) => ({
      kind: 'content-type' as const,
      url: url(),
      headers: { 'content-type': type },
      payload: s,
    })),
  );
}

// ---------------------------------------------------------------------------------------------

const GROUPS = [...new Set(Object.values(ROUTES).map((r) => r.tag))];

describe.skipIf(!enabled)(`every route refuses malformed input cleanly (${TEST_DB})`, () => {
  describe.each(GROUPS)('%s routes', (tag) => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness();
    });
    afterAll(async () => {
      await h.close();
    });

    const routes = (Object.entries(ROUTES) as Array<[OperationId, RouteDef]>).filter(
      ([, r]) => r.tag === tag,
    );

    /** Logging out would end the shared admin session, so that route gets a session of its own. */
    const tokenFor = async (op: OperationId) => {
      if (op !== 'logout') return h.adminToken;
      const r = await h.api('POST', '/api/auth/login', undefined, {
        email: 'admin@example.com',
        password: 'admin-password-123',
        mode: 'token',
      });
      return r.body.token as string;
    };

    /** Sends one request; asserts no 5xx, the error shape, and that a refusal wrote nothing. */
    const send = async (op: OperationId, route: RouteDef, probe: Omit<Probe, 'kind'> & { kind: string }) => {
      const token = await tokenFor(op);
      const before: RowCounts = await rowCounts(h.store);
      const res = await h.app.inject({
        method: route.method,
        url: probe.url,
        headers: { ...probe.headers, authorization: `Bearer ${token}` },
        ...(probe.payload !== undefined && { payload: probe.payload }),
      } as InjectOptions);
      const context = `${route.method} ${probe.url.slice(0, 200)} [${probe.kind}] ${(probe.payload ?? '').slice(0, 200)} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
      expect(res.statusCode, context).toBeLessThan(500);
      if (res.statusCode < 400) return { res, body: null };
      const body = expectErrorBody(res.statusCode, res.body, context);
      if (res.statusCode === 400) {
        expect(body.code, context).toBe('QUELL_E_INPUT');
        if (body.details.problems !== undefined) {
          expect(body.message, context).toMatch(/^Invalid (body|querystring|params): \S/);
          expect(body.details.problems.length, context).toBeGreaterThan(0);
        }
      }
      expect(await rowCounts(h.store), `nothing written by a refused request: ${context}`).toEqual(before);
      return { res, body };
    };

    it.each(routes)(
      '%s answers random and malformed input without a 5xx or a half-write',
      async (op, route) => {
        const hasBody = route.body !== undefined;
        await fc.assert(
          fc.asyncProperty(probes(op, route), async (probe) => {
            const { res, body } = await send(op, route, probe);
            const context = `${probe.kind} ${probe.payload ?? probe.url}`;
            if (hasBody && probe.kind === 'not-json') {
              expect(res.statusCode, context).toBe(400);
              expect(body?.message, context).toMatch(/not valid JSON|body is empty/);
            }
            if (hasBody && probe.kind === 'content-type') {
              expect([400, 415], context).toContain(res.statusCode);
              expect(body?.code, context).toBe('QUELL_E_INPUT');
            }
            if (route.params && probe.kind === 'path' && res.statusCode === 400 && body?.details.problems)
              expect(body.message, context).toMatch(/^Invalid (params: params\.id |body: )/);
          }),
          { seed: SEED, numRuns: RANDOM_RUNS },
        );
      },
    );

    const withBody = routes.filter(([op]) => VALID_BODY[op] !== undefined);
    it.each(withBody)('%s refuses a valid body with one field wrong, naming the field', async (op, route) => {
      const base = VALID_BODY[op]!;
      const arbs = mutations(objectSchema(route.body as JsonSchema), base);
      expect(arbs.length).toBeGreaterThan(0);
      await fc.assert(
        fc.asyncProperty(fc.oneof(...arbs), async (m) => {
          const { res, body } = await send(op, route, {
            kind: `mutated: ${m.what}`,
            url: route.url.replace(':id', 'probe-1'),
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify(m.body),
          });
          expect(res.statusCode, m.what).toBe(400);
          expect(body?.message, m.what).toMatch(/^Invalid body: /);
          expect(body?.message, m.what).toContain(m.names);
        }),
        { seed: SEED, numRuns: MUTATION_RUNS },
      );
    });

    // Every route is probed: a route added to ROUTES without a valid body here is caught.
    if (tag === GROUPS[0]) {
      it('has a valid body for every route that takes one', () => {
        const missing = (Object.entries(ROUTES) as Array<[OperationId, RouteDef]>)
          .filter(([op, r]) => r.body !== undefined && VALID_BODY[op] === undefined)
          .map(([op]) => op);
        expect(missing).toEqual([]);
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Well-formed requests that make no sense: refused as a whole, with nothing of them stored.

interface SemanticCase {
  name: string;
  /** Prepares the database and returns the request; counts are taken after it. */
  setup(h: Harness): Promise<{ method: string; url: string; body: unknown; token?: string }>;
  status: number;
  message: RegExp;
}

const finding = (uid: string, first: number, last: number) => ({
  ...(VALID_BODY.ingestOcsf as object),
  finding_info: { uid, title: `Finding ${uid}`, first_seen_time: first, last_seen_time: last },
});

const SEMANTIC: SemanticCase[] = [
  {
    name: 'a batch of three alerts whose second ends before it starts',
    setup: async () => ({
      method: 'POST',
      url: '/api/alerts',
      body: {
        alerts: [
          alert({ id: 'ok-1' }),
          alert({ id: 'bad-2', at: T0 + HOUR, lastActivityAt: new Date(T0).toISOString() }),
          alert({ id: 'ok-3', entities: [{ kind: 'device', hostname: 'ws02' }] }),
        ],
      },
    }),
    status: 400,
    message: /alerts\[1\]\.lastActivityAt is before firstActivityAt/,
  },
  {
    // JavaScript dates end in the year 275760; an OCSF time past that is no time at all.
    name: 'a batch of three OCSF findings whose second has a time no date can hold',
    setup: async () => ({
      method: 'POST',
      url: '/api/alerts/ocsf',
      body: [
        finding('f-1', T0, T0),
        { ...finding('f-2', T0, T0), time: 9e15, finding_info: { uid: 'f-2', title: 'Far future' } },
        finding('f-3', T0, T0 + HOUR),
      ],
    }),
    status: 400,
    message: /time/,
  },
  {
    name: 'a user scoped to a device group that does not exist',
    setup: async () => ({
      method: 'POST',
      url: '/api/users',
      body: {
        email: 'scoped@example.com',
        role: 'analyst',
        password: 'a-long-password-123',
        deviceGroupIds: ['grp_nope'],
      },
    }),
    status: 404,
    message: /grp_nope/,
  },
  {
    name: 'a second user with an existing email in other case',
    setup: async () => ({
      method: 'POST',
      url: '/api/users',
      body: { email: 'ADMIN@example.com', role: 'viewer', password: 'a-long-password-123' },
    }),
    status: 409,
    message: /already exists/,
  },
  {
    name: 'an API token scoped to a device group that does not exist',
    setup: async () => ({
      method: 'POST',
      url: '/api/tokens',
      body: { name: 'ci', role: 'viewer', deviceGroupIds: ['grp_nope'] },
    }),
    status: 404,
    message: /grp_nope/,
  },
  {
    name: 'a merge whose sources include one unknown incident',
    setup: async (h) => {
      const ids = await ingestTwoIncidents(h);
      return {
        method: 'POST',
        url: `/api/incidents/${ids[0]}/merge`,
        body: { sourceIds: [ids[1], 'inc_nope'] },
      };
    },
    status: 404,
    message: /inc_nope/,
  },
  {
    name: 'an incident edit against a stale version',
    setup: async (h) => {
      const [id] = await ingestTwoIncidents(h);
      await h.api('PATCH', `/api/incidents/${id}`, h.adminToken, { version: 0, tags: ['first'] });
      return { method: 'PATCH', url: `/api/incidents/${id}`, body: { version: 0, title: 'Second writer' } };
    },
    status: 409,
    message: /./,
  },
  {
    name: 'an admin demoting themselves',
    setup: async (h) => {
      const me = (await h.api('GET', '/api/auth/me', h.adminToken)).body;
      return { method: 'PATCH', url: `/api/users/${me.id}`, body: { role: 'viewer' } };
    },
    status: 400,
    message: /cannot demote or disable yourself/,
  },
  {
    name: 'an action whose target is of the wrong kind',
    setup: async () => ({
      method: 'POST',
      url: '/api/actions',
      body: { type: 'isolate_device', target: { kind: 'identity', id: 'bob' } },
    }),
    status: 400,
    message: /./,
  },
  {
    name: 'a bulk approval under the two-person rule that includes the approver’s own action',
    setup: async (h) => {
      await h.api('PATCH', '/api/settings', h.adminToken, { twoPersonRule: true });
      const alice = await h.login('responder');
      const bob = await h.login('responder');
      const req = (token: string, host: string) =>
        h.api('POST', '/api/actions', token, {
          type: 'isolate_device',
          target: { kind: 'device', id: host },
        });
      const a = (await req(alice.token, 'ws01')).body;
      const b = (await req(bob.token, 'ws02')).body;
      expect([a.status, b.status]).toEqual(['pending_approval', 'pending_approval']);
      return {
        method: 'POST',
        url: '/api/actions/bulk/approve',
        body: { ids: [a.id, b.id] },
        token: bob.token,
      };
    },
    status: 403,
    message: /Two-person rule/,
  },
];

async function ingestTwoIncidents(h: Harness): Promise<[string, string]> {
  const r = await h.api('POST', '/api/alerts', h.adminToken, {
    alerts: [
      alert({ id: 'i-1' }),
      alert({ id: 'i-2', entities: [{ kind: 'device', hostname: 'far-away' }] }),
    ],
  });
  const ids = (r.body.results as Array<{ incidentId: string }>).map((x) => x.incidentId);
  expect(new Set(ids).size).toBe(2);
  return [ids[0]!, ids[1]!];
}

describe.skipIf(!enabled)(`well-formed but wrong requests are refused whole (${TEST_DB})`, () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it.each(SEMANTIC)('refuses $name and stores none of it', async (c) => {
    const req = await c.setup(h);
    const before = await rowCounts(h.store);
    const auditBefore = (await h.api('GET', '/api/audit?limit=1', h.adminToken)).body.items[0];
    const res = await h.api(req.method, req.url, req.token ?? h.adminToken, req.body);
    expect(res.status, JSON.stringify(res.body)).toBe(c.status);
    expectErrorBody(res.status, JSON.stringify(res.body), c.name);
    expect(res.body.message).toMatch(c.message);
    expect(await rowCounts(h.store)).toEqual(before);
    expect((await h.api('GET', '/api/audit?limit=1', h.adminToken)).body.items[0]).toEqual(auditBefore);
  });

  it('stores the good alerts of a refused batch once they are sent again on their own', async () => {
    const bad = await h.api('POST', '/api/alerts', h.adminToken, {
      alerts: [
        alert({ id: 'ok-1' }),
        alert({ id: 'bad-2', at: T0 + HOUR, lastActivityAt: new Date(T0).toISOString() }),
        alert({ id: 'ok-3' }),
      ],
    });
    expect(bad.status).toBe(400);
    const again = await h.api('POST', '/api/alerts', h.adminToken, {
      alerts: [alert({ id: 'ok-1' }), alert({ id: 'ok-3' })],
    });
    expect(again.status).toBe(200);
    // `created: true` shows the refused batch left no trace of these ids behind.
    expect(again.body.results.map((r: { created: boolean }) => r.created)).toEqual([true, true]);
  });

  it('leaves the other pending action of a refused bulk approval pending', async () => {
    const c = SEMANTIC.find((s) => s.name.startsWith('a bulk approval'))!;
    const req = await c.setup(h);
    await h.api(req.method, req.url, req.token, req.body);
    const ids = (req.body as { ids: string[] }).ids;
    for (const id of ids)
      expect((await h.api('GET', `/api/actions/${id}`, h.adminToken)).body.status).toBe('pending_approval');
  });
});

// Single examples of what the properties above found, so each shows up by name when it regresses.
describe.skipIf(!enabled)(`edge inputs found by the properties (${TEST_DB})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it.each([
    ['an id longer than the router allows', `/api/alerts/${'a'.repeat(101)}`],
    ['a path with broken percent-encoding', '/api/alerts/%zz'],
  ])('answers %s with a 4xx in the API’s error shape', async (_what, url) => {
    const res = await h.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${h.adminToken}` },
    });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expectErrorBody(res.statusCode, res.body, url);
  });

  // PostgreSQL text cannot hold U+0000; SQLite can. Either way the answer must not be a 500.
  it.each([
    ['an API token name', 'POST', '/api/tokens', { name: 'ci\u0000', role: 'viewer' }],
    [
      'a user name',
      'POST',
      '/api/users',
      { email: 'nul@example.com', name: 'n\u0000', role: 'viewer', password: 'a-long-password-123' },
    ],
    ['an alert title', 'POST', '/api/alerts', alert({ title: 'evil\u0000' })],
    [
      'an action target',
      'POST',
      '/api/actions',
      { type: 'isolate_device', target: { kind: 'device', id: 'ws\u0000' } },
    ],
    ['the incident search', 'GET', '/api/incidents?q=%00', undefined],
    ['the Action Center entity filter', 'GET', '/api/actions?entity=%00', undefined],
    ['the audit subject filter', 'GET', '/api/audit?subject=%00', undefined],
  ])('takes a NUL character in %s without a 5xx', async (_what, method, url, body) => {
    const before = await rowCounts(h.store);
    const res = await h.api(method, url, h.adminToken, body);
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
    if (res.status >= 400) expect(await rowCounts(h.store)).toEqual(before);
  });
});
