import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROUTES } from '@quell/contracts';
import { buildApp } from '@quell/server';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import { createHarness, HOUR, postgresAvailable, TEST_DB, type Harness } from './harness.js';
import { expectErrorBody } from './probes.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());

const ADMIN = { email: 'admin@example.com', password: 'admin-password-123' };

describe.skipIf(!enabled)(`access (${TEST_DB})`, () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const login = (body: Record<string, unknown>) =>
    h.app.inject({ method: 'POST', url: '/api/auth/login', payload: body });

  /** Logs in as the console does and returns the session cookie and its CSRF token. */
  async function consoleLogin() {
    const res = await login({ ...ADMIN, mode: 'cookie' });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'quell_session');
    const body = res.json<{ csrfToken: string | null; token: string | null }>();
    return { res, cookie, body };
  }

  describe('console sessions', () => {
    it('sets an HttpOnly, SameSite=Strict session cookie and keeps the secret out of the body', async () => {
      const { cookie, body } = await consoleLogin();
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
      expect(cookie?.value).toMatch(/^qs_/);
      expect(body.token).toBeNull();
      expect(body.csrfToken).toEqual(expect.any(String));
      expect(JSON.stringify(body)).not.toContain(cookie!.value);
    });

    it('reads who is logged in with the cookie alone', async () => {
      const { cookie, body } = await consoleLogin();
      const me = await h.app.inject({
        method: 'GET',
        url: '/api/auth/me',
        cookies: { quell_session: cookie!.value },
      });
      expect(me.statusCode).toBe(200);
      expect(me.json()).toMatchObject({
        kind: 'user',
        name: ADMIN.email,
        role: 'admin',
        csrfToken: body.csrfToken,
      });
    });

    it('refuses a cookie write without the CSRF token, or with a wrong one, and accepts the right one', async () => {
      const { cookie, body } = await consoleLogin();
      const patch = (headers: Record<string, string>) =>
        h.app.inject({
          method: 'PATCH',
          url: '/api/settings',
          cookies: { quell_session: cookie!.value },
          headers,
          payload: { twoPersonRule: true },
        });
      const wrong: Array<Record<string, string>> = [
        {},
        { 'x-csrf-token': 'not-the-token' },
        { 'x-csrf-token': '' },
      ];
      for (const headers of wrong) {
        const refused = await patch(headers);
        expect(refused.statusCode).toBe(403);
        expect(expectErrorBody(403, refused.body, 'csrf').message).toMatch(/x-csrf-token/);
      }
      expect((await h.api('GET', '/api/settings', h.adminToken)).body.twoPersonRule).toBe(false);
      const ok = await patch({ 'x-csrf-token': body.csrfToken! });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toMatchObject({ twoPersonRule: true });
    });

    it('does not take a console session as a bearer token, nor a CLI token as a cookie', async () => {
      const { cookie } = await consoleLogin();
      expect((await h.api('GET', '/api/auth/me', cookie!.value)).status).toBe(401);
      const asCookie = await h.app.inject({
        method: 'GET',
        url: '/api/auth/me',
        cookies: { quell_session: h.adminToken },
      });
      expect(asCookie.statusCode).toBe(401);
    });
  });

  describe('logging in and out', () => {
    it('gives the same answer for a wrong password and an unknown email', async () => {
      const wrongPassword = await login({ email: ADMIN.email, password: 'not-the-password' });
      const unknownEmail = await login({ email: 'nobody@example.com', password: 'not-the-password' });
      expect(wrongPassword.statusCode).toBe(401);
      expect(unknownEmail.statusCode).toBe(401);
      expect(wrongPassword.json()).toEqual(unknownEmail.json());
      expect(wrongPassword.json()).toMatchObject({
        code: 'QUELL_E_UNAUTHENTICATED',
        message: 'Wrong email or password.',
      });
    });

    it('does not let a disabled user log in, and ends the sessions they had', async () => {
      const { token, principal } = await h.login('analyst');
      const off = await h.api('PATCH', `/api/users/${principal.id}`, h.adminToken, { disabled: true });
      expect(off.status).toBe(200);
      const res = await login({ email: principal.name, password: 'user-password-123', mode: 'token' });
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toMatch(/disabled/);
      expect((await h.api('GET', '/api/auth/me', token)).status).toBe(401);
    });

    it('ends the session on logout: the token stops working', async () => {
      const { token } = await h.login('viewer');
      expect((await h.api('GET', '/api/auth/me', token)).status).toBe(200);
      expect((await h.api('POST', '/api/auth/logout', token)).body).toEqual({ ok: true });
      const after = await h.api('GET', '/api/auth/me', token);
      expect(after.status).toBe(401);
      expect(after.body.code).toBe('QUELL_E_UNAUTHENTICATED');
    });

    it('clears the cookie on a console logout and no longer accepts it', async () => {
      const { cookie, body } = await consoleLogin();
      const out = await h.app.inject({
        method: 'POST',
        url: '/api/auth/logout',
        cookies: { quell_session: cookie!.value },
        headers: { 'x-csrf-token': body.csrfToken! },
      });
      expect(out.statusCode).toBe(200);
      const cleared = out.cookies.find((c) => c.name === 'quell_session');
      expect(cleared?.value).toBe('');
      const me = await h.app.inject({
        method: 'GET',
        url: '/api/auth/me',
        cookies: { quell_session: cookie!.value },
      });
      expect(me.statusCode).toBe(401);
    });

    it('ends a session when it expires', async () => {
      const { token } = await h.login('viewer');
      h.clock.advance(12 * HOUR + 1);
      expect((await h.api('GET', '/api/auth/me', token)).status).toBe(401);
    });

    it('answers the fourth login attempt within a minute with 429', async () => {
      const app = await buildApp({ services: h.services, version: 'test', loginRateLimit: 3 });
      await app.ready();
      try {
        const attempt = () =>
          app.inject({
            method: 'POST',
            url: '/api/auth/login',
            payload: { email: ADMIN.email, password: 'guess-guess' },
          });
        for (let i = 0; i < 3; i++) expect((await attempt()).statusCode).toBe(401);
        const limited = await attempt();
        expect(limited.statusCode).toBe(429);
        expect(expectErrorBody(429, limited.body, 'rate limit')).toMatchObject({
          code: 'QUELL_E_RATE_LIMITED',
        });
        // The right password does not get past the limit either.
        const right = await app.inject({ method: 'POST', url: '/api/auth/login', payload: ADMIN });
        expect(right.statusCode).toBe(429);
      } finally {
        await app.close();
      }
    });
  });

  describe('API tokens', () => {
    const create = (token: string, body: Record<string, unknown>) =>
      h.api('POST', '/api/tokens', token, body);

    it('shows the secret once and stores only its hash', async () => {
      const res = await create(h.adminToken, { name: 'siem', role: 'analyst' });
      expect(res.status).toBe(201);
      const secret = res.body.secret as string;
      expect(secret).toMatch(/^qt_[A-Za-z0-9_-]{40,}$/);
      const listed = await h.api('GET', '/api/tokens', h.adminToken);
      expect(JSON.stringify(listed.body)).not.toContain(secret);
      expect(listed.body.items).toEqual([
        expect.objectContaining({ id: res.body.id, name: 'siem', role: 'analyst' }),
      ]);
      const rows = await h.store.db.selectFrom('api_tokens').selectAll().execute();
      expect(rows).toHaveLength(1);
      for (const value of Object.values(rows[0]!)) expect(String(value)).not.toContain(secret.slice(3));
      expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
      const me = await h.api('GET', '/api/auth/me', secret);
      expect(me.body).toMatchObject({ kind: 'token', name: 'siem', role: 'analyst' });
    });

    it('stops a revoked token working', async () => {
      const t = (await create(h.adminToken, { name: 'old', role: 'viewer' })).body;
      expect((await h.api('GET', '/api/auth/me', t.secret)).status).toBe(200);
      expect((await h.api('DELETE', `/api/tokens/${t.id}`, h.adminToken)).status).toBe(200);
      const after = await h.api('GET', '/api/auth/me', t.secret);
      expect(after.status).toBe(401);
      expect(after.body.message).toMatch(/revoked/);
      expect((await h.api('DELETE', `/api/tokens/${t.id}`, h.adminToken)).status).toBe(404);
    });

    it('stops a token working once it expires', async () => {
      const t = (await create(h.adminToken, { name: 'short', role: 'viewer', expiresInDays: 1 })).body;
      h.clock.advance(24 * HOUR - 1000);
      expect((await h.api('GET', '/api/auth/me', t.secret)).status).toBe(200);
      h.clock.advance(1000);
      const after = await h.api('GET', '/api/auth/me', t.secret);
      expect(after.status).toBe(401);
      expect(after.body.message).toMatch(/expired/);
    });

    it('does not let a viewer token create tokens', async () => {
      const viewer = await h.services.access.createToken(SYSTEM_PRINCIPAL, { name: 'ro', role: 'viewer' });
      const res = await create(viewer.secret, { name: 'escalate', role: 'admin' });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({
        code: 'QUELL_E_NOT_ALLOWED',
        details: { permission: 'tokens:manage' },
      });
      expect(await h.store.db.selectFrom('api_tokens').select('name').execute()).toEqual([{ name: 'ro' }]);
    });
  });

  describe('passwords', () => {
    it('stores passwords as scrypt hashes, never in clear, nor in the audit log', async () => {
      const created = await h.api('POST', '/api/users', h.adminToken, {
        email: 'carol@example.com',
        role: 'analyst',
        password: 'carol-first-password',
      });
      expect(created.status).toBe(201);
      expect(JSON.stringify(created.body)).not.toMatch(/password/i);
      const changed = await h.api('PATCH', `/api/users/${created.body.id}`, h.adminToken, {
        password: 'carol-second-password',
      });
      expect(changed.status).toBe(200);
      const users = await h.store.db.selectFrom('users').select(['email', 'password_hash']).execute();
      expect(users).toHaveLength(2);
      for (const u of users) {
        expect(u.password_hash).toMatch(/^scrypt\$/);
        for (const p of [ADMIN.password, 'carol-first-password', 'carol-second-password'])
          expect(u.password_hash).not.toContain(p);
      }
      const rows = await h.store.db.selectFrom('audit_log').selectAll().execute();
      const audit = JSON.stringify(rows);
      expect(audit).not.toContain('carol-first-password');
      expect(audit).not.toContain('carol-second-password');
      const change = rows.find((r) => r.event === 'user.changed');
      expect(JSON.parse(change!.data)).toMatchObject({ passwordChanged: true });
      const relogin = await login({
        email: 'carol@example.com',
        password: 'carol-second-password',
        mode: 'token',
      });
      expect(relogin.statusCode).toBe(200);
    });
  });

  describe('the audit log', () => {
    /** Some ordinary activity, so the chain has a few links. */
    async function activity() {
      await h.login('analyst');
      await h.api('POST', '/api/tokens', h.adminToken, { name: 'ci', role: 'viewer' });
      await h.api('PATCH', '/api/settings', h.adminToken, { twoPersonRule: true });
      const n = await h.store.db
        .selectFrom('audit_log')
        .select(({ fn }) => fn.countAll<number>().as('n'))
        .executeTakeFirst();
      expect(Number(n?.n)).toBeGreaterThanOrEqual(5);
      return Number(n?.n);
    }
    const verify = async () => {
      const res = await h.api('POST', '/api/audit/verify', h.adminToken);
      expect(res.status).toBe(200);
      return res.body;
    };

    it('verifies intact after activity', async () => {
      const before = await activity();
      // The login behind adminToken is in the log too, and verifying is itself not audited.
      expect(await verify()).toEqual({ ok: true, checked: before, firstBadSeq: null, problem: null });
    });

    it('finds an entry edited in the database', async () => {
      await activity();
      await h.store.db
        .updateTable('audit_log')
        .set({ data: '{"role":"viewer"}' })
        .where('seq', '=', 2)
        .execute();
      expect(await verify()).toMatchObject({
        ok: false,
        checked: 1,
        firstBadSeq: 2,
        problem: expect.stringMatching(/altered/),
      });
    });

    it('finds an entry deleted from the database', async () => {
      await activity();
      await h.store.db.deleteFrom('audit_log').where('seq', '=', 3).execute();
      expect(await verify()).toMatchObject({
        ok: false,
        firstBadSeq: 3,
        problem: expect.stringMatching(/missing/),
      });
    });

    it('finds the newest entry rewritten, where no later hash would give it away', async () => {
      const n = await activity();
      await h.store.db.updateTable('audit_log').set({ actor: 'someone-else' }).where('seq', '=', n).execute();
      expect(await verify()).toMatchObject({ ok: false, firstBadSeq: n });
    });

    it('is for admins only', async () => {
      const analyst = await h.login('analyst');
      for (const [method, url] of [
        ['GET', '/api/audit'],
        ['POST', '/api/audit/verify'],
      ] as const) {
        const res = await h.api(method, url, analyst.token);
        expect(res.status).toBe(403);
        expect(res.body.details).toEqual({ permission: 'audit:read' });
      }
      expect((await h.api('GET', '/api/audit', h.adminToken)).status).toBe(200);
    });
  });

  describe('public endpoints', () => {
    it('serves Prometheus metrics with the request counter', async () => {
      await h.api('GET', '/api/health');
      const res = await h.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toMatch(/^# TYPE quell_http_requests_total counter$/m);
      expect(res.body).toMatch(/^quell_http_requests_total\{[^}]*\} \d+/m);
    });

    it('describes every route in an OpenAPI 3 document', async () => {
      const res = await h.app.inject({ method: 'GET', url: '/api/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json<{
        openapi: string;
        paths: Record<string, Record<string, { operationId?: string }>>;
      }>();
      expect(doc.openapi).toMatch(/^3\./);
      for (const [op, route] of Object.entries(ROUTES)) {
        const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
        expect(doc.paths[path], path).toBeDefined();
        expect(doc.paths[path]?.[route.method.toLowerCase()]?.operationId, `${route.method} ${path}`).toBe(
          op,
        );
      }
    });

    it('answers health without a login', async () => {
      const res = await h.api('GET', '/api/health');
      expect(res).toEqual({
        status: 200,
        body: { status: 'ok', version: 'test', database: h.store.dialect },
      });
    });

    it('asks for a login on everything else', async () => {
      for (const route of Object.values(ROUTES).filter((r) => r.auth !== 'public')) {
        const res = await h.app.inject({ method: route.method, url: route.url.replace(':id', 'x1') });
        expect(res.statusCode, `${route.method} ${route.url}`).toBe(401);
      }
    });
  });
});
