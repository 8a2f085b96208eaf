import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import type { AlertInput } from '@quell/contracts';
import { SYSTEM_PRINCIPAL, type Principal, type Role } from '@quell/core';
import { createStore, type DatabaseConfig, type Store } from '@quell/store';
import { buildApp, createIds, createServices, ManualClock, type Services } from '@quell/server';

/** The database the integration suite runs on, chosen per vitest project (QUELL_TEST_DB). */
export const TEST_DB = (process.env.QUELL_TEST_DB ?? 'sqlite') as 'sqlite' | 'postgres';
export const PG_ADMIN_URL = process.env.QUELL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let pgChecked: Promise<boolean> | null = null;
/** Whether PostgreSQL answers. In CI a missing PostgreSQL fails the suite instead of skipping it. */
export function postgresAvailable(): Promise<boolean> {
  pgChecked ??= (async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.end();
      return true;
    } catch (e) {
      if (process.env.CI)
        throw new Error(`PostgreSQL is required in CI but not reachable at ${PG_ADMIN_URL}: ${String(e)}`);
      console.warn(
        `PostgreSQL not reachable at ${PG_ADMIN_URL}; the integration-postgres project is skipped here (it runs in CI).`,
      );
      return false;
    }
  })();
  return pgChecked;
}

/** A fresh, empty database for one test: a temp SQLite file, or a new PostgreSQL database. */
export async function freshDatabase(): Promise<{ config: DatabaseConfig; drop: () => Promise<void> }> {
  if (TEST_DB === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'quell-it-'));
    return {
      config: { kind: 'sqlite', file: join(dir, 'quell.db') },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `quell_t_${randomBytes(6).toString('hex')}`;
  // A copy of the run's migrated template (support/pg-template.global.ts) when there is one.
  const template = inject('pgTemplate');
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}${template ? ` template ${template}` : ''}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    config: { kind: 'postgres', url: url.toString(), poolSize: 4 },
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** scrypt at N=2^10: the same code path as production, at 1/32 of its cost. */
const TEST_PASSWORD_COST = { N: 2 ** 10, r: 8, p: 1 };

export const T0 = Date.parse('2026-06-01T08:00:00Z');

export interface Harness {
  store: Store;
  services: Services;
  clock: ManualClock;
  app: FastifyInstance;
  /** Bearer token of the first admin. */
  adminToken: string;
  /** Creates a user with a role (and scope) and returns a bearer token for it. */
  login(role: Role, deviceGroupIds?: string[]): Promise<{ token: string; principal: Principal }>;
  /** Calls the API as `token`; returns status and parsed JSON body. */
  api(method: string, url: string, token?: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

let userSeq = 0;

/** A whole server (services + HTTP app) on a fresh database with a hand-driven clock. */
export async function createHarness(
  opts: { env?: NodeJS.ProcessEnv; retryBaseMs?: number } = {},
): Promise<Harness> {
  const db = await freshDatabase();
  const store = await createStore(db.config);
  const clock = new ManualClock(T0);
  const services = createServices(
    { store, clock, ids: createIds(clock), log: pino({ level: 'silent' }) },
    // Cheap password hashes: each harness hashes and checks several (admin, login, users), which at
    // the production cost was much of the suite's CPU. services/password.test.ts covers the real cost.
    { env: opts.env ?? {}, retryBaseMs: opts.retryBaseMs ?? 1000, passwordCost: TEST_PASSWORD_COST },
  );
  await services.deviceGroups.ensureDefaults();
  await services.access.bootstrapAdmin('admin@example.com', 'admin-password-123');
  // Errors (500s) are logged so a failing test shows why; nothing else is.
  const app = await buildApp({
    services,
    version: 'test',
    loginRateLimit: 1000,
    logger: pino({ level: 'error' }),
  });
  await app.ready();
  const api: Harness['api'] = async (method, url, token, body) => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { payload: JSON.stringify(body) }),
    });
    let parsed: unknown = res.body;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      // Not JSON (CSV, HTML): return the text.
    }
    return { status: res.statusCode, body: parsed };
  };
  const tokenFor = async (email: string, password: string) => {
    const r = await api('POST', '/api/auth/login', undefined, { email, password, mode: 'token' });
    if (r.status !== 200) throw new Error(`login failed: ${JSON.stringify(r.body)}`);
    return r.body.token as string;
  };
  const adminToken = await tokenFor('admin@example.com', 'admin-password-123');
  return {
    store,
    services,
    clock,
    app,
    adminToken,
    api,
    async login(role, deviceGroupIds = []) {
      const email = `${role}${++userSeq}@example.com`;
      const user = await services.access.createUser(SYSTEM_PRINCIPAL, {
        email,
        role,
        password: 'user-password-123',
        deviceGroupIds,
      });
      const token = await tokenFor(email, 'user-password-123');
      return { token, principal: { kind: 'user', id: user.id, name: email, role, deviceGroupIds } };
    },
    async close() {
      await app.close();
      await store.close();
      await db.drop();
    },
  };
}

/** A valid alert with overridable fields, for building scenarios. */
export function alert(over: Partial<AlertInput> & { at?: number } = {}): AlertInput {
  const { at, ...rest } = over;
  return {
    title: 'Suspicious process',
    severity: 'medium',
    category: 'Execution',
    detectionSource: 'test',
    firstActivityAt: new Date(at ?? T0).toISOString(),
    entities: [{ kind: 'device', hostname: 'ws01' }],
    ...rest,
  };
}

export const HOUR = 3_600_000;
