import type SqliteDatabase from 'better-sqlite3';
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql, type Updateable } from 'kysely';
import type { AuditEventDraft } from '../domain/audit.js';
import { DomainError } from '../domain/errors.js';
import type {
  DirectoryUser,
  NewUserRecord,
  SelectedUser,
  UserProperty,
  UserRecordChanges,
  UserReference,
} from '../domain/user.js';
import type { FilterableScalarProperty, UserFilter, UserListQuery, UserSearchTerm } from '../domain/user-query.js';
import { auditEventRow, insertAuditEvent } from './audit-writer.js';
import type { Database, UserTable } from './schema.js';

type UserColumn = keyof UserTable;
type Eb = ExpressionBuilder<Database, 'users'>;

const scalarColumns: Record<FilterableScalarProperty, UserColumn> = {
  id: 'id',
  userPrincipalName: 'upn_key',
  displayName: 'display_name',
  givenName: 'given_name',
  surname: 'surname',
  mail: 'mail',
  jobTitle: 'job_title',
  officeLocation: 'office_location',
  preferredLanguage: 'preferred_language',
  mobilePhone: 'mobile_phone',
  accountEnabled: 'account_enabled',
  onPremisesSyncEnabled: 'on_premises_sync_enabled',
  onPremisesImmutableId: 'on_premises_immutable_id',
  createdDateTime: 'created_at',
};

const booleanColumns: ReadonlySet<UserColumn> = new Set(['account_enabled', 'on_premises_sync_enabled']);
/** Columns stored in their original case and compared case-insensitively, as Graph does. */
const caseFoldedColumns: ReadonlySet<UserColumn> = new Set([
  'display_name',
  'given_name',
  'surname',
  'mail',
  'job_title',
  'office_location',
  'preferred_language',
]);

/** Everything but the password fields: a hash never leaves the store through a read. */
export const publicColumns = [
  'id',
  'user_principal_name',
  'display_name',
  'given_name',
  'surname',
  'mail',
  'mail_nickname',
  'job_title',
  'office_location',
  'preferred_language',
  'account_enabled',
  'mobile_phone',
  'business_phone',
  'other_mails',
  'created_at',
  'on_premises_sync_enabled',
  'on_premises_immutable_id',
  'on_premises_last_sync_at',
  'on_premises_distinguished_name',
  'on_premises_sam_account_name',
  'on_premises_user_principal_name',
  'on_premises_domain_name',
  'on_premises_security_identifier',
] as const satisfies readonly UserColumn[];

export type PublicUserRow = Pick<UserTable, (typeof publicColumns)[number]>;
type PublicColumn = (typeof publicColumns)[number];

/** The column behind each property (`toDirectoryUser` converts it). */
const propertyColumns: Record<UserProperty, PublicColumn> = {
  id: 'id',
  userPrincipalName: 'user_principal_name',
  displayName: 'display_name',
  givenName: 'given_name',
  surname: 'surname',
  mail: 'mail',
  mailNickname: 'mail_nickname',
  jobTitle: 'job_title',
  officeLocation: 'office_location',
  preferredLanguage: 'preferred_language',
  accountEnabled: 'account_enabled',
  mobilePhone: 'mobile_phone',
  businessPhones: 'business_phone',
  otherMails: 'other_mails',
  createdDateTime: 'created_at',
  onPremisesSyncEnabled: 'on_premises_sync_enabled',
  onPremisesImmutableId: 'on_premises_immutable_id',
  onPremisesLastSyncDateTime: 'on_premises_last_sync_at',
  onPremisesDistinguishedName: 'on_premises_distinguished_name',
  onPremisesSamAccountName: 'on_premises_sam_account_name',
  onPremisesUserPrincipalName: 'on_premises_user_principal_name',
  onPremisesDomainName: 'on_premises_domain_name',
  onPremisesSecurityIdentifier: 'on_premises_security_identifier',
};

/** The columns a `$select` needs, the id first, in `publicColumns` order (one SQL text per distinct set). */
function selectedColumns(properties: readonly UserProperty[]): PublicColumn[] {
  const wanted = new Set<PublicColumn>(['id']);
  for (const property of properties) wanted.add(propertyColumns[property]);
  return publicColumns.filter((column) => wanted.has(column));
}

