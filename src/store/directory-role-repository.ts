import { randomUUID } from 'node:crypto';
import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { AuditEventDraft } from '../domain/audit.js';
import type { RoleAssignment } from '../domain/permissions.js';
import { insertAuditEvent } from './audit-writer.js';
import type { Database } from './schema.js';

/** Directory role assignments; satisfies the services' `RoleStore`. */
export class SqlDirectoryRoleRepository {
  /** With SQLite, the look-up every user write makes runs as one prepared statement (see the user repository). */
  private readonly rolesOfStatement: SqliteDatabase.Statement<[string], { role_template_id: string }> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite?: SqliteDatabase.Database,
  ) {
    this.rolesOfStatement = sqlite?.prepare(
      'select "role_template_id" from "directory_role_assignments" where "user_id" = ?',
    );
  }

  async rolesOf(userId: string): Promise<string[]> {
    // Only while no Kysely transaction holds the connection across an await: the read must not join it.
    if (this.rolesOfStatement && !this.sqlite?.inTransaction) {
      return this.rolesOfStatement.all(userId).map((row) => row.role_template_id);
    }
    const rows = await this.db
      .selectFrom('directory_role_assignments')
      .select('role_template_id')
      .where('user_id', '=', userId)
      .execute();
    return rows.map((row) => row.role_template_id);
  }

  /** Ids of every user holding any role: administrators get the two-gate policy. */
  async administratorIds(): Promise<Set<string>> {
    const rows = await this.db.selectFrom('directory_role_assignments').select('user_id').distinct().execute();
    return new Set(rows.map((row) => row.user_id));
  }

  async list(): Promise<RoleAssignment[]> {
    const rows = await this.db
      .selectFrom('directory_role_assignments')
      .innerJoin('users', 'users.id', 'directory_role_assignments.user_id')
      // Soft-deleted synced users (directory sync) are hidden everywhere.
      .where('users.soft_deleted_at', 'is', null)
      .select([
        'directory_role_assignments.id',
        'directory_role_assignments.user_id',
        'users.user_principal_name',
        'directory_role_assignments.role_template_id',
        'directory_role_assignments.created_at',
      ])
      .orderBy('users.upn_key')
      .orderBy('directory_role_assignments.role_template_id')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      userId: row.user_id,
      userPrincipalName: row.user_principal_name,
      roleTemplateId: row.role_template_id,
      createdDateTime: row.created_at,
    }));
  }

  /** `false` when the user already held the role (nothing written). */
  async assign(userId: string, roleTemplateId: string, audit: AuditEventDraft): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('directory_role_assignments')
        .select('id')
        .where('user_id', '=', userId)
        .where('role_template_id', '=', roleTemplateId)
        .executeTakeFirst();
      if (existing) return false;
      await trx
        .insertInto('directory_role_assignments')
        .values({
          id: randomUUID(),
          user_id: userId,
          role_template_id: roleTemplateId,
          created_at: new Date().toISOString(),
        })
        .execute();
      await insertAuditEvent(trx, audit);
      return true;
    });
  }

  /** `false` when the user did not hold the role. */
  async remove(userId: string, roleTemplateId: string, audit: AuditEventDraft): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .deleteFrom('directory_role_assignments')
        .where('user_id', '=', userId)
        .where('role_template_id', '=', roleTemplateId)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) return false;
      await insertAuditEvent(trx, audit);
      return true;
    });
  }

  async countHolders(roleTemplateId: string): Promise<number> {
    const row = await this.db
      .selectFrom('directory_role_assignments')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('role_template_id', '=', roleTemplateId)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
