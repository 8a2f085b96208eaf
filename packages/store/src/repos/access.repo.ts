import type { ApiToken, User } from '@quell/contracts';
import type { Role } from '@quell/core';
import type { DatabaseHandle, Tx } from '../database.js';
import type { ApiTokensTable, SessionsTable, UsersTable } from '../schema/database.js';
import { fromJson, iso, isoOrNull } from '../json.js';

export type UserRow = UsersTable;
export type SessionRow = SessionsTable;
export type ApiTokenRow = ApiTokensTable;

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role as Role,
    deviceGroupIds: fromJson<string[]>(r.device_group_ids, []),
    disabled: r.disabled === 1,
    createdAt: iso(r.created_at),
    lastLoginAt: isoOrNull(r.last_login_at),
  };
}

export function toApiToken(r: ApiTokenRow): ApiToken {
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    deviceGroupIds: fromJson<string[]>(r.device_group_ids, []),
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    expiresAt: isoOrNull(r.expires_at),
    lastUsedAt: isoOrNull(r.last_used_at),
  };
}

/** Users, console/CLI sessions and API tokens. Secrets are stored only as hashes. */
export class AccessRepo {
  constructor(private readonly h: DatabaseHandle) {}

  async userCount(): Promise<number> {
    const r = await this.h.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
  async users(): Promise<UserRow[]> {
    return this.h.db.selectFrom('users').selectAll().orderBy('email').execute();
  }
  async user(trx: Tx, id: string): Promise<UserRow | undefined> {
    return trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }
  async userByEmail(trx: Tx, email: string): Promise<UserRow | undefined> {
    return trx.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
  }
  async insertUser(trx: Tx, row: UserRow): Promise<void> {
    await trx.insertInto('users').values(row).execute();
  }
  async updateUser(trx: Tx, id: string, values: Partial<UserRow>): Promise<void> {
    await trx.updateTable('users').set(values).where('id', '=', id).execute();
  }

  async insertSession(trx: Tx, row: SessionRow): Promise<void> {
    await trx.insertInto('sessions').values(row).execute();
  }
  async sessionByHash(tokenHash: string): Promise<SessionRow | undefined> {
    return this.h.db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
  }
  async deleteSession(trx: Tx, id: string): Promise<void> {
    await trx.deleteFrom('sessions').where('id', '=', id).execute();
  }
  async deleteSessionsOf(trx: Tx, userId: string): Promise<void> {
    await trx.deleteFrom('sessions').where('user_id', '=', userId).execute();
  }
  async deleteExpiredSessions(now: number): Promise<void> {
    await this.h.db.deleteFrom('sessions').where('expires_at', '<', now).execute();
  }

  async tokens(): Promise<ApiTokenRow[]> {
    return this.h.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('revoked_at', 'is', null)
      .orderBy('created_at', 'desc')
      .execute();
  }
  async token(trx: Tx, id: string): Promise<ApiTokenRow | undefined> {
    return trx.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  }
  async tokenByHash(tokenHash: string): Promise<ApiTokenRow | undefined> {
    return this.h.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
  }
  async insertToken(trx: Tx, row: ApiTokenRow): Promise<void> {
    await trx.insertInto('api_tokens').values(row).execute();
  }
  async updateToken(trx: Tx, id: string, values: Partial<ApiTokenRow>): Promise<void> {
    await trx.updateTable('api_tokens').set(values).where('id', '=', id).execute();
  }
}