/** Stands in for columns a `$select` did not read, so `toDirectoryUser` can convert the rest; never returned. */
const unreadColumns: PublicUserRow = {
  ...(Object.fromEntries(publicColumns.map((column) => [column, null])) as unknown as PublicUserRow),
  other_mails: '[]',
  account_enabled: 0,
};

function toSelectedUser(row: Partial<PublicUserRow>, properties: readonly UserProperty[]): SelectedUser {
  const user = toDirectoryUser({ ...unreadColumns, ...row });
  const selected: Record<string, unknown> = { id: user.id };
  for (const property of properties) selected[property] = user[property];
  return selected as SelectedUser;
}

/** Directory users; satisfies the services' `UserRepository`. */
export class SqlUserRepository {
  private readonly fast: SqlitePreparedPath | undefined;

  /**
   * With `sqlite`, the very connection `db` uses (`StoreDatabase.sqlite`), the per-request look-ups and the
   * update run as prepared statements (see `SqlitePreparedPath`); without it (PostgreSQL) all goes through Kysely.
   */
  constructor(
    private readonly db: Kysely<Database>,
    sqlite?: SqliteDatabase.Database,
  ) {
    this.fast = sqlite && new SqlitePreparedPath(sqlite);
  }

  async findById(id: string): Promise<DirectoryUser | undefined> {
    const row = this.fast?.idle
      ? this.fast.userBy('id', id)
      : await this.db
          .selectFrom('users')
          .select(publicColumns)
          .where('id', '=', id)
          .where('soft_deleted_at', 'is', null)
          .executeTakeFirst();
    return row && toDirectoryUser(row);
  }

  async findByUserPrincipalName(userPrincipalName: string): Promise<DirectoryUser | undefined> {
    const key = userPrincipalName.toLowerCase();
    const row = this.fast?.idle
      ? this.fast.userBy('upn_key', key)
      : await this.db
          .selectFrom('users')
          .select(publicColumns)
          .where('upn_key', '=', key)
          .where('soft_deleted_at', 'is', null)
          .executeTakeFirst();
    return row && toDirectoryUser(row);
  }

  async findSelected(reference: UserReference, properties: readonly UserProperty[]): Promise<SelectedUser | undefined> {
    const [column, value]: ['id' | 'upn_key', string] =
      'id' in reference ? ['id', reference.id] : ['upn_key', reference.userPrincipalName.toLowerCase()];
    const row = this.fast?.idle
      ? this.fast.selectedUserBy(column, value, properties)
      : await this.db
          .selectFrom('users')
          .select(selectedColumns(properties))
          .where(column, '=', value)
          .where('soft_deleted_at', 'is', null)
          .executeTakeFirst();
    return row && toSelectedUser(row, properties);
  }

  async list(query: UserListQuery): Promise<DirectoryUser[]> {
    // A plain walk (no $filter, $search or $orderby: by id) is the script's paging loop; same SQL, prepared.
    if (this.fast?.idle && !query.filter && !query.search && !query.orderBy) {
      return this.fast.usersAfter(query.after?.id, query.top + 1).map(toDirectoryUser);
    }
    const sortColumn: UserColumn =
      query.orderBy?.property === 'displayName' ? 'display_name' : query.orderBy ? 'upn_key' : 'id';
    const descending = query.orderBy?.direction === 'desc';
    const comparator = descending ? '<' : '>';
    let select = this.db
      .selectFrom('users')
      .select(publicColumns)
      .where((eb) => whereClause(eb, query));
    const after = query.after;
    if (after) {
      const sortValue = after.sortValue;
      select =
        sortColumn === 'id'
          ? select.where('id', comparator, after.id)
          : sortValue === null
            ? // After a user without a sort value: the rest of those (they come first ascending, last descending).
              select.where((eb) => {
                const restOfNulls = eb.and([eb(sortColumn, 'is', null), eb('id', comparator, after.id)]);
                return descending ? restOfNulls : eb.or([restOfNulls, eb(sortColumn, 'is not', null)]);
              })
            : select.where((eb) => {
                const beyond = eb.or([
                  eb(sortColumn, comparator, sortValue),
                  eb.and([eb(sortColumn, '=', sortValue), eb('id', comparator, after.id)]),
                ]);
                // Ascending, the redundant `>=` lets SQLite seek the sort column's index to the cursor instead of
                // scanning it from the start (a page deep in 100,000 users read every row before it).
                return descending
                  ? eb.or([beyond, eb(sortColumn, 'is', null)])
                  : eb.and([eb(sortColumn, '>=', sortValue), beyond]);
              });
    }
    const direction = descending ? 'desc' : 'asc';
    // A missing value sorts before every value on both dialects (PostgreSQL's default is the opposite).
    if (sortColumn !== 'id') {
      select = select.orderBy(sortColumn, (ob) => (descending ? ob.desc().nullsLast() : ob.asc().nullsFirst()));
    }
    const rows = await select
      .orderBy('id', direction)
      .limit(query.top + 1)
      .execute();
    return rows.map(toDirectoryUser);
  }

