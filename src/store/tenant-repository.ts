import type { Kysely } from 'kysely';
import { DomainError } from '../domain/errors.js';
import {
  type PublicJwk,
  type ServerKeyName,
  type StoredSigningKey,
  serverKeyNames,
  type TenantRecord,
  type TenantSetup,
} from '../domain/tenant.js';
import { insertAuditEvent } from './audit-writer.js';
import type { Database } from './schema.js';
import type { SecretBox } from './secret-box.js';

const bootstrapMarker = 'tenant-bootstrap';

/** Tenant, keys and first-start setup; satisfies the services' `TenantStore`. */
export class SqlTenantRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
  ) {}

  async loadTenant(): Promise<TenantRecord | undefined> {
    const row = await this.db.selectFrom('tenant').selectAll().executeTakeFirst();
    return row && { id: row.id, defaultDomain: row.default_domain, displayName: row.display_name };
  }

  async createTenant(setup: TenantSetup): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        const now = setup.tenant.createdAt;
        // A fixed primary key makes a second, concurrent first start fail here instead of creating two tenants.
        await trx
          .insertInto('server_keys')
          .values({ name: bootstrapMarker, encrypted_value: this.box.seal(setup.tenant.id), created_at: now })
          .execute();
        await trx
          .insertInto('tenant')
          .values({
            id: setup.tenant.id,
            default_domain: setup.tenant.defaultDomain,
            display_name: setup.tenant.displayName,
            created_at: now,
          })
          .execute();
        await trx
          .insertInto('signing_keys')
          .values({
            kid: setup.signingKey.kid,
            encrypted_private_key: this.box.seal(setup.signingKey.privateKeyPem),
            public_jwk: JSON.stringify(setup.signingKey.publicJwk),
            created_at: setup.signingKey.createdAt,
            retired_at: null,
          })
          .execute();
        await trx
          .insertInto('server_keys')
          .values(
            serverKeyNames.map((name) => ({
              name,
              encrypted_value: this.box.seal(setup.serverKeys[name]),
              created_at: now,
            })),
          )
          .execute();
        const admin = setup.administrator;
        await trx
          .insertInto('users')
          .values({
            id: admin.id,
            user_principal_name: admin.userPrincipalName,
            upn_key: admin.userPrincipalName.toLowerCase(),
            display_name: admin.displayName,
            given_name: null,
            surname: null,
            mail: null,
            mail_nickname: admin.mailNickname,
            job_title: null,
            office_location: null,
            preferred_language: null,
            account_enabled: 1,
            mobile_phone: null,
            business_phone: null,
            other_mails: '[]',
            created_at: now,
            updated_at: now,
            on_premises_sync_enabled: null,
            on_premises_immutable_id: null,
            on_premises_last_sync_at: null,
            on_premises_distinguished_name: null,
            on_premises_sam_account_name: null,
            on_premises_user_principal_name: null,
            on_premises_domain_name: null,
            on_premises_security_identifier: null,
            password_hash: admin.passwordHash ?? null,
            password_changed_at: now,
            force_change_password: 1,
          })
          .execute();
        await trx
          .insertInto('directory_role_assignments')
          .values({
            id: setup.tenant.id,
            user_id: admin.id,
            role_template_id: setup.administratorRoleTemplateId,
            created_at: now,
          })
          .execute();
        await insertAuditEvent(trx, setup.audit);
      });
      return true;
    } catch (error) {
      if (await this.loadTenant()) return false;
      throw error;
    }
  }

  async loadSigningKeys(): Promise<StoredSigningKey[]> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).execute();
    return rows.map((row) => ({
      kid: row.kid,
      privateKeyPem: this.open(row.encrypted_private_key).toString('utf8'),
      publicJwk: JSON.parse(row.public_jwk) as PublicJwk,
      createdAt: row.created_at,
    }));
  }

  async loadServerKeys(): Promise<Partial<Record<ServerKeyName, Buffer>>> {
    const rows = await this.db
      .selectFrom('server_keys')
      .selectAll()
      .where('name', 'in', [...serverKeyNames])
      .execute();
    return Object.fromEntries(rows.map((row) => [row.name, this.open(row.encrypted_value)]));
  }

  /** A value that does not decrypt almost always means another master key than the one that sealed it. */
  private open(sealed: string): Buffer {
    try {
      return this.box.open(sealed);
    } catch {
      throw new DomainError('invalid_configuration', {
        detail:
          "the tenant's keys in the database cannot be decrypted with this master key (masterKey setting or " +
          "the data folder's master.key); start with the master key the database was set up with",
      });
    }
  }
}
