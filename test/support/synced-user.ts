import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';

/**
 * A user as directory sync would have written it (`synced@contoso.com`, office and mobile phone set), inserted
 * straight into the store: the tests of what the API refuses for synced users need no directory.
 */
export async function insertSyncedUser(db: Kysely<Database>): Promise<{ id: string; upn: string }> {
  const now = new Date().toISOString();
  const synced = { id: randomUUID(), upn: 'synced@contoso.com' };
  await db
    .insertInto('users')
    .values({
      id: synced.id,
      user_principal_name: synced.upn,
      upn_key: synced.upn,
      display_name: 'Synced User',
      given_name: null,
      surname: null,
      mail: null,
      mail_nickname: 'synced',
      job_title: null,
      office_location: null,
      preferred_language: null,
      account_enabled: 1,
      mobile_phone: '+1 4250000001',
      business_phone: '+1 4250000002',
      other_mails: '[]',
      created_at: now,
      updated_at: now,
      on_premises_sync_enabled: 1,
      on_premises_immutable_id: 'c3luY2VkLXVzZXI=',
      on_premises_last_sync_at: now,
      on_premises_distinguished_name: 'CN=Synced User,OU=Staff,DC=contoso,DC=com',
      on_premises_sam_account_name: 'synced',
      on_premises_user_principal_name: synced.upn,
      on_premises_domain_name: 'contoso.com',
      on_premises_security_identifier: 'S-1-5-21-1-2-3-1001',
      password_hash: null,
      password_changed_at: null,
      force_change_password: 0,
    })
    .execute();
  return synced;
}