  async count(query: { readonly filter?: UserFilter; readonly search?: readonly UserSearchTerm[] }): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number | string>().as('total'))
      .where((eb) => whereClause(eb, query))
      .executeTakeFirstOrThrow();
    return Number(row.total);
  }

  async insert(user: NewUserRecord, audit: AuditEventDraft): Promise<void> {
    await this.db
      .transaction()
      .execute(async (trx) => {
        await trx
          .insertInto('users')
          .values({
            id: user.id,
            user_principal_name: user.userPrincipalName,
            upn_key: user.userPrincipalName.toLowerCase(),
            display_name: user.displayName,
            given_name: user.givenName,
            surname: user.surname,
            mail: user.mail,
            mail_nickname: user.mailNickname,
            job_title: user.jobTitle,
            office_location: user.officeLocation,
            preferred_language: user.preferredLanguage,
            account_enabled: user.accountEnabled ? 1 : 0,
            mobile_phone: user.mobilePhone,
            business_phone: user.businessPhones[0] ?? null,
            other_mails: JSON.stringify(user.otherMails),
            created_at: user.createdDateTime,
            updated_at: user.createdDateTime,
            on_premises_sync_enabled: toFlag(user.onPremisesSyncEnabled),
            on_premises_immutable_id: user.onPremisesImmutableId,
            on_premises_last_sync_at: user.onPremisesLastSyncDateTime,
            on_premises_distinguished_name: user.onPremisesDistinguishedName,
            on_premises_sam_account_name: user.onPremisesSamAccountName,
            on_premises_user_principal_name: user.onPremisesUserPrincipalName,
            on_premises_domain_name: user.onPremisesDomainName,
            on_premises_security_identifier: user.onPremisesSecurityIdentifier,
            password_hash: user.passwordHash ?? null,
            password_changed_at: user.passwordChangedAt ?? null,
            force_change_password: user.forceChangePassword ? 1 : 0,
          })
          .execute();
        await replaceOtherMails(trx, user.id, user.otherMails);
        await insertAuditEvent(trx, audit);
      })
      .catch(rethrowUniqueViolation);
  }

  async update(id: string, changes: UserRecordChanges, audit: AuditEventDraft): Promise<void> {
    const values = toColumnChanges(changes);
    if (this.fast?.idle) {
      try {
        this.fast.updateUser(id, values, changes.otherMails, audit);
      } catch (error) {
        rethrowUniqueViolation(error);
      }
      return;
    }
    await this.db
      .transaction()
      .execute(async (trx) => {
        const result = await trx.updateTable('users').set(values).where('id', '=', id).executeTakeFirst();
        // Deleted since the caller read it: no change, so no audit event either.
        if (result.numUpdatedRows === 0n) throw new DomainError('resource_not_found', { resource: id });
        if (changes.otherMails !== undefined) await replaceOtherMails(trx, id, changes.otherMails);
        await insertAuditEvent(trx, audit);
      })
      .catch(rethrowUniqueViolation);
  }

  async remove(id: string, audit: AuditEventDraft): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      if (result.numDeletedRows === 0n) return false;
      await insertAuditEvent(trx, audit);
      return true;
    });
  }

  /** When the password last changed (null: never since creation); the admin reset's operation is derived from it. */
  async findPasswordChangedAt(id: string): Promise<string | null> {
    const row = await this.db.selectFrom('users').select('password_changed_at').where('id', '=', id).executeTakeFirst();
    return row?.password_changed_at ?? null;
  }

  /** The password hash, for sign-in checks only. */
  async findPasswordHash(id: string): Promise<string | null> {
    const row = await this.db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst();
    return row?.password_hash ?? null;
  }
}

