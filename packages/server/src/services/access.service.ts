import { createHash, randomBytes } from 'node:crypto';
import type {
  ApiToken,
  ApiTokenCreated,
  ApiTokenInput,
  Me,
  Session,
  User,
  UserInput,
  UserPatch,
} from '@quell/contracts';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  UnauthenticatedError,
  type Principal,
  type Role,
} from '@quell/core';
import { fromJson, iso, toApiToken, toJson, toUser, type UserRow } from '@quell/store';
import { audit, type ServiceContext } from './context.js';
import type { DeviceGroupService } from './device-group.service.js';
import { dummyHash, hashPassword, PASSWORD_COST, verifyPassword, type ScryptCost } from './password.js';

const HOUR = 3_600_000;
const DEFAULT_ADMIN_EMAIL = 'admin@quell.local';

export interface Authenticated {
  principal: Principal;
  sessionId: string | null;
  csrfToken: string | null;
  via: 'cookie' | 'bearer';
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function secret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** Users, sessions (console cookie or CLI token) and API tokens. Only hashes of secrets are stored. */
export class AccessService {
  /** Checked when the email is unknown, at the cost of a real hash. */
  private readonly dummyHash: string;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly deviceGroups: DeviceGroupService,
    private readonly sessionHours: number,
    private readonly passwordCost: ScryptCost = PASSWORD_COST,
  ) {
    this.dummyHash = dummyHash(passwordCost);
  }

  /** On an empty instance, creates the first admin; returns its credentials when it did. */
  async bootstrapAdmin(
    email: string | null,
    password: string | null,
  ): Promise<{ email: string; password: string; generated: boolean } | null> {
    if ((await this.ctx.store.access.userCount()) > 0) return null;
    const generated = password === null;
    const creds = {
      email: (email ?? DEFAULT_ADMIN_EMAIL).toLowerCase(),
      password: password ?? randomBytes(15).toString('base64url'),
    };
    const hash = await hashPassword(creds.password, this.passwordCost);
    await this.ctx.store.transaction(async (trx) => {
      await this.ctx.store.access.insertUser(trx, {
        id: this.ctx.ids.next('usr'),
        email: creds.email,
        name: 'Administrator',
        role: 'admin',
        device_group_ids: toJson([]),
        password_hash: hash,
        disabled: 0,
        created_at: this.ctx.clock.now(),
        last_login_at: null,
      });
      await audit(this.ctx, trx, 'Quell', 'user.created', creds.email, { role: 'admin', bootstrap: true });
    });
    return { ...creds, generated };
  }

  async login(
    email: string,
    password: string,
    mode: 'cookie' | 'token',
  ): Promise<Session & { secret: string }> {
    const row = await this.ctx.store.access.userByEmail(this.ctx.store.db, email);
    const ok = await verifyPassword(password, row?.password_hash ?? this.dummyHash);
    if (!row || !ok) throw new UnauthenticatedError('Wrong email or password.');
    if (row.disabled) throw new NotAllowedError('This account is disabled; ask an admin to enable it.');
    const now = this.ctx.clock.now();
    const token = secret('qs');
    const csrf = mode === 'cookie' ? randomBytes(24).toString('base64url') : null;
    const expiresAt = now + this.ctx_sessionMs();
    await this.ctx.store.transaction(async (trx) => {
      await this.ctx.store.access.insertSession(trx, {
        id: this.ctx.ids.next('ses'),
        token_hash: sha256(token),
        user_id: row.id,
        csrf_token: csrf,
        kind: mode,
        created_at: now,
        expires_at: expiresAt,
      });
      await this.ctx.store.access.updateUser(trx, row.id, { last_login_at: now });
      await audit(this.ctx, trx, row.email, 'user.login', row.email, { mode });
    });
    return {
      user: toUser({ ...row, last_login_at: now }),
      csrfToken: csrf,
      token: mode === 'token' ? token : null,
      expiresAt: iso(expiresAt),
      secret: token,
    };
  }

  private ctx_sessionMs(): number {
    return this.sessionHours * HOUR;
  }

  async logout(auth: Authenticated): Promise<void> {
    if (!auth.sessionId) return;
    const sessionId = auth.sessionId;
    await this.ctx.store.transaction(async (trx) => {
      await this.ctx.store.access.deleteSession(trx, sessionId);
      await audit(this.ctx, trx, auth.principal, 'user.logout', auth.principal.name);
    });
  }

  /** Resolves a bearer or cookie secret to a principal, or throws UnauthenticatedError. */
  async authenticate(secretValue: string, via: 'cookie' | 'bearer'): Promise<Authenticated> {
    const now = this.ctx.clock.now();
    const hash = sha256(secretValue);
    if (secretValue.startsWith('qt_') && via === 'bearer') {
      const t = await this.ctx.store.access.tokenByHash(hash);
      if (!t || t.revoked_at !== null)
        throw new UnauthenticatedError('This API token is unknown or revoked; create a new one.');
      if (t.expires_at !== null && t.expires_at <= now)
        throw new UnauthenticatedError('This API token has expired; create a new one.');
      if (t.last_used_at === null || now - t.last_used_at > 60_000) {
        await this.ctx.store.access.updateToken(this.ctx.store.db, t.id, { last_used_at: now });
      }
      return {
        principal: {
          kind: 'token',
          id: t.id,
          name: t.name,
          role: t.role as Role,
          deviceGroupIds: fromJson<string[]>(t.device_group_ids, []),
        },
        sessionId: null,
        csrfToken: null,
        via,
      };
    }
    const s = await this.ctx.store.access.sessionByHash(hash);
    if (!s || s.expires_at <= now) throw new UnauthenticatedError('Your session has ended; log in again.');
    if ((s.kind === 'cookie') !== (via === 'cookie'))
      throw new UnauthenticatedError('This session cannot be used this way; log in again.');
    const u = await this.ctx.store.access.user(this.ctx.store.db, s.user_id);
    if (!u || u.disabled) throw new UnauthenticatedError('This account is disabled or gone; ask an admin.');
    return {
      principal: {
        kind: 'user',
        id: u.id,
        name: u.email,
        role: u.role as Role,
        deviceGroupIds: fromJson<string[]>(u.device_group_ids, []),
      },
      sessionId: s.id,
      csrfToken: s.csrf_token,
      via,
    };
  }

