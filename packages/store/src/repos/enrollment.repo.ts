import type { EnrollmentToken } from '@quell/contracts';
import type { DatabaseHandle, Tx } from '../database.js';
import type { EnrollmentTokensTable } from '../schema/database.js';
import { fromJson, iso, isoOrNull } from '../json.js';

export type EnrollmentTokenRow = EnrollmentTokensTable;

/** The token's state at `now`: used and revoked win over expired, so history reads right. */
export function enrollmentTokenStatus(r: EnrollmentTokenRow, now: number): EnrollmentToken['status'] {
  if (r.used_at !== null) return 'used';
  if (r.revoked_at !== null) return 'revoked';
  if (r.expires_at <= now) return 'expired';
  return 'active';
}

export function toEnrollmentToken(r: EnrollmentTokenRow, now: number): EnrollmentToken {
  return {
    id: r.id,
    label: r.label,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    expiresAt: iso(r.expires_at),
    usedAt: isoOrNull(r.used_at),
    usedByDeviceId: r.used_by_device_id,
    revokedAt: isoOrNull(r.revoked_at),
    deviceGroupId: r.device_group_id,
    tags: fromJson<string[]>(r.tags, []),
    status: enrollmentTokenStatus(r, now),
  };
}

/** Single-use agent enrollment tokens, stored by the hash of their secret. */
export class EnrollmentRepo {
  constructor(private readonly h: DatabaseHandle) {}

  async insert(trx: Tx, row: EnrollmentTokenRow): Promise<void> {
    await trx.insertInto('enrollment_tokens').values(row).execute();
  }

  async get(trx: Tx, id: string): Promise<EnrollmentTokenRow | undefined> {
    return trx.selectFrom('enrollment_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async byHash(trx: Tx, tokenHash: string): Promise<EnrollmentTokenRow | undefined> {
    return trx
      .selectFrom('enrollment_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
  }

  /** Newest first. */
  async list(limit = 500): Promise<EnrollmentTokenRow[]> {
    return this.h.db
      .selectFrom('enrollment_tokens')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /**
   * Marks the token used by `deviceId` only if it is still unused, unrevoked and unexpired, in
   * one conditional UPDATE: of several concurrent enrollments with one token exactly one wins
   * (true); the others see false and must write nothing.
   */
  async claim(trx: Tx, id: string, deviceId: string, now: number): Promise<boolean> {
    const res = await trx
      .updateTable('enrollment_tokens')
      .set({ used_at: now, used_by_device_id: deviceId })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Revokes an unused, unrevoked token; false when it was used or revoked already. */
  async revoke(trx: Tx, id: string, now: number): Promise<boolean> {
    const res = await trx
      .updateTable('enrollment_tokens')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}
