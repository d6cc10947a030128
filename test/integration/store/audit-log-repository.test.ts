import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventDraft } from '../../../src/domain/audit.js';
import { SqlAuditLogRepository } from '../../../src/store/audit-log-repository.js';
import { insertAuditEvent } from '../../../src/store/audit-writer.js';
import { dialectsUnderTest, type TestDatabase } from '../../support/databases.js';

function draft(fields: Partial<AuditEventDraft>): AuditEventDraft {
  return {
    activityDisplayName: 'Add user',
    category: 'UserManagement',
    loggedByService: 'Core Directory',
    operationType: 'Add',
    result: 'success',
    resultReason: '',
    initiatedBy: { user: { id: null, userPrincipalName: 'Ops_1%@contoso.com', ipAddress: null } },
    targetResources: [],
    correlationId: 'c',
    ...fields,
  };
}

describe.each(dialectsUnderTest)('SqlAuditLogRepository on $name', (dialect) => {
  let database: TestDatabase;
  let events: SqlAuditLogRepository;

  beforeAll(async () => {
    database = await dialect.create();
    events = new SqlAuditLogRepository(database.store.db);
    const db = database.store.db;
    await insertAuditEvent(db, draft({}), new Date('2024-01-01T00:00:00Z'));
    await insertAuditEvent(
      db,
      draft({
        activityDisplayName: 'Admin registered security info',
        loggedByService: 'Authentication Methods',
        initiatedBy: { app: { appId: 'app-1', displayName: null } },
        targetResources: [
          {
            id: 'target-1',
            displayName: 'T',
            type: 'User',
            userPrincipalName: 't@contoso.com',
            modifiedProperties: [{ displayName: 'x', oldValue: null, newValue: '{"id":"target-2"}' }],
          },
        ],
      }),
      new Date('2024-02-01T00:00:00Z'),
    );
    await insertAuditEvent(
      db,
      draft({
        result: 'failure',
        initiatedBy: { user: { id: null, userPrincipalName: 'OpsX1x@contoso.com', ipAddress: null } },
      }),
      new Date('2024-03-01T00:00:00Z'),
    );
  });
  afterAll(async () => database.dispose());

  const times = async (filter: Parameters<SqlAuditLogRepository['list']>[0]['filter']) =>
    (await events.list({ top: 10, ...(filter && { filter }) })).map((row) => row.event.activityDateTime.slice(0, 7));

  it('lists newest first and pages on seq', async () => {
    expect(await times(undefined)).toEqual(['2024-03', '2024-02', '2024-01']);
    const first = await events.list({ top: 1 });
    expect(first).toHaveLength(2);
    const rest = await events.list({ top: 5, beforeSeq: (first[0] as { seq: number }).seq });
    expect(rest.map((row) => row.event.activityDateTime.slice(0, 7))).toEqual(['2024-02', '2024-01']);
  });

  it('filters on columns, time ranges and JSON members, with LIKE wildcards taken literally', async () => {
    expect(await times([{ kind: 'eq', property: 'result', value: 'failure' }])).toEqual(['2024-03']);
    expect(
      await times([
        { kind: 'ge', property: 'activityDateTime', value: '2024-02-01T00:00:00.000Z' },
        { kind: 'lt', property: 'activityDateTime', value: '2024-03-01T00:00:00.000Z' },
      ]),
    ).toEqual(['2024-02']);
    expect(
      await times([{ kind: 'eq', property: 'initiatedByUserPrincipalName', value: 'ops_1%@CONTOSO.com' }]),
    ).toEqual(['2024-01']);
    expect(await times([{ kind: 'eq', property: 'targetResourceId', value: 'target-1' }])).toEqual(['2024-02']);
    expect(await times([{ kind: 'eq', property: 'targetResourceId', value: 'target-2' }])).toEqual([]);
  });

  it('maps the row to the directoryAudit shape', async () => {
    const [row] = await events.list({
      top: 1,
      filter: [{ kind: 'eq', property: 'targetResourceId', value: 'target-1' }],
    });
    expect(row?.event.initiatedBy).toEqual({
      app: { appId: 'app-1', displayName: null, servicePrincipalId: null, servicePrincipalName: null },
      user: null,
    });
    expect(row?.event.targetResources[0]).toMatchObject({
      id: 'target-1',
      groupType: null,
      userPrincipalName: 't@contoso.com',
    });
  });

  it('prunes events older than an instant', async () => {
    expect(await events.prune(new Date('2024-02-15T00:00:00Z'))).toBe(2);
    expect(await times(undefined)).toEqual(['2024-03']);
  });
});
