import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

describe('password reset policy admin API', () => {
  let server: TestServer;
  let admin: string;
  let reader: string;
  let nobody: string;
  beforeAll(async () => {
    server = await createTestServer();
    [admin, reader, nobody] = await Promise.all([
      server.tokenFor(['Policy.ReadWrite.AuthenticationMethod']),
      server.tokenFor(['Directory.Read.All']),
      server.tokenFor(['User.Read.All']),
    ]);
  });
  afterAll(async () => server.close());

  const call = (method: 'GET' | 'PATCH', path: string, token: string, payload?: Record<string, unknown>) =>
    server.app.inject({
      method,
      url: `/api/admin/v1/passwordResetPolicy${path}`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload ? { payload } : {}),
    });

  it('shows the defaults of SPEC section 5', async () => {
    const response = await call('GET', '', reader);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      enablementType: 'all',
      numberOfAuthenticationMethodsRequired: 1,
      emailOptionEnabled: true,
      mobilePhoneOptionEnabled: true,
      numberOfQuestionsToRegister: 3,
      numberOfQuestionsToReset: 3,
      registrationReconfirmIntervalInDays: 180,
      writebackEnabled: true,
      allowUnlockWithoutReset: false,
      customBannedPasswords: [],
    });
  });

  it('changes fields, keeps history and audits the change with old and new values', async () => {
    const changed = await call('PATCH', '', admin, {
      numberOfAuthenticationMethodsRequired: 2,
      officePhoneOptionEnabled: true,
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ numberOfAuthenticationMethodsRequired: 2, officePhoneOptionEnabled: true });
    expect((await call('GET', '', reader)).json().numberOfAuthenticationMethodsRequired).toBe(2);
    const history = (await call('GET', '/history', reader)).json().value;
    expect(history[0].policy.numberOfAuthenticationMethodsRequired).toBe(2);
    const audit = await server.container.database.db
      .selectFrom('audit_events')
      .select(['activity_display_name', 'target_resources'])
      .where('category', '=', 'Policy')
      .executeTakeFirstOrThrow();
    expect(audit.activity_display_name).toBe('Update password reset policy');
    expect(JSON.parse(audit.target_resources)[0].modifiedProperties).toEqual(
      expect.arrayContaining([{ displayName: 'numberOfAuthenticationMethodsRequired', oldValue: '1', newValue: '2' }]),
    );
  });

  it.each([
    [{ numberOfQuestionsToRegister: 3, numberOfQuestionsToReset: 4 }, 'numberOfQuestionsToRegister'],
    [{ numberOfQuestionsToReset: 7 }, 'numberOfQuestionsToReset'],
    [
      { emailOptionEnabled: false, mobilePhoneOptionEnabled: false, officePhoneOptionEnabled: false },
      'numberOfAuthenticationMethodsRequired',
    ],
    [{ favouriteColour: 'blue' }, 'favouriteColour'],
    [{ customBannedPasswords: ['abc'] }, 'customBannedPasswords'],
  ])('refuses %j with a 400 naming %s, and keeps the policy', async (body, field) => {
    const before = (await call('GET', '', reader)).json();
    const response = await call('PATCH', '', admin, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain(field);
    expect((await call('GET', '', reader)).json()).toEqual(before);
  });

  it('stores custom banned passwords lowercase and refuses an admin reset to one of them', async () => {
    const changed = await call('PATCH', '', admin, { customBannedPasswords: ['Fabrikam', 'fabrikam', 'Northwind'] });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().customBannedPasswords).toEqual(['fabrikam', 'northwind']);
    await server.container.users.createUser(operator, {
      userPrincipalName: 'katherine@contoso.com',
      displayName: 'Katherine Johnson',
      accountEnabled: true,
      mailNickname: 'katherine',
      passwordProfile: { password: 'Orbital-Mechanics-1962', forceChangePasswordNextSignIn: false },
    });
    const writer = await server.tokenFor(['UserAuthenticationMethod.ReadWrite.All']);
    const reset = (newPassword: string) =>
      server.app.inject({
        method: 'POST',
        url: '/v1.0/users/katherine@contoso.com/authentication/methods/28c10230-6103-485e-b985-444c60001490/resetPassword',
        headers: { authorization: `Bearer ${writer}` },
        payload: { newPassword },
      });
    expect((await reset('F@brikam-24')).statusCode).toBe(400);
    expect((await reset('Slide-Rule-Kx7!mPq')).statusCode).toBe(202);
  });

  it('needs Policy.ReadWrite.AuthenticationMethod to change and a reader permission to read', async () => {
    expect((await call('PATCH', '', reader, { notifyUsersOnPasswordReset: false })).statusCode).toBe(403);
    expect((await call('GET', '', nobody)).statusCode).toBe(403);
    expect((await server.app.inject({ method: 'GET', url: '/api/admin/v1/passwordResetPolicy' })).statusCode).toBe(401);
  });
});

describe('security questions admin API', () => {
  let server: TestServer;
  let admin: string;
  let reader: string;
  beforeAll(async () => {
    server = await createTestServer();
    [admin, reader] = await Promise.all([
      server.tokenFor(['Policy.ReadWrite.AuthenticationMethod']),
      server.tokenFor(['Directory.Read.All']),
    ]);
  });
  afterAll(async () => server.close());

  const questions = (method: 'GET' | 'POST' | 'DELETE', token: string, path = '', payload?: Record<string, unknown>) =>
    server.app.inject({
      method,
      url: `/api/admin/v1/securityQuestions${path}`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload ? { payload } : {}),
    });

  it('lists the 35 predefined questions and manages up to 20 custom ones', async () => {
    expect((await questions('GET', reader)).json().value).toHaveLength(35);
    const added = await questions('POST', admin, '', { text: 'What was the name of our first office dog?' });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ custom: true, text: 'What was the name of our first office dog?' });
    expect((await questions('GET', reader)).json().value).toHaveLength(36);
    expect((await questions('POST', admin, '', { text: 'ab' })).statusCode).toBe(400);
    expect((await questions('POST', reader, '', { text: 'A reader cannot add this?' })).statusCode).toBe(403);
    for (let i = 1; i < 20; i++)
      expect((await questions('POST', admin, '', { text: `Custom question number ${i}?` })).statusCode).toBe(201);
    const over = await questions('POST', admin, '', { text: 'One too many?' });
    expect(over.statusCode).toBe(400);
    expect(over.json().error.message).toContain('at most 20');
    expect((await questions('DELETE', admin, `/${added.json().id}`)).statusCode).toBe(204);
    expect((await questions('DELETE', admin, `/${added.json().id}`)).statusCode).toBe(404);
  });
});
