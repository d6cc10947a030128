import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceCodeRecord } from '../../../src/domain/device-authorization.js';
import { SqlDeviceCodeRepository } from '../../../src/store/device-code-repository.js';
import { dialectsUnderTest, type TestDatabase } from '../../support/databases.js';

const userId = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
const created = '2026-01-05T09:00:00.000Z';
const expires = '2026-01-05T09:15:00.000Z';
const during = '2026-01-05T09:05:00.000Z';
const after = '2026-01-05T09:20:00.000Z';

function flow(id: string): DeviceCodeRecord {
  return {
    id,
    deviceCodeHash: `device-${id}`,
    userCodeHash: `user-${id}`,
    clientId: 'client',
    scopes: 'User.Read.All openid',
    status: 'pending',
    userId: null,
    createdAt: created,
    expiresAt: expires,
    lastPolledAt: null,
  };
}

describe.each(dialectsUnderTest)('SqlDeviceCodeRepository on $name', (dialect) => {
  let database: TestDatabase;
  let store: SqlDeviceCodeRepository;

  beforeAll(async () => {
    database = await dialect.create();
    store = new SqlDeviceCodeRepository(database.store.db);
    await database.store.db
      .insertInto('users')
      .values({
        id: userId,
        user_principal_name: 'ada@contoso.com',
        upn_key: 'ada@contoso.com',
        display_name: 'Ada',
        given_name: null,
        surname: null,
        mail: null,
        mail_nickname: 'ada',
        job_title: null,
        office_location: null,
        preferred_language: null,
        account_enabled: 1,
        mobile_phone: null,
        business_phone: null,
        other_mails: '[]',
        created_at: created,
        updated_at: created,
        on_premises_sync_enabled: null,
        on_premises_immutable_id: null,
        on_premises_last_sync_at: null,
        on_premises_distinguished_name: null,
        on_premises_sam_account_name: null,
        on_premises_user_principal_name: null,
        on_premises_domain_name: null,
        on_premises_security_identifier: null,
        password_hash: null,
        password_changed_at: null,
        force_change_password: 0,
      })
      .execute();
  });
  afterAll(async () => database.dispose());

  it('decides a pending flow once and redeems an approved one exactly once', async () => {
    await store.insert(flow('a'));
    expect(await store.findByUserCodeHash('user-a')).toMatchObject({ id: 'a', status: 'pending', userId: null });
    expect(await store.redeem('a', during)).toBe(false);
    expect(await store.decide('a', 'approved', userId, during)).toBe(true);
    expect(await store.decide('a', 'denied', userId, during)).toBe(false);
    const redeemed = await Promise.all([store.redeem('a', during), store.redeem('a', during)]);
    expect(redeemed.sort()).toEqual([false, true]);
    expect(await store.findByDeviceCodeHash('device-a')).toMatchObject({ status: 'redeemed', userId });
  });

  it('neither approves nor redeems an expired flow, and records polls', async () => {
    await store.insert(flow('b'));
    await store.recordPoll('b', during);
    expect((await store.findByDeviceCodeHash('device-b'))?.lastPolledAt).toBe(during);
    expect(await store.decide('b', 'approved', userId, after)).toBe(false);
    await store.insert(flow('c'));
    expect(await store.decide('c', 'approved', userId, during)).toBe(true);
    expect(await store.redeem('c', after)).toBe(false);
  });

  it('consumes a refresh token once, and never an expired one', async () => {
    const token = { userId, clientId: 'client', scopes: 'User.Read', createdAt: created, expiresAt: expires };
    await store.insertRefreshToken({ ...token, tokenHash: 'r1' });
    const [first, second] = await Promise.all([
      store.consumeRefreshToken('r1', during),
      store.consumeRefreshToken('r1', during),
    ]);
    expect([first, second].filter(Boolean)).toEqual([{ ...token, tokenHash: 'r1' }]);
    await store.insertRefreshToken({ ...token, tokenHash: 'r2' });
    expect(await store.consumeRefreshToken('r2', after)).toBeUndefined();
    expect(await store.consumeRefreshToken('unknown', during)).toBeUndefined();
  });
});