export function toColumnChanges(changes: UserRecordChanges): Updateable<UserTable> {
  const values: Updateable<UserTable> = { updated_at: changes.updatedAt };
  // A loop over the keys present: a chain of 17 "is this property set" tests cost ten times more per call (absent
  // properties are slow to test), and every user write goes through here.
  for (const key in changes) {
    const value = changes[key as keyof UserRecordChanges];
    if (value === undefined) continue;
    switch (key as keyof UserRecordChanges) {
      case 'userPrincipalName':
        values.user_principal_name = value as string;
        values.upn_key = (value as string).toLowerCase();
        break;
      case 'displayName':
        values.display_name = value as string | null;
        break;
      case 'givenName':
        values.given_name = value as string | null;
        break;
      case 'surname':
        values.surname = value as string | null;
        break;
      case 'mail':
        values.mail = value as string | null;
        break;
      case 'mailNickname':
        values.mail_nickname = value as string | null;
        break;
      case 'jobTitle':
        values.job_title = value as string | null;
        break;
      case 'officeLocation':
        values.office_location = value as string | null;
        break;
      case 'preferredLanguage':
        values.preferred_language = value as string | null;
        break;
      case 'accountEnabled':
        values.account_enabled = value ? 1 : 0;
        break;
      case 'mobilePhone':
        values.mobile_phone = value as string | null;
        break;
      case 'businessPhones':
        values.business_phone = (value as readonly string[])[0] ?? null;
        break;
      case 'otherMails':
        values.other_mails = JSON.stringify(value);
        break;
      case 'passwordHash':
        values.password_hash = value as string | null;
        break;
      case 'passwordChangedAt':
        values.password_changed_at = value as string | null;
        break;
      case 'forceChangePassword':
        values.force_change_password = value ? 1 : 0;
        break;
      case 'mobilePhoneCloudOverride':
        values.mobile_phone_cloud_override = value ? 1 : 0;
        break;
    }
  }
  return values;
}

/**
 * Prepared statements on the SQLite connection Kysely also uses, for the queries every Graph request makes:
 * no per-query compilation, `prepare()` or promise hops. better-sqlite3 runs them synchronously, so nothing
 * can interleave with them; they are only used while no Kysely transaction holds the connection across an
 * `await` (`idle`), since their statements would otherwise join that transaction. Same SQL effect, same rows.
 */
class SqlitePreparedPath {
  private readonly statements = new Map<string, SqliteDatabase.Statement>();
  private readonly rawStatements = new Map<string, SqliteDatabase.Statement>();
  private readonly selectedTexts = new WeakMap<readonly UserProperty[], Record<'id' | 'upn_key', string>>();
  /** The user's columns, its other-mail keys and its audit event, in one transaction (as `update` does). */
  readonly updateUser: (
    id: string,
    values: Updateable<UserTable>,
    otherMails: readonly string[] | undefined,
    audit: AuditEventDraft,
  ) => void;

