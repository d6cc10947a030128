import type { Kysely } from 'kysely';
import type { HeldUploadRecord } from '../domain/contact-import.js';
import { importOptionsOf, importOptionsText } from './contact-import-repository.js';
import type { Database, HeldContactUploadTable } from './schema.js';

/** The portal's previewed CSV files; satisfies `HeldUploadStore`. */
export class SqlHeldUploadRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async hold(upload: HeldUploadRecord, maxTotalBytes: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('held_contact_uploads').where('expires_at', '<=', upload.createdAt).execute();
      await trx.deleteFrom('held_contact_uploads').where('owner_hash', '=', upload.ownerHash).execute();
      await trx.insertInto('held_contact_uploads').values(toRow(upload)).execute();
      // The new file counts first (it is kept whatever its size), then the others from the newest.
      const others = await trx
        .selectFrom('held_contact_uploads')
        .select(['id_hash', 'size'])
        .where('id_hash', '!=', upload.idHash)
        .orderBy('created_at', 'desc')
        .orderBy('id_hash')
        .execute();
      let total = upload.data.length;
      const forgotten: string[] = [];
      for (const row of others) {
        total += Number(row.size);
        if (total > maxTotalBytes) forgotten.push(row.id_hash);
      }
      if (forgotten.length > 0) {
        await trx.deleteFrom('held_contact_uploads').where('id_hash', 'in', forgotten).execute();
      }
    });
  }

  async release(ownerHash: string): Promise<void> {
    await this.db.deleteFrom('held_contact_uploads').where('owner_hash', '=', ownerHash).execute();
  }

  /** Forgets the files whose time to be applied has passed; returns how many. */
  async purgeExpired(now: string): Promise<number> {
    const result = await this.db.deleteFrom('held_contact_uploads').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async find(idHash: string, ownerHash: string, now: string): Promise<HeldUploadRecord | undefined> {
    const row = await this.db
      .selectFrom('held_contact_uploads')
      .selectAll()
      .where('id_hash', '=', idHash)
      .where('owner_hash', '=', ownerHash)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async take(idHash: string, ownerHash: string, now: string): Promise<HeldUploadRecord | undefined> {
    const row = await this.db
      .deleteFrom('held_contact_uploads')
      .where('id_hash', '=', idHash)
      .where('owner_hash', '=', ownerHash)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    return row && toRecord(row);
  }
}

function toRow(upload: HeldUploadRecord): HeldContactUploadTable {
  return {
    id_hash: upload.idHash,
    owner_hash: upload.ownerHash,
    filename: upload.filename,
    data: upload.data,
    size: upload.data.length,
    options: importOptionsText(upload.options),
    created_at: upload.createdAt,
    expires_at: upload.expiresAt,
  };
}

function toRecord(row: HeldContactUploadTable): HeldUploadRecord {
  return {
    idHash: row.id_hash,
    ownerHash: row.owner_hash,
    filename: row.filename,
    data: Buffer.from(row.data),
    options: importOptionsOf(row.options),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
