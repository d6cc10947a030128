import type { Kysely } from 'kysely';
import type { AppRegistration, AppSecretRecord } from '../domain/app-registration.js';
import type { AuditEventDraft } from '../domain/audit.js';
import { insertAuditEvent } from './audit-writer.js';
import type { AppRegistrationTable, Database } from './schema.js';

/** App registrations and their hashed secrets; satisfies the services' `AppRepository`. */
export class SqlAppRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findByAppId(appId: string): Promise<(AppRegistration & { secrets: AppSecretRecord[] }) | undefined> {
    const row = await this.db
      .selectFrom('app_registrations')
      .selectAll()
      .where('app_id', '=', appId)
      .executeTakeFirst();
    if (!row) return undefined;
    const secrets = await this.db.selectFrom('app_secrets').selectAll().where('app_id', '=', appId).execute();
    return {
      ...toAppRegistration(row),
      secrets: secrets.map((secret) => ({
        keyId: secret.key_id,
        secretHash: secret.secret_hash,
        hint: secret.hint,
        createdDateTime: secret.created_at,
        expiresDateTime: secret.expires_at,
      })),
    };
  }

  async list(): Promise<AppRegistration[]> {
    const rows = await this.db.selectFrom('app_registrations').selectAll().orderBy('display_name').execute();
    return rows.map(toAppRegistration);
  }

  async insert(app: AppRegistration, secret: AppSecretRecord, audit: AuditEventDraft): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('app_registrations')
        .values({
          id: app.id,
          app_id: app.appId,
          display_name: app.displayName,
          permissions: JSON.stringify(app.permissions),
          created_at: app.createdDateTime,
        })
        .execute();
      await trx
        .insertInto('app_secrets')
        .values({
          key_id: secret.keyId,
          app_id: app.appId,
          secret_hash: secret.secretHash,
          hint: secret.hint,
          created_at: secret.createdDateTime,
          expires_at: secret.expiresDateTime,
        })
        .execute();
      await insertAuditEvent(trx, audit);
    });
  }

  async addSecret(appId: string, secret: AppSecretRecord, audit: AuditEventDraft): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const app = await trx
        .selectFrom('app_registrations')
        .select('app_id')
        .where('app_id', '=', appId)
        .executeTakeFirst();
      if (!app) return false;
      await trx
        .insertInto('app_secrets')
        .values({
          key_id: secret.keyId,
          app_id: appId,
          secret_hash: secret.secretHash,
          hint: secret.hint,
          created_at: secret.createdDateTime,
          expires_at: secret.expiresDateTime,
        })
        .execute();
      await insertAuditEvent(trx, audit);
      return true;
    });
  }

  async removeSecret(appId: string, keyId: string, audit: AuditEventDraft): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .deleteFrom('app_secrets')
        .where('app_id', '=', appId)
        .where('key_id', '=', keyId)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await insertAuditEvent(trx, audit);
      return true;
    });
  }

  async updatePermissions(appId: string, permissions: readonly string[], audit: AuditEventDraft): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('app_registrations')
        .set({ permissions: JSON.stringify(permissions) })
        .where('app_id', '=', appId)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await insertAuditEvent(trx, audit);
      return true;
    });
  }
}

function toAppRegistration(row: AppRegistrationTable): AppRegistration {
  return {
    id: row.id,
    appId: row.app_id,
    displayName: row.display_name,
    permissions: JSON.parse(row.permissions) as string[],
    createdDateTime: row.created_at,
  };
}
