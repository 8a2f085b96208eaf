import type { DatabaseHandle, Tx } from '../database.js';
import type { BlobsTable } from '../schema/database.js';

export type BlobRow = BlobsTable;

/** Index of content-addressed blobs; the bytes live in the blob store's files. */
export class BlobRepo {
  constructor(private readonly h: DatabaseHandle) {}

  /** Idempotent: the same content put twice is one row. */
  async insert(trx: Tx, row: BlobRow): Promise<void> {
    await trx
      .insertInto('blobs')
      .values(row)
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute();
  }

  async get(sha256: string, trx: Tx = this.h.db): Promise<BlobRow | undefined> {
    return trx.selectFrom('blobs').selectAll().where('sha256', '=', sha256).executeTakeFirst();
  }
}