  constructor(private readonly sqlite: SqliteDatabase.Database) {
    this.updateUser = sqlite.transaction((id, values, otherMails, audit) => {
      // Sorted: the changes come in the order of the PATCH body, and one statement per set of columns is enough.
      const columns = Object.keys(values).sort() as (keyof typeof values)[];
      this.statement(
        `update "users" set ${columns.map((column) => `"${String(column)}" = ?`).join(', ')} where "id" = ?`,
      ).run(...columns.map((column) => values[column]), id);
      if (otherMails !== undefined) {
        this.statement('delete from "user_other_mails" where "user_id" = ?').run(id);
        const insertKey = this.statement('insert into "user_other_mails" ("user_id", "address_key") values (?, ?)');
        for (const key of otherMailKeys(otherMails)) insertKey.run(id, key);
      }
      const row = auditEventRow(audit, new Date());
      const auditColumns = Object.keys(row);
      this.statement(
        `insert into "audit_events" (${auditColumns.map((column) => `"${column}"`).join(', ')}) values (${auditColumns.map(() => '?').join(', ')})`,
      ).run(...Object.values(row));
    });
  }

  /** No transaction is open on the connection. */
  get idle(): boolean {
    return !this.sqlite.inTransaction;
  }

  userBy(column: 'id' | 'upn_key', value: string): PublicUserRow | undefined {
    return this.statement(selectUserBy[column]).get(value) as PublicUserRow | undefined;
  }

  /** Only the columns behind `properties`: a Graph read of three properties skips converting twenty columns. */
  selectedUserBy(
    column: 'id' | 'upn_key',
    value: string,
    properties: readonly UserProperty[],
  ): Partial<PublicUserRow> | undefined {
    // The route hands the same parsed `$select` array again and again: its SQL texts are kept with it.
    let texts = this.selectedTexts.get(properties);
    if (!texts) {
      const select = `select ${selectedColumns(properties)
        .map((name) => `"${name}"`)
        .join(', ')} from "users"`;
      texts = {
        id: `${select} where "id" = ? and "soft_deleted_at" is null`,
        upn_key: `${select} where "upn_key" = ? and "soft_deleted_at" is null`,
      };
      this.selectedTexts.set(properties, texts);
    }
    return this.statement(texts[column]).get(value) as Partial<PublicUserRow> | undefined;
  }

  /** Live users by id, after `afterId` when given: one page of a list without filter, search or order. */
  usersAfter(afterId: string | undefined, limit: number): PublicUserRow[] {
    // Rows as arrays (`raw`): better-sqlite3 builds an object per row key by key, slower than a literal here.
    const statement = this.rawStatement(afterId === undefined ? listUsersById.first : listUsersById.after);
    const rows = (afterId === undefined ? statement.all(limit) : statement.all(afterId, limit)) as unknown[][];
    return rows.map(publicUserRowOf);
  }

  private rawStatement(text: string): SqliteDatabase.Statement {
    let statement = this.rawStatements.get(text);
    if (!statement) {
      statement = this.sqlite.prepare(text).raw(true);
      this.rawStatements.set(text, statement);
    }
    return statement;
  }

  private statement(text: string): SqliteDatabase.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      // One statement per distinct SQL text: the update's varies only with the set of changed columns.
      if (this.statements.size >= 1000) this.statements.clear();
      statement = this.sqlite.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }
}

const selectPublicColumns = `select ${publicColumns.map((column) => `"${column}"`).join(', ')} from "users"`;
const selectUserBy = {
  id: `${selectPublicColumns} where "id" = ? and "soft_deleted_at" is null`,
  upn_key: `${selectPublicColumns} where "upn_key" = ? and "soft_deleted_at" is null`,
} as const;

const listUsersById = {
  first: `${selectPublicColumns} where "soft_deleted_at" is null order by "id" asc limit ?`,
  after: `${selectPublicColumns} where "soft_deleted_at" is null and "id" > ? order by "id" asc limit ?`,
} as const;

