import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../support/test-container.js';

describe('users API smoke', () => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await createTestServer();
    token = await server.tokenFor(['User.ReadWrite.All']);
  });
  afterAll(async () => server.close());

  it('creates, patches and reads a user', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const created = await server.app.inject({
      method: 'POST',
      url: '/v1.0/users',
      headers: auth,
      payload: {
        accountEnabled: true,
        displayName: 'Ada Lovelace',
        mailNickname: 'ada',
        userPrincipalName: 'ada@contoso.com',
        passwordProfile: { password: 'Analytical-Engine-1843' },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const patched = await server.app.inject({
      method: 'PATCH',
      url: '/v1.0/users/ada@contoso.com',
      headers: auth,
      payload: { mobilePhone: '+1 4251234567', businessPhones: ['+1 4255550100'], otherMails: ['ada@example.org'] },
    });
    expect(patched.statusCode, patched.body).toBe(204);
    const read = await server.app.inject({
      method: 'GET',
      url: '/v1.0/users/ada@contoso.com?$select=businessPhones,mobilePhone,otherMails',
      headers: auth,
    });
    expect(read.json()).toMatchObject({
      businessPhones: ['+1 4255550100'],
      mobilePhone: '+1 4251234567',
      otherMails: ['ada@example.org'],
    });
  });
});
