import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

const mobileId = '3179e48a-750b-4051-897c-87b9720928f7';
const alternateMobileId = 'b6332ec1-7057-4abe-9331-3d72feddfe41';
const emailId = '3ddfcfc8-9383-446f-83cc-3ab9be4be18f';
const passwordId = '28c10230-6103-485e-b985-444c60001490';

describe('Graph authentication methods API', () => {
  let server: TestServer;
  let writer: string;
  let reader: string;
  let userOnly: string;
  const upn = 'grace@contoso.com';

  beforeAll(async () => {
    server = await createTestServer();
    [writer, reader, userOnly] = await Promise.all([
      server.tokenFor(['UserAuthenticationMethod.ReadWrite.All']),
      server.tokenFor(['UserAuthenticationMethod.Read.All']),
      server.tokenFor(['User.ReadWrite.All']),
    ]);
    await server.container.users.createUser(operator, {
      userPrincipalName: upn,
      displayName: 'Grace Hopper',
      accountEnabled: true,
      mailNickname: 'grace',
      passwordProfile: { password: 'Compiler-Pioneer-1952', forceChangePasswordNextSignIn: false },
    });
  });
  afterAll(async () => server.close());

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, token: string, payload?: unknown) =>
    server.app.inject({
      method,
      url: `/v1.0/users/${upn}/authentication${path}`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  it('adds, reads, updates and deletes phone methods with fixed ids, mobile first', async () => {
    const created = await call('POST', '/phoneMethods', writer, { phoneNumber: '+1 4255550100', phoneType: 'mobile' });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      id: mobileId,
      phoneNumber: '+1 4255550100',
      phoneType: 'mobile',
      smsSignInState: 'notSupported',
    });
    expect(
      (await call('POST', '/phoneMethods', writer, { phoneNumber: '+44 2071234567x12', phoneType: 'alternateMobile' }))
        .statusCode,
    ).toBe(201);

    const list = await call('GET', '/phoneMethods', reader);
    expect(list.json().value.map((m: { id: string }) => m.id)).toEqual([mobileId, alternateMobileId]);

    const patched = await call('PATCH', `/phoneMethods/${mobileId}`, writer, { phoneNumber: '+1 4255550111' });
    expect(patched.statusCode).toBe(204);
    expect(patched.body).toBe('');
    expect((await call('GET', `/phoneMethods/${mobileId}`, reader)).json().phoneNumber).toBe('+1 4255550111');

    expect((await call('DELETE', `/phoneMethods/${alternateMobileId}`, writer)).statusCode).toBe(204);
    expect((await call('GET', `/phoneMethods/${alternateMobileId}`, reader)).statusCode).toBe(404);
  });

  it.each([
    [
      'a second mobile',
      { phoneNumber: '+1 4255550199', phoneType: 'mobile' },
      "An authentication method of type 'mobile' already exists for this user.",
    ],
    ['a number without the space', { phoneNumber: '+14255550199', phoneType: 'office' }, '+CountryCode PhoneNumber'],
    [
      'an unknown phone type',
      { phoneNumber: '+1 4255550199', phoneType: 'pager' },
      "expected 'mobile', 'alternateMobile' or 'office'",
    ],
    [
      'a read-only property',
      { phoneNumber: '+1 4255550199', phoneType: 'office', smsSignInState: 'ready' },
      'read-only',
    ],
  ])('refuses %s with a Graph 400', async (_name, body, message) => {
    const response = await call('POST', '/phoneMethods', writer, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('Request_BadRequest');
    expect(response.json().error.message).toContain(message);
  });

  it('refuses alternateMobile without mobile, and changing phoneType', async () => {
    const other = 'alan@contoso.com';
    await server.container.users.createUser(operator, {
      userPrincipalName: other,
      displayName: 'Alan Turing',
      accountEnabled: true,
      mailNickname: 'alan',
      passwordProfile: { password: 'Enigma-Machine-1939', forceChangePasswordNextSignIn: false },
    });
    const post = (body: unknown) =>
      server.app.inject({
        method: 'POST',
        url: `/v1.0/users/${other}/authentication/phoneMethods`,
        headers: { authorization: `Bearer ${writer}` },
        payload: body as Record<string, unknown>,
      });
    const orphan = await post({ phoneNumber: '+1 4255550100', phoneType: 'alternateMobile' });
    expect(orphan.statusCode).toBe(400);
    expect(orphan.json().error.message).toBe('An alternate mobile phone method requires a mobile phone method first.');
    expect((await post({ phoneNumber: '+1 4255550100', phoneType: 'mobile' })).statusCode).toBe(201);
    const retype = await server.app.inject({
      method: 'PATCH',
      url: `/v1.0/users/${other}/authentication/phoneMethods/${mobileId}`,
      headers: { authorization: `Bearer ${writer}` },
      payload: { phoneNumber: '+1 4255550100', phoneType: 'office' },
    });
    expect(retype.statusCode).toBe(400);
    expect(retype.json().error.message).toContain('cannot be changed');
  });

  it('manages the one email method', async () => {
    const created = await call('POST', '/emailMethods', writer, { emailAddress: 'grace@example.org' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: emailId, emailAddress: 'grace@example.org' });
    expect((await call('POST', '/emailMethods', writer, { emailAddress: 'again@example.org' })).statusCode).toBe(400);
    expect((await call('POST', '/emailMethods', writer, { emailAddress: 'not an address' })).statusCode).toBe(400);
    expect(
      (await call('PATCH', `/emailMethods/${emailId}`, writer, { emailAddress: 'g2@example.org' })).statusCode,
    ).toBe(204);
    expect((await call('GET', '/emailMethods', reader)).json().value).toEqual([
      { id: emailId, emailAddress: 'g2@example.org' },
    ]);
  });

  it('lists all methods with their @odata.type and a null password', async () => {
    const body = (await call('GET', '/methods', reader)).json();
    const types = body.value.map((m: { '@odata.type': string }) => m['@odata.type']);
    expect(types).toContain('#microsoft.graph.passwordAuthenticationMethod');
    expect(types).toContain('#microsoft.graph.phoneAuthenticationMethod');
    expect(body.value.find((m: { id: string }) => m.id === passwordId).password).toBeNull();
    expect(JSON.stringify(body)).not.toMatch(/question|answer|\$argon2/i);
  });

  it('permissions: read needs .Read.All, write needs .ReadWrite.All, User.* is not enough', async () => {
    expect(
      (await call('POST', '/phoneMethods', reader, { phoneNumber: '+1 4255550122', phoneType: 'office' })).statusCode,
    ).toBe(403);
    const denied = await call('GET', '/methods', userOnly);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe('Authorization_RequestDenied');
  });

  it('resets a password: 202 with Location, a generated password shown once, the policy enforced', async () => {
    const generated = await call('POST', `/methods/${passwordId}/resetPassword`, writer, {});
    expect(generated.statusCode, generated.body).toBe(202);
    expect(generated.headers.location).toMatch(/\/authentication\/operations\/[0-9a-f-]{36}$/);
    expect(generated.json().newPassword).toHaveLength(16);

    const chosen = await call('POST', `/methods/${passwordId}/resetPassword`, writer, {
      newPassword: 'Nanosecond-Wire-1967',
    });
    expect(chosen.statusCode).toBe(202);
    expect(chosen.body).toBe('');

    // The Location can be polled, as Graph's docs invite: the reset finished before the 202.
    const operation = await server.app.inject({
      method: 'GET',
      url: new URL(chosen.headers.location as string).pathname,
      headers: { authorization: `Bearer ${reader}` },
    });
    expect(operation.statusCode, operation.body).toBe(200);
    expect(operation.json()).toMatchObject({
      id: /\/operations\/([0-9a-f-]{36})$/.exec(chosen.headers.location as string)?.[1],
      status: 'succeeded',
      statusDetail: null,
    });
    expect(operation.json().createdDateTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The first reset's operation was overtaken by the second: not found, like an unknown id.
    const older = await server.app.inject({
      method: 'GET',
      url: new URL(generated.headers.location as string).pathname,
      headers: { authorization: `Bearer ${reader}` },
    });
    expect(older.statusCode).toBe(404);
    expect((await call('GET', `/operations/${operation.json().id}`, userOnly)).statusCode).toBe(403);

    const weak = await call('POST', `/methods/${passwordId}/resetPassword`, writer, { newPassword: 'password' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error.message).toContain('complexity');
    expect((await call('POST', `/methods/${passwordId}/resetPassword`, reader, {})).statusCode).toBe(403);
  });

  it('applies the same password rules as the self-service reset, and makes up no password for a synced user', async () => {
    const reset = `/methods/${passwordId}/resetPassword`;
    // The tenant's name (its domain contoso.com), and the policy's custom banned words (scored as Entra does: a
    // password that is little more than a banned word), as on /passwordreset.
    const tenantWord = await call('POST', reset, writer, { newPassword: 'Contoso-Harbor-Lights-77' });
    expect(tenantWord.statusCode).toBe(400);
    await server.container.policies.change(operator, { customBannedPasswords: ['lighthouse'] });
    const banned = await call('POST', reset, writer, { newPassword: 'Lighthouse-2!' });
    expect(banned.statusCode).toBe(400);
    // Creating a user with that password is refused the same way.
    const created = await server.app.inject({
      method: 'POST',
      url: '/v1.0/users',
      headers: { authorization: `Bearer ${await server.tokenFor(['User.ReadWrite.All'])}` },
      payload: {
        accountEnabled: true,
        displayName: 'Linus Keeper',
        mailNickname: 'linus',
        userPrincipalName: 'linus@contoso.com',
        passwordProfile: { password: 'Lighthouse-2!', forceChangePasswordNextSignIn: true },
      },
    });
    expect(created.statusCode).toBe(400);
    expect(created.json().error.message).toContain('complexity');
    // The same shape without the banned word is fine: the refusals above are the banned terms'.
    expect((await call('POST', reset, writer, { newPassword: 'Quartzfield-2!' })).statusCode).toBe(202);
    await server.container.policies.change(operator, { customBannedPasswords: [] });

    // A synced user: Graph generates passwords for cloud users only, so the API asks for newPassword.
    await server.container.database.db
      .updateTable('users')
      .set({ on_premises_sync_enabled: 1 })
      .where('upn_key', '=', upn)
      .execute();
    try {
      const unasked = await call('POST', reset, writer, {});
      expect(unasked.statusCode).toBe(400);
      expect(unasked.json().error.message).toBe("A value is required for property 'newPassword' of resource 'User'.");
    } finally {
      await server.container.database.db
        .updateTable('users')
        .set({ on_premises_sync_enabled: 0 })
        .where('upn_key', '=', upn)
        .execute();
    }
  });

  it('/me needs a signed-in user', async () => {
    const response = await server.app.inject({
      method: 'GET',
      url: '/v1.0/me/authentication/methods',
      headers: { authorization: `Bearer ${writer}` },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('delegated');
  });

  it('audits each change without secrets', async () => {
    const rows = await server.container.database.db
      .selectFrom('audit_events')
      .select(['activity_display_name', 'logged_by_service', 'target_resources'])
      .where('logged_by_service', 'in', ['Authentication Methods', 'Self-service Password Management'])
      .execute();
    const activities = rows.map((row) => row.activity_display_name);
    expect(activities).toEqual(
      expect.arrayContaining([
        'Admin registered security info',
        'Admin updated security info',
        'Admin deleted security info',
        'Reset password (by admin)',
      ]),
    );
    expect(JSON.stringify(rows)).not.toContain('Nanosecond-Wire-1967');
  });
});