/** A row of `selectPublicColumns` read as an array, as the object `select` would have made (columns in order). */
export function publicUserRowOf(values: unknown[]): PublicUserRow {
  const [
    id,
    user_principal_name,
    display_name,
    given_name,
    surname,
    mail,
    mail_nickname,
    job_title,
    office_location,
    preferred_language,
    account_enabled,
    mobile_phone,
    business_phone,
    other_mails,
    created_at,
    on_premises_sync_enabled,
    on_premises_immutable_id,
    on_premises_last_sync_at,
    on_premises_distinguished_name,
    on_premises_sam_account_name,
    on_premises_user_principal_name,
    on_premises_domain_name,
    on_premises_security_identifier,
  ] = values;
  return {
    id,
    user_principal_name,
    display_name,
    given_name,
    surname,
    mail,
    mail_nickname,
    job_title,
    office_location,
    preferred_language,
    account_enabled,
    mobile_phone,
    business_phone,
    other_mails,
    created_at,
    on_premises_sync_enabled,
    on_premises_immutable_id,
    on_premises_last_sync_at,
    on_premises_distinguished_name,
    on_premises_sam_account_name,
    on_premises_user_principal_name,
    on_premises_domain_name,
    on_premises_security_identifier,
  } as PublicUserRow;
}

/** The `user_other_mails` keys of a user's other mails: lower-cased, once each. */
export function otherMailKeys(addresses: readonly string[]): string[] {
  return [...new Set(addresses.map((address) => address.toLowerCase()))];
}

export async function replaceOtherMails(
  trx: Kysely<Database>,
  userId: string,
  addresses: readonly string[],
): Promise<void> {
  await trx.deleteFrom('user_other_mails').where('user_id', '=', userId).execute();
  const keys = otherMailKeys(addresses);
  if (keys.length > 0) {
    await trx
      .insertInto('user_other_mails')
      .values(keys.map((address_key) => ({ user_id: userId, address_key })))
      .execute();
  }
}

function rethrowUniqueViolation(error: unknown): never {
  const text = String((error as { message?: unknown })?.message ?? error);
  // SQLite: "UNIQUE constraint failed: users.upn_key"; PostgreSQL: code 23505 on "users_upn_key_key".
  if (
    /UNIQUE constraint failed: users\.upn_key|users_upn_key/.test(text) ||
    (error as { code?: string }).code === '23505'
  ) {
    throw new DomainError('duplicate_value', { property: 'userPrincipalName' });
  }
  throw error;
}

function whereClause(
  eb: Eb,
  query: { readonly filter?: UserFilter; readonly search?: readonly UserSearchTerm[] },
): Expression<SqlBool> {
  // Soft-deleted synced users (directory sync) are invisible to every list and count.
  const parts: Expression<SqlBool>[] = [eb('soft_deleted_at', 'is', null)];
  if (query.filter) parts.push(filterExpression(eb, query.filter));
  for (const term of query.search ?? []) parts.push(searchExpression(eb, term));
  return eb.and(parts);
}

function filterExpression(eb: Eb, filter: UserFilter): Expression<SqlBool> {
  switch (filter.kind) {
    case 'and':
      return eb.and(filter.clauses.map((clause) => filterExpression(eb, clause)));
    case 'or':
      return eb.or(filter.clauses.map((clause) => filterExpression(eb, clause)));
    case 'not':
      // A comparison with an unset property is false in OData but NULL (unknown) in SQL, and NOT NULL is NULL.
      return eb.not(eb.fn.coalesce(filterExpression(eb, filter.clause), sql<SqlBool>`false`));
    case 'eq':
    case 'ne': {
      const column = scalarColumns[filter.property];
      if (filter.value === null) return eb(column, filter.kind === 'eq' ? 'is' : 'is not', null);
      const equal = eb(comparable(eb, column), '=', comparableValue(column, filter.value));
      // Graph's `ne` also matches users where the property is not set.
      return filter.kind === 'eq' ? equal : eb.or([eb.not(equal), eb(column, 'is', null)]);
    }
    case 'in': {
      const column = scalarColumns[filter.property];
      const values = filter.values.filter((value): value is string | boolean => value !== null);
      const clauses: Expression<SqlBool>[] = [];
      if (values.length > 0) {
        clauses.push(
          eb(
            comparable(eb, column),
            'in',
            values.map((value) => comparableValue(column, value)),
          ),
        );
      }
      if (values.length !== filter.values.length) clauses.push(eb(column, 'is', null));
      return clauses.length === 0 ? sql<SqlBool>`1 = 0` : eb.or(clauses);
    }
    case 'startsWith': {
      // Case-insensitive on every string column: SQLite's LIKE already is, PostgreSQL's is not.
      return startsWith(eb.fn('lower', [eb.ref(scalarColumns[filter.property])]), filter.value);
    }
    case 'any': {
      if (filter.property === 'businessPhones') {
        return filter.operator === 'eq'
          ? eb('business_phone', '=', filter.value)
          : startsWith(sql.ref('business_phone'), filter.value, false);
      }
      const address = filter.value.toLowerCase();
      return eb.exists(
        eb
          .selectFrom('user_other_mails')
          .select(sql`1`.as('one'))
          .whereRef('user_other_mails.user_id', '=', 'users.id')
          .where((inner) =>
            filter.operator === 'eq'
              ? inner('address_key', '=', address)
              : startsWith(sql.ref('address_key'), address, false),
          ),
      );
    }
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le': {
      const operators = { gt: '>', ge: '>=', lt: '<', le: '<=' } as const;
      // Instants are stored as ISO-8601 UTC text, which sorts chronologically.
      return eb(scalarColumns[filter.property], operators[filter.kind], new Date(filter.value).toISOString());
    }
    default: {
      const exhaustive: never = filter;
      throw new Error(`unhandled filter ${JSON.stringify(exhaustive)}`);
    }
  }
}

