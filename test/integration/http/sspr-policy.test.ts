import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../support/test-container.js';

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
  ])('refuses %j with a 400 naming %s, and keeps the policy', async (body, field) => {
    const before = (await call('GET', '', reader)).json();
    const response = await call('PATCH', '', admin, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain(field);
    expect((await call('GET', '', reader)).json()).toEqual(before);
  });

  it('needs Policy.ReadWrite.AuthenticationMethod to change and a reader permission to read', async () => {
    expect((await call('PATCH', '', reader, { notifyUsersOnPasswordReset: false })).statusCode).toBe(403);
    expect((await call('GET', '', nobody)).statusCode).toBe(403);
    expect((await server.app.inject({ method: 'GET', url: '/api/admin/v1/passwordResetPolicy' })).statusCode).toBe(401);
  });
});
