import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/domain/audit.js';
import { dialectsUnderTest } from '../../support/databases.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

const answers = [
  { questionId: 'pet-first', answer: 'Rex the Third' },
  { questionId: 'city-born', answer: '  Ljubljana ' },
  { questionId: 'car-first-make', answer: 'Škoda Felicia' },
];

describe.each(dialectsUnderTest)('security questions on $name', (dialect) => {
  let server: TestServer;
  let userId: string;
  let self: RequestContext;

  beforeAll(async () => {
    server = await createTestServer({ database: await dialect.create() });
    const user = await server.container.users.createUser(operator, {
      userPrincipalName: 'ada@contoso.com',
      displayName: 'Ada',
      accountEnabled: true,
      mailNickname: 'ada',
      passwordProfile: { password: 'Analytical-Engine-1843', forceChangePasswordNextSignIn: false },
    });
    userId = user.id;
    self = {
      principal: { kind: 'user', userId, userPrincipalName: 'ada@contoso.com', scopes: new Set(), roles: new Set() },
      correlationId: 'c',
      ipAddress: '127.0.0.1',
    };
  });
  afterAll(async () => server.close());

  it('is registered only by the user, and stored only as argon2id hashes of the normalised answers', async () => {
    await expect(server.container.securityQuestions.register(operator, userId, answers)).rejects.toMatchObject({
      code: 'permission_denied',
    });
    await server.container.securityQuestions.register(self, userId, answers);

    const rows = await server.container.database.db.selectFrom('security_question_answers').selectAll().execute();
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.answer_hash).toMatch(/^\$argon2id\$/);
    const everything = JSON.stringify([
      rows,
      await server.container.database.db.selectFrom('audit_events').selectAll().execute(),
    ]).toLowerCase();
    for (const { answer } of answers) {
      expect(everything).not.toContain(answer.trim().toLowerCase());
    }
    const methods = await server.container.authenticationMethods.readiness(operator, userId);
    expect(methods.methodsRegistered).toContain('securityQuestion');
  });

  it('verifies answers after the same normalisation, and only all of them together', async () => {
    const service = server.container.securityQuestions;
    expect(await service.verify(userId, [{ questionId: 'pet-first', answer: 'REX   the third' }])).toBe(true);
    expect(
      await service.verify(userId, [
        { questionId: 'city-born', answer: 'ljubljana' },
        { questionId: 'car-first-make', answer: 'skoda felicia' },
      ]),
    ).toBe(false);
    expect(await service.verify(userId, [{ questionId: 'hero-childhood', answer: 'Rex the Third' }])).toBe(false);
    expect(await service.verify(userId, [])).toBe(false);
    const drawn = await service.draw(userId, 2);
    expect(drawn).toHaveLength(2);
    expect(new Set(drawn).size).toBe(2);
  });

  it('refuses a registration that breaks the rules', async () => {
    await expect(server.container.securityQuestions.register(self, userId, answers.slice(0, 2))).rejects.toMatchObject({
      code: 'invalid_property_value',
    });
    await expect(
      server.container.securityQuestions.register(self, userId, [
        ...answers.slice(0, 2),
        { questionId: 'pet-first', answer: 'Max' },
      ]),
    ).rejects.toThrow('only once');
  });

  it('never appears in any API response', async () => {
    const token = await server.tokenFor(['UserAuthenticationMethod.Read.All', 'User.Read.All']);
    for (const url of [`/v1.0/users/${userId}/authentication/methods`, `/beta/users/${userId}`]) {
      const response = await server.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      expect(response.statusCode).toBe(200);
      expect(response.body).not.toMatch(/pet-first|Rex|question/i);
    }
  });
});
