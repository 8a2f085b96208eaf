import type { DatabaseHandle, Tx } from '../database.js';

/** Names of the keys the server keeps in the database, so every instance uses the same ones. */
export const SERVER_KEY_NAMES = ['agent_tls_key', 'agent_tls_cert', 'command_signing_key'] as const;
export type ServerKeyName = (typeof SERVER_KEY_NAMES)[number];

/** Server-wide key material (PEM text), written once and then only read. */
export class ServerKeyRepo {
  constructor(private readonly h: DatabaseHandle) {}

  async get(name: ServerKeyName, trx: Tx = this.h.db): Promise<string | undefined> {
    const row = await trx
      .selectFrom('server_keys')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirst();
    return row?.value;
  }

  /**
   * Stores `value` unless the key exists, then returns what is stored: when two instances start
   * together and both generate a key, both end up using the one that landed first.
   */
  async insertIfAbsent(
    name: ServerKeyName,
    value: string,
    now: number,
    trx: Tx = this.h.db,
  ): Promise<string> {
    await trx
      .insertInto('server_keys')
      .values({ name, value, created_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const stored = await this.get(name, trx);
    if (stored === undefined) throw new Error(`server key ${name} missing right after it was written`);
    return stored;
  }
}