function searchExpression(eb: Eb, term: UserSearchTerm): Expression<SqlBool> {
  const column: UserColumn = term.property === 'userPrincipalName' ? 'upn_key' : scalarColumns[term.property];
  // Graph's $search matches the start of any word in the value.
  const text = term.text.toLowerCase();
  const value = comparable(eb, column);
  return eb.or([startsWith(value, text, false), contains(value, ` ${text}`)]);
}

function comparable(eb: Eb, column: UserColumn): Expression<unknown> {
  return caseFoldedColumns.has(column) ? eb.fn('lower', [eb.ref(column)]) : eb.ref(column);
}

function comparableValue(column: UserColumn, value: string | boolean): string | number {
  if (booleanColumns.has(column)) return value === true || value === 'true' ? 1 : 0;
  if (typeof value !== 'string') return String(value);
  return caseFoldedColumns.has(column) || column === 'upn_key' ? value.toLowerCase() : value;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

function startsWith(value: Expression<unknown>, prefix: string, fold = true): Expression<SqlBool> {
  const pattern = `${escapeLike(fold ? prefix.toLowerCase() : prefix)}%`;
  return sql<SqlBool>`${value} like ${pattern} escape '\\'`;
}

function contains(value: Expression<unknown>, text: string): Expression<SqlBool> {
  return sql<SqlBool>`${value} like ${`%${escapeLike(text)}%`} escape '\\'`;
}

function toFlag(value: boolean | null): number | null {
  return value === null ? null : value ? 1 : 0;
}

function fromFlag(value: number | null): boolean | null {
  return value === null ? null : value === 1;
}

export function toDirectoryUser(row: PublicUserRow): DirectoryUser {
  return {
    id: row.id,
    userPrincipalName: row.user_principal_name,
    displayName: row.display_name,
    givenName: row.given_name,
    surname: row.surname,
    mail: row.mail,
    mailNickname: row.mail_nickname,
    jobTitle: row.job_title,
    officeLocation: row.office_location,
    preferredLanguage: row.preferred_language,
    accountEnabled: row.account_enabled === 1,
    mobilePhone: row.mobile_phone,
    businessPhones: row.business_phone === null ? [] : [row.business_phone],
    otherMails: JSON.parse(row.other_mails) as string[],
    createdDateTime: row.created_at,
    onPremisesSyncEnabled: fromFlag(row.on_premises_sync_enabled),
    onPremisesImmutableId: row.on_premises_immutable_id,
    onPremisesLastSyncDateTime: row.on_premises_last_sync_at,
    onPremisesDistinguishedName: row.on_premises_distinguished_name,
    onPremisesSamAccountName: row.on_premises_sam_account_name,
    onPremisesUserPrincipalName: row.on_premises_user_principal_name,
    onPremisesDomainName: row.on_premises_domain_name,
    onPremisesSecurityIdentifier: row.on_premises_security_identifier,
  };
}
