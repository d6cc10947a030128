import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEventDraft } from '../../../src/domain/audit.js';
import { DomainError } from '../../../src/domain/errors.js';
import type { DirectoryUser, NewUserRecord, UserRecordChanges } from '../../../src/domain/user.js';
import type {
  FilterableScalarProperty,
  FilterValue,
  UserFilter,
  UserListQuery,
  UserOrder,
  UserSearchTerm,
} from '../../../src/domain/user-query.js';
import type { Database } from '../../../src/store/schema.js';
import { SqlUserRepository } from '../../../src/store/user-repository.js';
import { dialectsUnderTest, type TestDatabase } from '../../support/databases.js';

function newUser(fields: Partial<NewUserRecord> & Pick<NewUserRecord, 'userPrincipalName'>): NewUserRecord {
  return {
    id: randomUUID(),
    displayName: 'Someone',
    givenName: null,
    surname: null,
    mail: null,
    mailNickname: fields.userPrincipalName.slice(0, fields.userPrincipalName.indexOf('@')),
    jobTitle: null,
    officeLocation: null,
    preferredLanguage: null,
    accountEnabled: true,
    mobilePhone: null,
    businessPhones: [],
    otherMails: [],
    createdDateTime: '2024-01-01T00:00:00.000Z',
    onPremisesSyncEnabled: null,
    onPremisesImmutableId: null,
    onPremisesLastSyncDateTime: null,
    onPremisesDistinguishedName: null,
    onPremisesSamAccountName: null,
    onPremisesUserPrincipalName: null,
    onPremisesDomainName: null,
    onPremisesSecurityIdentifier: null,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo',
    passwordChangedAt: '2024-01-01T00:00:00.000Z',
    forceChangePassword: false,
    ...fields,
  };
}

function audit(activity: string, correlationId: string = randomUUID()): AuditEventDraft {
  return {
    activityDisplayName: activity,
    category: 'UserManagement',
    loggedByService: 'Core Directory',
    operationType: activity.startsWith('Add') ? 'Add' : activity.startsWith('Delete') ? 'Delete' : 'Update',
    result: 'success',
    resultReason: '',
    initiatedBy: { user: { id: null, userPrincipalName: 'operator:test', ipAddress: null } },
    correlationId,
    targetResources: [],
  };
}

/** An audit draft the audit table refuses (a NOT NULL column left out), to fail a write after its change. */
function unwritableAudit(): AuditEventDraft {
  return { ...audit('Broken'), initiatedBy: undefined as unknown as AuditEventDraft['initiatedBy'] };
}

/** The public view the repository returns for a stored record. */
function publicView(record: NewUserRecord): DirectoryUser {
  const { passwordHash: _hash, passwordChangedAt: _changed, forceChangePassword: _force, ...user } = record;
  return user;
}

async function auditRows(db: Kysely<Database>) {
  return db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
}

async function otherMailKeys(db: Kysely<Database>, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('user_other_mails')
    .select('address_key')
    .where('user_id', '=', userId)
    .orderBy('address_key')
    .execute();
  return rows.map((row) => row.address_key);
}