  me(auth: Authenticated): Me {
    const p = auth.principal;
    return {
      kind: p.kind === 'token' ? 'token' : 'user',
      id: p.id,
      name: p.name,
      role: p.role,
      deviceGroupIds: [...p.deviceGroupIds],
      csrfToken: auth.csrfToken,
    };
  }

  async users(): Promise<User[]> {
    return (await this.ctx.store.access.users()).map(toUser);
  }

  async createUser(principal: Principal, input: UserInput): Promise<User> {
    const email = input.email.toLowerCase();
    const hash = await hashPassword(input.password, this.passwordCost);
    const row: UserRow = {
      id: this.ctx.ids.next('usr'),
      email,
      name: input.name ?? email.split('@')[0] ?? email,
      role: input.role,
      device_group_ids: toJson(input.deviceGroupIds ?? []),
      password_hash: hash,
      disabled: 0,
      created_at: this.ctx.clock.now(),
      last_login_at: null,
    };
    await this.ctx.store.transaction(async (trx) => {
      if (await this.ctx.store.access.userByEmail(trx, email))
        throw new ConflictError(`A user ${email} already exists.`, { email });
      await this.deviceGroups.assertExist(trx, input.deviceGroupIds ?? []);
      await this.ctx.store.access.insertUser(trx, row);
      await audit(this.ctx, trx, principal, 'user.created', email, {
        role: input.role,
        deviceGroupIds: input.deviceGroupIds ?? [],
      });
    });
    return toUser(row);
  }

  async patchUser(principal: Principal, id: string, patch: UserPatch): Promise<User> {
    const hash =
      patch.password !== undefined ? await hashPassword(patch.password, this.passwordCost) : undefined;
    await this.ctx.store.transaction(async (trx) => {
      const row = await this.ctx.store.access.user(trx, id);
      if (!row) throw new NotFoundError(`No user ${id}.`, { id });
      if (
        id === principal.id &&
        ((patch.role !== undefined && patch.role !== 'admin') || patch.disabled === true)
      ) {
        throw new InputError('You cannot demote or disable yourself; ask another admin.', { id });
      }
      if (patch.deviceGroupIds) await this.deviceGroups.assertExist(trx, patch.deviceGroupIds);
      await this.ctx.store.access.updateUser(trx, id, {
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.role !== undefined && { role: patch.role }),
        ...(patch.deviceGroupIds !== undefined && { device_group_ids: toJson(patch.deviceGroupIds) }),
        ...(patch.disabled !== undefined && { disabled: patch.disabled ? 1 : 0 }),
        ...(hash !== undefined && { password_hash: hash }),
      });
      // A new password or a lost account ends the user's sessions everywhere.
      if (hash !== undefined || patch.disabled === true || patch.role !== undefined)
        await this.ctx.store.access.deleteSessionsOf(trx, id);
      const { password: _omit, ...logged } = patch;
      void _omit;
      await audit(this.ctx, trx, principal, 'user.changed', row.email, {
        ...logged,
        passwordChanged: hash !== undefined,
      });
    });
    const row = await this.ctx.store.access.user(this.ctx.store.db, id);
    return toUser(row!);
  }

  async tokens(): Promise<ApiToken[]> {
    return (await this.ctx.store.access.tokens()).map(toApiToken);
  }

  async createToken(principal: Principal, input: ApiTokenInput): Promise<ApiTokenCreated> {
    const value = secret('qt');
    const now = this.ctx.clock.now();
    const row = {
      id: this.ctx.ids.next('tok'),
      name: input.name,
      token_hash: sha256(value),
      role: input.role,
      device_group_ids: toJson(input.deviceGroupIds ?? []),
      created_by: principal.name,
      created_at: now,
      expires_at: input.expiresInDays ? now + input.expiresInDays * 24 * HOUR : null,
      last_used_at: null,
      revoked_at: null,
    };
    await this.ctx.store.transaction(async (trx) => {
      await this.deviceGroups.assertExist(trx, input.deviceGroupIds ?? []);
      await this.ctx.store.access.insertToken(trx, row);
      await audit(this.ctx, trx, principal, 'token.created', row.id, { name: input.name, role: input.role });
    });
    return { ...toApiToken(row), secret: value };
  }

  async revokeToken(principal: Principal, id: string): Promise<void> {
    await this.ctx.store.transaction(async (trx) => {
      const t = await this.ctx.store.access.token(trx, id);
      if (!t || t.revoked_at !== null) throw new NotFoundError(`No active API token ${id}.`, { id });
      await this.ctx.store.access.updateToken(trx, id, { revoked_at: this.ctx.clock.now() });
      await audit(this.ctx, trx, principal, 'token.revoked', id, { name: t.name });
    });
  }
}