async function userCount(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe.each(dialectsUnderTest)('SqlUserRepository on $name', (dialect) => {
  describe('writes', () => {
    let database: TestDatabase;
    let db: Kysely<Database>;
    let users: SqlUserRepository;

    beforeEach(async () => {
      database = await dialect.create();
      db = database.store.db;
      users = new SqlUserRepository(db);
    });
    afterEach(async () => {
      await database.dispose();
    });

    it('inserts a user and finds it by id and by user principal name in any case', async () => {
      const record = newUser({
        userPrincipalName: 'Ada.Lovelace@Contoso.com',
        displayName: 'Ada Lovelace',
        givenName: 'Ada',
        surname: 'Lovelace',
        mail: 'ada@contoso.com',
        jobTitle: 'Analyst',
        officeLocation: 'London',
        preferredLanguage: 'en-GB',
        accountEnabled: false,
        mobilePhone: '+44 7700900001',
        businessPhones: ['+44 2079460001'],
        otherMails: ['Ada@Example.org', 'lovelace@example.net'],
        createdDateTime: '2024-05-06T07:08:09.123Z',
        onPremisesSyncEnabled: true,
        onPremisesImmutableId: 'AbC+dEf/123==',
        onPremisesLastSyncDateTime: '2024-05-06T07:00:00.000Z',
        onPremisesDistinguishedName: 'CN=Ada Lovelace,OU=Users,DC=contoso,DC=com',
        onPremisesSamAccountName: 'ada',
        onPremisesUserPrincipalName: 'ada@contoso.local',
        onPremisesDomainName: 'contoso.local',
        onPremisesSecurityIdentifier: 'S-1-5-21-1-2-3-1001',
      });
      await users.insert(record, audit('Add user'));

      const expected = publicView(record);
      expect(await users.findById(record.id)).toEqual(expected);
      expect(await users.findByUserPrincipalName('Ada.Lovelace@Contoso.com')).toEqual(expected);
      expect(await users.findByUserPrincipalName('ada.lovelace@contoso.com')).toEqual(expected);
      expect(await users.findByUserPrincipalName('ADA.LOVELACE@CONTOSO.COM')).toEqual(expected);
      expect(await users.findById(randomUUID())).toBeUndefined();
      expect(await users.findByUserPrincipalName('nobody@contoso.com')).toBeUndefined();
      expect(await otherMailKeys(db, record.id)).toEqual(['ada@example.org', 'lovelace@example.net']);
      // The hash is kept, but never returned by a read.
      expect(await users.findPasswordHash(record.id)).toBe(record.passwordHash);
      expect(JSON.stringify(await users.findById(record.id))).not.toContain('argon2');
    });

    it('reads only the selected properties, with the id, converted as a full read converts them', async () => {
      const record = newUser({
        userPrincipalName: 'Grace@Contoso.com',
        accountEnabled: false,
        mobilePhone: '+1 5550100',
        businessPhones: ['+1 5550101'],
        otherMails: ['grace@example.org'],
        onPremisesSyncEnabled: true,
      });
      const bare = newUser({ userPrincipalName: 'bare@contoso.com' });
      await users.insert(record, audit('Add user'));
      await users.insert(bare, audit('Add user'));
      // Both store paths: Kysely's, and on SQLite the prepared statements the Graph server uses.
      const repositories = [
        users,
        ...(database.store.sqlite ? [new SqlUserRepository(db, database.store.sqlite)] : []),
      ];
      for (const repository of repositories) {
        const properties = ['businessPhones', 'mobilePhone', 'otherMails', 'accountEnabled'] as const;
        expect(await repository.findSelected({ userPrincipalName: 'GRACE@contoso.com' }, properties)).toStrictEqual({
          id: record.id,
          businessPhones: ['+1 5550101'],
          mobilePhone: '+1 5550100',
          otherMails: ['grace@example.org'],
          accountEnabled: false,
        });
        expect(
          await repository.findSelected({ id: bare.id }, ['businessPhones', 'otherMails', 'onPremisesSyncEnabled']),
        ).toStrictEqual({
          id: bare.id,
          businessPhones: [],
          otherMails: [],
          onPremisesSyncEnabled: null,
        });
        // Every property selected: exactly what a full read returns.
        const all = Object.keys(publicView(record)) as Array<keyof DirectoryUser>;
        expect(await repository.findSelected({ id: record.id }, all)).toStrictEqual(
          await repository.findById(record.id),
        );
        expect(
          await repository.findSelected({ userPrincipalName: 'nobody@contoso.com' }, ['mobilePhone']),
        ).toBeUndefined();
      }
      await users.remove(bare.id, audit('Delete user'));
      expect(await users.findSelected({ id: bare.id }, ['mobilePhone'])).toBeUndefined();
    });

    it('writes exactly one audit event with each insert, update and remove', async () => {
      const record = newUser({ userPrincipalName: 'grace@contoso.com' });
      await users.insert(record, audit('Add user', 'c-add'));
      await users.update(
        record.id,
        { updatedAt: '2024-02-01T00:00:00.000Z', jobTitle: 'Admiral' },
        audit('Update user', 'c-upd'),
      );
      expect(await users.remove(record.id, audit('Delete user', 'c-del'))).toBe(true);

      const rows = await auditRows(db);
      expect(rows.map((row) => [row.activity_display_name, row.correlation_id, row.operation_type])).toEqual([
        ['Add user', 'c-add', 'Add'],
        ['Update user', 'c-upd', 'Update'],
        ['Delete user', 'c-del', 'Delete'],
      ]);
      expect(JSON.parse(rows[0]!.initiated_by)).toEqual({
        user: { id: null, userPrincipalName: 'operator:test', ipAddress: null },
      });
    });

    it('refuses a user principal name that differs only in case, writing nothing', async () => {
      const first = newUser({ userPrincipalName: 'alan@contoso.com', otherMails: ['first@example.org'] });
      await users.insert(first, audit('Add user'));
      const second = newUser({ userPrincipalName: 'ALAN@Contoso.COM', otherMails: ['second@example.org'] });

      const error = await rejection(users.insert(second, audit('Add user')));
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'duplicate_value', params: { property: 'userPrincipalName' } });

      expect(await userCount(db)).toBe(1);
      expect(await users.findById(second.id)).toBeUndefined();
      expect(await otherMailKeys(db, second.id)).toEqual([]);
      expect(await auditRows(db)).toHaveLength(1);
      expect(await users.findByUserPrincipalName('alan@contoso.com')).toEqual(publicView(first));
    });

    it('refuses renaming a user to a taken user principal name, writing nothing', async () => {
      const ada = newUser({ userPrincipalName: 'ada@contoso.com' });
      const grace = newUser({ userPrincipalName: 'grace@contoso.com', jobTitle: 'Admiral' });
      await users.insert(ada, audit('Add user'));
      await users.insert(grace, audit('Add user'));

      const error = await rejection(
        users.update(
          grace.id,
          {
            updatedAt: '2024-03-01T00:00:00.000Z',
            userPrincipalName: 'Ada@Contoso.com',
            jobTitle: 'Changed',
            otherMails: ['x@example.org'],
          },
          audit('Update user'),
        ),
      );
      expect(error).toMatchObject({ code: 'duplicate_value', params: { property: 'userPrincipalName' } });
      expect(await users.findById(grace.id)).toEqual(publicView(grace));
      expect(await otherMailKeys(db, grace.id)).toEqual([]);
      expect(await auditRows(db)).toHaveLength(2);
    });

    it('renames a user and finds it under the new name only', async () => {
      const record = newUser({ userPrincipalName: 'old@contoso.com' });
      await users.insert(record, audit('Add user'));
      await users.update(
        record.id,
        { updatedAt: '2024-03-01T00:00:00.000Z', userPrincipalName: 'New.Name@Contoso.com' },
        audit('Update user'),
      );
      expect(await users.findByUserPrincipalName('old@contoso.com')).toBeUndefined();
      expect(await users.findByUserPrincipalName('new.name@contoso.com')).toMatchObject({
        id: record.id,
        userPrincipalName: 'New.Name@Contoso.com',
      });
      // The old name is free again.
      await users.insert(newUser({ userPrincipalName: 'OLD@contoso.com' }), audit('Add user'));
    });

    it('updates and clears every kind of column', async () => {
      const record = newUser({
        userPrincipalName: 'kj@contoso.com',
        displayName: 'Katherine Johnson',
        givenName: 'Katherine',
        surname: 'Johnson',
        mail: 'kj@contoso.com',
        mailNickname: 'kj',
        jobTitle: 'Mathematician',
        officeLocation: 'Langley',
        preferredLanguage: 'en-US',
        mobilePhone: '+1 5550100',
        businessPhones: ['+1 5550199'],
        otherMails: ['kj@example.org'],
      });
      await users.insert(record, audit('Add user'));

      const set: UserRecordChanges = {
        updatedAt: '2024-06-01T00:00:00.000Z',
        displayName: 'K. Johnson',
        givenName: 'Kathy',
        surname: 'Goble',
        mail: 'kathy@contoso.com',
        mailNickname: 'kathy',
        jobTitle: 'Engineer',
        officeLocation: 'Hampton',
        preferredLanguage: 'fr-FR',
        accountEnabled: false,
        mobilePhone: '+1 5550111',
        businessPhones: ['+1 5550222'],
        otherMails: ['Kathy@Example.org', 'goble@example.net'],
      };
      await users.update(record.id, set, audit('Update user'));
      expect(await users.findById(record.id)).toEqual({
        ...publicView(record),
        displayName: 'K. Johnson',
        givenName: 'Kathy',
        surname: 'Goble',
        mail: 'kathy@contoso.com',
        mailNickname: 'kathy',
        jobTitle: 'Engineer',
        officeLocation: 'Hampton',
        preferredLanguage: 'fr-FR',
        accountEnabled: false,
        mobilePhone: '+1 5550111',
        businessPhones: ['+1 5550222'],
        otherMails: ['Kathy@Example.org', 'goble@example.net'],
      });
      expect(await otherMailKeys(db, record.id)).toEqual(['goble@example.net', 'kathy@example.org']);

      await users.update(
        record.id,
        {
          updatedAt: '2024-06-02T00:00:00.000Z',
          givenName: null,
          surname: null,
          mail: null,
          mailNickname: null,
          jobTitle: null,
          officeLocation: null,
          preferredLanguage: null,
          accountEnabled: true,
          mobilePhone: null,
          businessPhones: [],
          otherMails: [],
        },
        audit('Update user'),
      );
      expect(await users.findById(record.id)).toEqual({
        ...publicView(record),
        displayName: 'K. Johnson',
        givenName: null,
        surname: null,
        mail: null,
        mailNickname: null,
        jobTitle: null,
        officeLocation: null,
        preferredLanguage: null,
        accountEnabled: true,
        mobilePhone: null,
        businessPhones: [],
        otherMails: [],
      });
      expect(await otherMailKeys(db, record.id)).toEqual([]);
      const row = await db
        .selectFrom('users')
        .select(['updated_at', 'business_phone'])
        .where('id', '=', record.id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ updated_at: '2024-06-02T00:00:00.000Z', business_phone: null });
    });

    it('leaves absent properties alone and updates the credential fields', async () => {
      const record = newUser({
        userPrincipalName: 'keep@contoso.com',
        jobTitle: 'Kept',
        otherMails: ['kept@example.org'],
      });
      await users.insert(record, audit('Add user'));
      await users.update(
        record.id,
        {
          updatedAt: '2024-07-01T00:00:00.000Z',
          passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA',
          passwordChangedAt: '2024-07-01T00:00:00.000Z',
          forceChangePassword: true,
        },
        audit('Reset password'),
      );
      expect(await users.findById(record.id)).toEqual(publicView(record));
      expect(await otherMailKeys(db, record.id)).toEqual(['kept@example.org']);
      const row = await db
        .selectFrom('users')
        .select(['password_hash', 'password_changed_at', 'force_change_password'])
        .where('id', '=', record.id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({
        password_hash: '$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA',
        password_changed_at: '2024-07-01T00:00:00.000Z',
        force_change_password: 1,
      });
    });

    it('replaces other mails in order and keeps the index table in step, case-insensitively and without duplicates', async () => {
      const record = newUser({
        userPrincipalName: 'mails@contoso.com',
        otherMails: ['a@example.org', 'b@example.org'],
      });
      await users.insert(record, audit('Add user'));
      await users.update(
        record.id,
        { updatedAt: '2024-02-01T00:00:00.000Z', otherMails: ['C@Example.org', 'b@example.org', 'c@example.org'] },
        audit('Update user'),
      );
      expect((await users.findById(record.id))?.otherMails).toEqual([
        'C@Example.org',
        'b@example.org',
        'c@example.org',
      ]);
      expect(await otherMailKeys(db, record.id)).toEqual(['b@example.org', 'c@example.org']);
      const byOld = await users.list({
        top: 10,
        filter: { kind: 'any', property: 'otherMails', operator: 'eq', value: 'a@example.org' },
      });
      expect(byOld).toEqual([]);
      const byNew = await users.list({
        top: 10,
        filter: { kind: 'any', property: 'otherMails', operator: 'eq', value: 'c@EXAMPLE.org' },
      });
      expect(byNew.map((user) => user.id)).toEqual([record.id]);
    });

    it('keeps at most one business phone', async () => {
      const record = newUser({ userPrincipalName: 'phone@contoso.com' });
      await users.insert(record, audit('Add user'));
      expect((await users.findById(record.id))?.businessPhones).toEqual([]);
      await users.update(
        record.id,
        { updatedAt: '2024-02-01T00:00:00.000Z', businessPhones: ['+1 5550100'] },
        audit('Update user'),
      );
      expect((await users.findById(record.id))?.businessPhones).toEqual(['+1 5550100']);
      await users.update(
        record.id,
        { updatedAt: '2024-02-02T00:00:00.000Z', businessPhones: ['+1 5550199'] },
        audit('Update user'),
      );
      expect((await users.findById(record.id))?.businessPhones).toEqual(['+1 5550199']);
      await users.update(
        record.id,
        { updatedAt: '2024-02-03T00:00:00.000Z', businessPhones: [] },
        audit('Update user'),
      );
      expect((await users.findById(record.id))?.businessPhones).toEqual([]);
    });

    it('removes a user with its other mails, and reports a missing user without auditing', async () => {
      const record = newUser({ userPrincipalName: 'gone@contoso.com', otherMails: ['gone@example.org'] });
      const other = newUser({ userPrincipalName: 'stays@contoso.com', otherMails: ['stays@example.org'] });
      await users.insert(record, audit('Add user'));
      await users.insert(other, audit('Add user'));

      expect(await users.remove(record.id, audit('Delete user'))).toBe(true);
      expect(await users.findById(record.id)).toBeUndefined();
      expect(await users.findByUserPrincipalName('gone@contoso.com')).toBeUndefined();
      expect(await otherMailKeys(db, record.id)).toEqual([]);
      expect(await otherMailKeys(db, other.id)).toEqual(['stays@example.org']);
      expect(await auditRows(db)).toHaveLength(3);

      expect(await users.remove(record.id, audit('Delete user'))).toBe(false);
      expect(await auditRows(db)).toHaveLength(3);
    });

    it('refuses to update a user that does not exist, writing no audit event', async () => {
      const error = await rejection(
        users.update(randomUUID(), { updatedAt: '2024-02-01T00:00:00.000Z', jobTitle: 'Ghost' }, audit('Update user')),
      );
      expect(error).toMatchObject({ code: 'resource_not_found' });
      expect(await auditRows(db)).toHaveLength(0);
    });

    it('rolls the change back when its audit event cannot be written', async () => {
      const record = newUser({
        userPrincipalName: 'atomic@contoso.com',
        jobTitle: 'Before',
        otherMails: ['before@example.org'],
      });
      await expect(users.insert(record, unwritableAudit())).rejects.toThrow();
      expect(await userCount(db)).toBe(0);
      expect(await otherMailKeys(db, record.id)).toEqual([]);
      expect(await auditRows(db)).toHaveLength(0);

      await users.insert(record, audit('Add user'));
      await expect(
        users.update(
          record.id,
          { updatedAt: '2024-02-01T00:00:00.000Z', jobTitle: 'After', otherMails: ['after@example.org'] },
          unwritableAudit(),
        ),
      ).rejects.toThrow();
      expect(await users.findById(record.id)).toEqual(publicView(record));
      expect(await otherMailKeys(db, record.id)).toEqual(['before@example.org']);

      await expect(users.remove(record.id, unwritableAudit())).rejects.toThrow();
      expect(await users.findById(record.id)).toEqual(publicView(record));
      expect(await auditRows(db)).toHaveLength(1);
    });
  });

  describe('queries', () => {
    let database: TestDatabase;
    let users: SqlUserRepository;
    const ids = {
      ada: '00000000-0000-4000-8000-000000000001',
      grace: '00000000-0000-4000-8000-000000000002',
      alanUnderscore: '00000000-0000-4000-8000-000000000003',
      alanX: '00000000-0000-4000-8000-000000000004',
      katherine: '00000000-0000-4000-8000-000000000005',
      dos: '00000000-0000-4000-8000-000000000006',
      emile: '00000000-0000-4000-8000-000000000007',
    } as const;
    type Name = keyof typeof ids;
    const all = Object.keys(ids) as Name[];

    beforeAll(async () => {
      database = await dialect.create();
      users = new SqlUserRepository(database.store.db);
      const fixtures: NewUserRecord[] = [
        newUser({
          id: ids.ada,
          userPrincipalName: 'ada@contoso.com',
          displayName: 'Ada Lovelace',
          givenName: 'Ada',
          surname: 'Lovelace',
          mail: 'Ada@Contoso.com',
          jobTitle: 'Engineer',
          officeLocation: 'London',
          preferredLanguage: 'en-GB',
          mobilePhone: '+44 7700900001',
          businessPhones: ['+44 2079460001'],
          otherMails: ['Ada.Home@Example.org', 'ada@work.example'],
          createdDateTime: '2024-01-01T00:00:00.000Z',
        }),
        newUser({
          id: ids.grace,
          userPrincipalName: 'Grace@contoso.com',
          displayName: 'Grace Hopper',
          accountEnabled: false,
          createdDateTime: '2024-02-01T00:00:00.000Z',
          onPremisesSyncEnabled: true,
          onPremisesImmutableId: 'AbC+123==',
        }),
        newUser({
          id: ids.alanUnderscore,
          userPrincipalName: 'alan_turing@contoso.com',
          displayName: '100% Turing',
          jobTitle: 'engineer',
          mobilePhone: '+44 7700900003',
          createdDateTime: '2024-03-01T00:00:00.000Z',
          onPremisesSyncEnabled: false,
        }),
        newUser({
          id: ids.alanX,
          userPrincipalName: 'alanXturing@contoso.com',
          displayName: '100X Turing',
          jobTitle: 'Cryptanalyst',
          createdDateTime: '2024-03-15T12:30:00.000Z',
        }),
        newUser({
          id: ids.katherine,
          userPrincipalName: 'katherine@contoso.com',
          displayName: 'Katherine Johnson',
          mail: 'kj@contoso.com',
          jobTitle: 'ENGINEER',
          businessPhones: ['+1 5550100'],
          otherMails: ['KJ@Example.org'],
          createdDateTime: '2024-04-01T00:00:00.000Z',
        }),
        newUser({
          id: ids.dos,
          userPrincipalName: 'dos@contoso.com',
          displayName: 'C:\\DOS User',
          createdDateTime: '2024-05-01T00:00:00.000Z',
        }),
        newUser({
          id: ids.emile,
          userPrincipalName: 'emile@contoso.com',
          displayName: 'Émile Zola',
          givenName: 'Émile',
          surname: 'Zola',
          createdDateTime: '2024-05-01T00:00:00.000Z',
        }),
      ];
      for (const fixture of fixtures) await users.insert(fixture, audit('Add user'));
    });
    afterAll(async () => {
      await database.dispose();
    });

    const eq = (property: FilterableScalarProperty, value: FilterValue): UserFilter => ({
      kind: 'eq',
      property,
      value,
    });
    const not = (clause: UserFilter): UserFilter => ({ kind: 'not', clause });
    const but = (...excluded: Name[]): Name[] => all.filter((name) => !excluded.includes(name));

    const filterCases: readonly [string, UserFilter, readonly Name[]][] = [
      ['eq on a string, case-insensitively', eq('displayName', 'ada LOVELACE'), ['ada']],
      ['eq on the user principal name, case-insensitively', eq('userPrincipalName', 'GRACE@CONTOSO.COM'), ['grace']],
      ['eq on mail, case-insensitively', eq('mail', 'ada@contoso.COM'), ['ada']],
      ['eq on id', eq('id', ids.katherine), ['katherine']],
      ['eq beyond ASCII, case-insensitively', eq('displayName', 'ÉMILE ZOLA'), ['emile']],
      [
        'startsWith beyond ASCII, case-insensitively',
        { kind: 'startsWith', property: 'givenName', value: 'ém' },
        ['emile'],
      ],
      [
        'in beyond ASCII, case-insensitively',
        { kind: 'in', property: 'displayName', values: ['émile zola'] },
        ['emile'],
      ],
      ['eq on a phone', eq('mobilePhone', '+44 7700900001'), ['ada']],
      ['eq on a case-insensitive job title', eq('jobTitle', 'Engineer'), ['ada', 'alanUnderscore', 'katherine']],
      ['eq null matches unset values', eq('jobTitle', null), ['grace', 'dos', 'emile']],
      [
        'ne null matches set values',
        { kind: 'ne', property: 'jobTitle', value: null },
        ['ada', 'alanUnderscore', 'alanX', 'katherine'],
      ],
      [
        'ne matches other and unset values',
        { kind: 'ne', property: 'jobTitle', value: 'engineer' },
        ['grace', 'alanX', 'dos', 'emile'],
      ],
      ['eq on a boolean', eq('accountEnabled', false), ['grace']],
      ['eq true on a boolean', eq('accountEnabled', true), but('grace')],
      ['ne on a boolean', { kind: 'ne', property: 'accountEnabled', value: true }, ['grace']],
      ['eq true on a nullable boolean', eq('onPremisesSyncEnabled', true), ['grace']],
      ['eq false on a nullable boolean', eq('onPremisesSyncEnabled', false), ['alanUnderscore']],
      [
        'eq null on a nullable boolean',
        eq('onPremisesSyncEnabled', null),
        ['ada', 'alanX', 'katherine', 'dos', 'emile'],
      ],
      [
        'ne true on a nullable boolean includes unset',
        { kind: 'ne', property: 'onPremisesSyncEnabled', value: true },
        but('grace'),
      ],
      ['eq on the immutable id', eq('onPremisesImmutableId', 'AbC+123=='), ['grace']],
      [
        'in, case-insensitively',
        { kind: 'in', property: 'displayName', values: ['ADA LOVELACE', 'grace hopper', 'nobody'] },
        ['ada', 'grace'],
      ],
      [
        'in with null',
        { kind: 'in', property: 'jobTitle', values: ['cryptanalyst', null] },
        ['grace', 'alanX', 'dos', 'emile'],
      ],
      ['in with only null', { kind: 'in', property: 'jobTitle', values: [null] }, ['grace', 'dos', 'emile']],
      ['in with no values', { kind: 'in', property: 'jobTitle', values: [] }, []],
      ['in on a boolean', { kind: 'in', property: 'accountEnabled', values: [false] }, ['grace']],
      [
        'in on user principal names',
        { kind: 'in', property: 'userPrincipalName', values: ['ADA@contoso.com', 'grace@CONTOSO.com'] },
        ['ada', 'grace'],
      ],
      ['startsWith, case-insensitively', { kind: 'startsWith', property: 'displayName', value: 'ada' }, ['ada']],
      [
        'startsWith on the user principal name',
        { kind: 'startsWith', property: 'userPrincipalName', value: 'ALAN' },
        ['alanUnderscore', 'alanX'],
      ],
      [
        'startsWith treats % literally',
        { kind: 'startsWith', property: 'displayName', value: '100%' },
        ['alanUnderscore'],
      ],
      [
        'startsWith treats _ literally',
        { kind: 'startsWith', property: 'userPrincipalName', value: 'alan_' },
        ['alanUnderscore'],
      ],
      ['startsWith treats \\ literally', { kind: 'startsWith', property: 'displayName', value: 'c:\\d' }, ['dos']],
      [
        'startsWith on a phone',
        { kind: 'startsWith', property: 'mobilePhone', value: '+44 77009' },
        ['ada', 'alanUnderscore'],
      ],
      [
        'startsWith on a mixed-case immutable id',
        { kind: 'startsWith', property: 'onPremisesImmutableId', value: 'AbC+' },
        ['grace'],
      ],
      [
        'and',
        {
          kind: 'and',
          clauses: [eq('jobTitle', 'engineer'), { kind: 'startsWith', property: 'userPrincipalName', value: 'a' }],
        },
        ['ada', 'alanUnderscore'],
      ],
      [
        'or',
        {
          kind: 'or',
          clauses: [
            eq('displayName', 'Grace Hopper'),
            { kind: 'startsWith', property: 'userPrincipalName', value: 'kath' },
          ],
        },
        ['grace', 'katherine'],
      ],
      ['not', not(eq('accountEnabled', true)), ['grace']],
      [
        'not over eq includes users without the property',
        not(eq('jobTitle', 'engineer')),
        ['grace', 'alanX', 'dos', 'emile'],
      ],
      [
        'not over startsWith includes users without the property',
        not({ kind: 'startsWith', property: 'mobilePhone', value: '+44' }),
        ['grace', 'alanX', 'katherine', 'dos', 'emile'],
      ],
      [
        'not over in includes users without the property',
        not({ kind: 'in', property: 'jobTitle', values: ['cryptanalyst'] }),
        but('alanX'),
      ],
      [
        'not over and',
        not({ kind: 'and', clauses: [eq('jobTitle', 'engineer'), eq('mail', 'kj@contoso.com')] }),
        but('katherine'),
      ],
      [
        'any otherMails eq, case-insensitively',
        { kind: 'any', property: 'otherMails', operator: 'eq', value: 'ada.home@EXAMPLE.org' },
        ['ada'],
      ],
      [
        'any otherMails eq on the second address',
        { kind: 'any', property: 'otherMails', operator: 'eq', value: 'ADA@work.example' },
        ['ada'],
      ],
      [
        'any otherMails startsWith, case-insensitively',
        { kind: 'any', property: 'otherMails', operator: 'startsWith', value: 'kj@' },
        ['katherine'],
      ],
      [
        'any otherMails startsWith treats _ literally',
        { kind: 'any', property: 'otherMails', operator: 'startsWith', value: 'ada_' },
        [],
      ],
      [
        'any businessPhones eq',
        { kind: 'any', property: 'businessPhones', operator: 'eq', value: '+1 5550100' },
        ['katherine'],
      ],
      [
        'any businessPhones startsWith',
        { kind: 'any', property: 'businessPhones', operator: 'startsWith', value: '+44' },
        ['ada'],
      ],
      [
        'not over any businessPhones includes users without phones',
        not({ kind: 'any', property: 'businessPhones', operator: 'eq', value: '+1 5550100' }),
        but('katherine'),
      ],
      [
        'not over any otherMails includes users without other mails',
        not({ kind: 'any', property: 'otherMails', operator: 'startsWith', value: 'kj' }),
        but('katherine'),
      ],
      [
        'createdDateTime ge is inclusive',
        { kind: 'ge', property: 'createdDateTime', value: '2024-03-15T12:30:00.000Z' },
        ['alanX', 'katherine', 'dos', 'emile'],
      ],
      [
        'createdDateTime gt is exclusive',
        { kind: 'gt', property: 'createdDateTime', value: '2024-03-15T12:30:00.000Z' },
        ['katherine', 'dos', 'emile'],
      ],
      [
        'createdDateTime le is inclusive',
        { kind: 'le', property: 'createdDateTime', value: '2024-02-01T00:00:00.000Z' },
        ['ada', 'grace'],
      ],
      [
        'createdDateTime lt is exclusive',
        { kind: 'lt', property: 'createdDateTime', value: '2024-02-01T00:00:00.000Z' },
        ['ada'],
      ],
      [
        'createdDateTime between',
        {
          kind: 'and',
          clauses: [
            { kind: 'ge', property: 'createdDateTime', value: '2024-02-01T00:00:00.000Z' },
            { kind: 'le', property: 'createdDateTime', value: '2024-03-31T23:59:59.999Z' },
          ],
        },
        ['grace', 'alanUnderscore', 'alanX'],
      ],
    ];

    it.each(filterCases)('filters with %s, and counts the same', async (_title, filter, expected) => {
      const found = await users.list({ top: 100, filter });
      const expectedIds = expected.map((name) => ids[name]).sort();
      expect(found.map((user) => user.id)).toEqual(expectedIds);
      expect(await users.count({ filter })).toBe(expected.length);
    });

    const searchCases: readonly [string, readonly UserSearchTerm[], readonly Name[]][] = [
      ['the first word of a display name', [{ property: 'displayName', text: 'ada' }], ['ada']],
      ['a later word of a display name', [{ property: 'displayName', text: 'love' }], ['ada']],
      ['in any case', [{ property: 'displayName', text: 'HOPP' }], ['grace']],
      ['in any case beyond ASCII', [{ property: 'displayName', text: 'ÉMI' }], ['emile']],
      ['not the middle of a word', [{ property: 'displayName', text: 'ovelace' }], []],
      ['a word shared by two users', [{ property: 'displayName', text: 'turing' }], ['alanUnderscore', 'alanX']],
      [
        'terms ANDed together, with _ literal',
        [
          { property: 'displayName', text: 'turing' },
          { property: 'userPrincipalName', text: 'alan_' },
        ],
        ['alanUnderscore'],
      ],
      ['% literal', [{ property: 'displayName', text: '100%' }], ['alanUnderscore']],
      ['the user principal name in any case', [{ property: 'userPrincipalName', text: 'GRACE' }], ['grace']],
      ['mail', [{ property: 'mail', text: 'kj' }], ['katherine']],
      ['given name', [{ property: 'givenName', text: 'Ad' }], ['ada']],
      ['surname', [{ property: 'surname', text: 'love' }], ['ada']],
      ['mobile phone', [{ property: 'mobilePhone', text: '+44' }], ['ada', 'alanUnderscore']],
    ];

    it.each(searchCases)('searches %s, and counts the same', async (_title, search, expected) => {
      const found = await users.list({ top: 100, search });
      expect(found.map((user) => user.id)).toEqual(expected.map((name) => ids[name]).sort());
      expect(await users.count({ search })).toBe(expected.length);
    });

    it('combines a filter with a search, and counts everything without either', async () => {
      const query = {
        filter: eq('jobTitle', 'engineer'),
        search: [{ property: 'displayName', text: 'turing' }] as const,
      };
      expect((await users.list({ top: 100, ...query })).map((user) => user.id)).toEqual([ids.alanUnderscore]);
      expect(await users.count(query)).toBe(1);
      expect(await users.count({})).toBe(all.length);
    });

    it('returns up to top + 1 rows', async () => {
      expect(await users.list({ top: 2 })).toHaveLength(3);
      expect(await users.list({ top: 100 })).toHaveLength(all.length);
    });
  });

  // SQLite's query planner only (PostgreSQL plans by statistics): registered for the SQLite dialect alone.
  (dialect.name === 'sqlite' ? it : () => undefined)(
    'seeks the display name index to a later page instead of scanning it from the start',
    async () => {
      const database = await dialect.create();
      try {
        const sqlite = database.store.sqlite;
        if (!sqlite) throw new Error('no SQLite handle');
        const prepared: string[] = [];
        const prepare = sqlite.prepare.bind(sqlite);
        sqlite.prepare = ((text: string) => {
          prepared.push(text);
          return prepare(text);
        }) as typeof sqlite.prepare;
        const users = new SqlUserRepository(database.store.db);
        await users.list({
          top: 25,
          orderBy: { property: 'displayName', direction: 'asc' },
          after: { sortValue: 'User 5', id: randomUUID() },
        });
        const text = prepared.find((sql) => sql.includes('order by "display_name"'));
        if (!text) throw new Error('the list statement was not prepared');
        const parameters = Array.from(text.matchAll(/\?/g), () => 'User 5');
        const plan = prepare(`explain query plan ${text}`).all(...parameters) as { detail: string }[];
        expect(plan.map((row) => row.detail).join('; ')).toContain(
          'SEARCH users USING INDEX users_display_name (display_name>?)',
        );
      } finally {
        await database.dispose();
      }
    },
  );

  describe('ordering and paging', () => {
    let database: TestDatabase;
    let users: SqlUserRepository;
    const stored: DirectoryUser[] = [];
    // Display names in one case and distinct first letters sort the same under any collation.
    const names = ['Echo', 'Alpha', 'Delta', 'Bravo', 'Charlie'];

    beforeAll(async () => {
      database = await dialect.create();
      users = new SqlUserRepository(database.store.db);
      for (let i = 0; i < 23; i++) {
        const number = String(i).padStart(2, '0');
        const record = newUser({
          // Ids deliberately out of step with names and user principal names.
          id: `00000000-0000-4000-8000-0000000000${String((i * 7) % 23).padStart(2, '0')}`,
          userPrincipalName: i % 2 === 0 ? `user${number}@contoso.com` : `USER${number}@Contoso.com`,
          displayName: names[i % names.length] as string,
        });
        await users.insert(record, audit('Add user'));
        stored.push(publicView(record));
      }
    });
    afterAll(async () => {
      await database.dispose();
    });

    function sortKey(user: DirectoryUser, order: UserOrder): string {
      return order.property === 'displayName' ? (user.displayName ?? '') : user.userPrincipalName.toLowerCase();
    }

    function expectedOrder(order: UserOrder, population: readonly DirectoryUser[] = stored): string[] {
      const sign = order.direction === 'asc' ? 1 : -1;
      return [...population]
        .sort((a, b) => {
          const byKey = sortKey(a, order) < sortKey(b, order) ? -1 : sortKey(a, order) > sortKey(b, order) ? 1 : 0;
          return sign * (byKey !== 0 ? byKey : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
        })
        .map((user) => user.id);
    }

    /** Pages like UserService.listUsers does: the cursor is the last row's sort key and id. */
    async function pageThrough(query: Omit<UserListQuery, 'after'>): Promise<{ ids: string[]; pages: number }> {
      const seen: string[] = [];
      let after: UserListQuery['after'];
      let pages = 0;
      for (;;) {
        pages++;
        if (pages > 100) throw new Error('paging does not end');
        const rows = await users.list({ ...query, ...(after && { after }) });
        const page = rows.slice(0, query.top);
        seen.push(...page.map((user) => user.id));
        if (rows.length <= query.top) return { ids: seen, pages };
        const last = page[page.length - 1] as DirectoryUser;
        after = {
          sortValue:
            query.orderBy?.property === 'displayName'
              ? last.displayName
              : query.orderBy
                ? last.userPrincipalName.toLowerCase()
                : null,
          id: last.id,
        };
      }
    }

    const orders: readonly UserOrder[] = [
      { property: 'displayName', direction: 'asc' },
      { property: 'displayName', direction: 'desc' },
      { property: 'userPrincipalName', direction: 'asc' },
      { property: 'userPrincipalName', direction: 'desc' },
    ];

    it.each(orders)('orders by $property $direction, ties broken by id', async (orderBy) => {
      const rows = await users.list({ top: 100, orderBy });
      expect(rows.map((user) => user.id)).toEqual(expectedOrder(orderBy));
    });

    it.each(orders)('pages by $property $direction visiting every user once', async (orderBy) => {
      for (const top of [1, 4, 5, 22, 23]) {
        const { ids: seen, pages } = await pageThrough({ top, orderBy });
        expect(seen).toEqual(expectedOrder(orderBy));
        expect(new Set(seen).size).toBe(stored.length);
        // Fetching top + 1 rows tells when a page is the last, so no empty page follows.
        expect(pages).toBe(Math.ceil(stored.length / top));
      }
    });

    it('pages by id when no order is given', async () => {
      const { ids: seen } = await pageThrough({ top: 4 });
      expect(seen).toEqual(stored.map((user) => user.id).sort());
    });

    it('pages a filtered list', async () => {
      const filter: UserFilter = { kind: 'in', property: 'displayName', values: ['alpha', 'delta'] };
      const orderBy: UserOrder = { property: 'displayName', direction: 'desc' };
      const { ids: seen } = await pageThrough({ top: 3, orderBy, filter });
      const population = stored.filter((user) => user.displayName === 'Alpha' || user.displayName === 'Delta');
      expect(seen).toEqual(expectedOrder(orderBy, population));
      expect(await users.count({ filter })).toBe(population.length);
    });

    it.each(orders.filter((order) => order.property === 'displayName'))(
      'pages by displayName $direction visiting users without a display name once',
      async (orderBy) => {
        const unnamed: DirectoryUser[] = [];
        for (let i = 0; i < 3; i++) {
          const record = newUser({
            id: `00000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`,
            userPrincipalName: `unnamed${i}@contoso.com`,
            displayName: null,
          });
          await users.insert(record, audit('Add user'));
          unnamed.push(publicView(record));
        }
        try {
          const { ids: seen } = await pageThrough({ top: 2, orderBy });
          expect([...seen].sort()).toEqual([...stored, ...unnamed].map((user) => user.id).sort());
          // A user without a display name sorts before every name, on every dialect.
          const unnamedIds = unnamed.map((user) => user.id).sort();
          const named = expectedOrder(orderBy);
          expect(seen).toEqual(
            orderBy.direction === 'asc' ? [...unnamedIds, ...named] : [...named, ...unnamedIds.reverse()],
          );
        } finally {
          for (const user of unnamed) await users.remove(user.id, audit('Delete user'));
        }
      },
    );
  });
});
