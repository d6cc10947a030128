import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDelegatedToken } from '../../support/delegated-tokens.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

/**
 * Who may do what, as one table (SPEC sections 4 and 9, docs/authentication-methods.md). Every expected status
 * below is written from the SPEC and the documented matrix, not derived from src/. One server, every request by
 * app.inject; delegated tokens are signed with the tenant key exactly as the device-code flow shapes them.
 */

const passwordMethodId = '28c10230-6103-485e-b985-444c60001490';
const officePhoneMethodId = 'e37fc753-ff3b-4958-9484-eaa9425c82bc';

/** Directory role template ids, as SPEC section 9 lists them. */
const roleIds = {
  'Global Administrator': '62e90394-69f5-4237-9190-012177145e10',
  'Privileged Authentication Administrator': '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
  'Authentication Administrator': 'c4e39bd9-1100-46d3-8c65-fb160da0071f',
  'Password Administrator': '966707d0-3269-4727-9be2-8c3a10f19b9d',
  'Helpdesk Administrator': '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  'User Administrator': 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  'Global Reader': 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
} as const;
type RoleName = keyof typeof roleIds;

type Delegated = RoleName | 'no role';
type App =
  | 'app User.Read.All'
  | 'app User.ReadWrite.All'
  | 'app UserAuthenticationMethod.Read.All'
  | 'app UserAuthenticationMethod.ReadWrite.All'
  | 'app AuditLog.Read.All'
  | 'app Policy.ReadWrite.AuthenticationMethod';
type PrincipalName = 'no token' | App | Delegated;

type TargetName = 'self' | 'plain user' | 'admin user';
type TargetEndpoint =
  | 'GET user'
  | 'PATCH user'
  | 'GET methods'
  | 'GET phoneMethods'
  | 'POST phoneMethods'
  | 'resetPassword';
type TenantEndpoint = 'GET directoryAudits' | 'GET userRegistrationDetails' | 'GET policy' | 'PATCH policy';

const targetEndpoints: readonly TargetEndpoint[] = [
  'GET user',
  'PATCH user',
  'GET methods',
  'GET phoneMethods',
  'POST phoneMethods',
  'resetPassword',
];
const tenantEndpoints: readonly TenantEndpoint[] = [
  'GET directoryAudits',
  'GET userRegistrationDetails',
  'GET policy',
  'PATCH policy',
];

/** `masked` is a 200 whose phone numbers are masked (Authentication Administrator reading someone else). */
type Outcome = 200 | 201 | 202 | 204 | 401 | 403 | 'masked';
/** [self, plain user, admin user] */
type PerTarget = readonly [Outcome, Outcome, Outcome];
/** [plain user, admin user]: an application has no "self". */
type PerOtherTarget = readonly [Outcome, Outcome];

// ---------------------------------------------------------------------------------------------------------------
// Expected outcomes for signed-in users holding every delegated scope (`.default`): the role decides.
//   GET user          User.Read.All: any member may read the directory.
//   PATCH user        mobilePhone is sensitive (SPEC 9): on an administrator (every role holder is one, so also
//                     "self" for them) only GA / PAA; on others GA, PAA or User Administrator.
//   GET methods/phone own methods with UserAuthenticationMethod.Read; others': GA, PAA, Global Reader in full,
//                     Authentication Administrator masked (SPEC 4).
//   POST phoneMethods never on oneself (registration verifies by code); others': GA, PAA; Authentication
//                     Administrator for non-admin targets only.
//   resetPassword     never on oneself; GA, PAA any target; Authentication, Helpdesk and Password Administrators
//                     non-admin targets only.
// ---------------------------------------------------------------------------------------------------------------
const delegatedPerTarget: Readonly<Record<Delegated, Readonly<Record<TargetEndpoint, PerTarget>>>> = {
  'Global Administrator': {
    'GET user': [200, 200, 200],
    'PATCH user': [204, 204, 204],
    'GET methods': [200, 200, 200],
    'GET phoneMethods': [200, 200, 200],
    'POST phoneMethods': [403, 201, 201],
    resetPassword: [403, 202, 202],
  },
  'Privileged Authentication Administrator': {
    'GET user': [200, 200, 200],
    'PATCH user': [204, 204, 204],
    'GET methods': [200, 200, 200],
    'GET phoneMethods': [200, 200, 200],
    'POST phoneMethods': [403, 201, 201],
    resetPassword: [403, 202, 202],
  },
  'Authentication Administrator': {
    'GET user': [200, 200, 200],
    'PATCH user': [403, 403, 403],
    'GET methods': [200, 200, 200],
    'GET phoneMethods': [200, 'masked', 'masked'],
    'POST phoneMethods': [403, 201, 403],
    resetPassword: [403, 202, 403],
  },
  'Password Administrator': {
    'GET user': [200, 200, 200],
    'PATCH user': [403, 403, 403],
    'GET methods': [200, 403, 403],
    'GET phoneMethods': [200, 403, 403],
    'POST phoneMethods': [403, 403, 403],
    resetPassword: [403, 202, 403],
  },
  'Helpdesk Administrator': {
    'GET user': [200, 200, 200],
    'PATCH user': [403, 403, 403],
    'GET methods': [200, 403, 403],
    'GET phoneMethods': [200, 403, 403],
    'POST phoneMethods': [403, 403, 403],
    resetPassword: [403, 202, 403],
  },
  'User Administrator': {
    'GET user': [200, 200, 200],
    'PATCH user': [403, 204, 403],
    'GET methods': [200, 403, 403],
    'GET phoneMethods': [200, 403, 403],
    'POST phoneMethods': [403, 403, 403],
    resetPassword: [403, 403, 403],
  },
  'Global Reader': {
    'GET user': [200, 200, 200],
    'PATCH user': [403, 403, 403],
    'GET methods': [200, 200, 200],
    'GET phoneMethods': [200, 200, 200],
    'POST phoneMethods': [403, 403, 403],
    resetPassword: [403, 403, 403],
  },
  'no role': {
    'GET user': [200, 200, 200],
    'PATCH user': [403, 403, 403],
    'GET methods': [200, 403, 403],
    'GET phoneMethods': [200, 403, 403],
    'POST phoneMethods': [403, 403, 403],
    resetPassword: [403, 403, 403],
  },
};

/** Applications: the permission decides, whatever the target (Entra's application permissions). */
const appPerTarget: Readonly<Record<App, Readonly<Record<TargetEndpoint, PerOtherTarget>>>> = {
  'app User.Read.All': {
    'GET user': [200, 200],
    'PATCH user': [403, 403],
    'GET methods': [403, 403],
    'GET phoneMethods': [403, 403],
    'POST phoneMethods': [403, 403],
    resetPassword: [403, 403],
  },
  'app User.ReadWrite.All': {
    'GET user': [200, 200],
    'PATCH user': [204, 204],
    'GET methods': [403, 403],
    'GET phoneMethods': [403, 403],
    'POST phoneMethods': [403, 403],
    resetPassword: [403, 403],
  },
  'app UserAuthenticationMethod.Read.All': {
    'GET user': [403, 403],
    'PATCH user': [403, 403],
    'GET methods': [200, 200],
    'GET phoneMethods': [200, 200],
    'POST phoneMethods': [403, 403],
    resetPassword: [403, 403],
  },
  'app UserAuthenticationMethod.ReadWrite.All': {
    'GET user': [403, 403],
    'PATCH user': [403, 403],
    'GET methods': [200, 200],
    'GET phoneMethods': [200, 200],
    'POST phoneMethods': [201, 201],
    resetPassword: [202, 202],
  },
  'app AuditLog.Read.All': {
    'GET user': [403, 403],
    'PATCH user': [403, 403],
    'GET methods': [403, 403],
    'GET phoneMethods': [403, 403],
    'POST phoneMethods': [403, 403],
    resetPassword: [403, 403],
  },
  'app Policy.ReadWrite.AuthenticationMethod': {
    'GET user': [403, 403],
    'PATCH user': [403, 403],
    'GET methods': [403, 403],
    'GET phoneMethods': [403, 403],
    'POST phoneMethods': [403, 403],
    resetPassword: [403, 403],
  },
};

/**
 * Tenant-wide endpoints. directoryAudits: GA, Global Reader, PAA (SPEC 1: the administrator reads the audit log);
 * userRegistrationDetails: GA, Global Reader, (Privileged) Authentication Administrator; the policy: read by
 * Directory.Read.All / Policy.ReadWrite.AuthenticationMethod apps or GA, Global Reader, (Privileged)
 * Authentication Administrator, written by the Policy app or a Global Administrator only.
 */
const tenantWide: Readonly<Record<PrincipalName, readonly [Outcome, Outcome, Outcome, Outcome]>> = {
  'no token': [401, 401, 401, 401],
  'app User.Read.All': [403, 403, 403, 403],
  'app User.ReadWrite.All': [403, 403, 403, 403],
  'app UserAuthenticationMethod.Read.All': [403, 403, 403, 403],
  'app UserAuthenticationMethod.ReadWrite.All': [403, 403, 403, 403],
  'app AuditLog.Read.All': [200, 200, 403, 403],
  'app Policy.ReadWrite.AuthenticationMethod': [403, 403, 200, 200],
  'Global Administrator': [200, 200, 200, 200],
  'Privileged Authentication Administrator': [200, 200, 200, 403],
  'Authentication Administrator': [403, 200, 200, 403],
  'Password Administrator': [403, 403, 403, 403],
  'Helpdesk Administrator': [403, 403, 403, 403],
  'User Administrator': [403, 403, 403, 403],
  'Global Reader': [200, 200, 200, 403],
  'no role': [403, 403, 403, 403],
};

interface TargetCase {
  readonly principal: PrincipalName;
  readonly endpoint: TargetEndpoint;
  readonly target: TargetName;
  readonly expected: Outcome;
}
interface TenantCase {
  readonly principal: PrincipalName;
  readonly endpoint: TenantEndpoint;
  readonly expected: Outcome;
}

const delegatedNames = Object.keys(delegatedPerTarget) as Delegated[];
const appNames = Object.keys(appPerTarget) as App[];

const targetCases: TargetCase[] = [
  ...targetEndpoints.flatMap((endpoint) =>
    (['plain user', 'admin user'] as const).map(
      (target): TargetCase => ({ principal: 'no token', endpoint, target, expected: 401 }),
    ),
  ),
  ...appNames.flatMap((principal) =>
    targetEndpoints.flatMap((endpoint) => {
      const [plain, admin] = appPerTarget[principal][endpoint];
      return [
        { principal, endpoint, target: 'plain user', expected: plain },
        { principal, endpoint, target: 'admin user', expected: admin },
      ] satisfies TargetCase[];
    }),
  ),
  ...delegatedNames.flatMap((principal) =>
    targetEndpoints.flatMap((endpoint) => {
      const [self, plain, admin] = delegatedPerTarget[principal][endpoint];
      return [
        { principal, endpoint, target: 'self', expected: self },
        { principal, endpoint, target: 'plain user', expected: plain },
        { principal, endpoint, target: 'admin user', expected: admin },
      ] satisfies TargetCase[];
    }),
  ),
];

const tenantCases: TenantCase[] = (Object.keys(tenantWide) as PrincipalName[]).flatMap((principal) =>
  tenantEndpoints.map((endpoint, index) => ({
    principal,
    endpoint,
    expected: tenantWide[principal][index] as Outcome,
  })),
);

const statusOf = (outcome: Outcome): number => (outcome === 'masked' ? 200 : outcome);

interface Person {
  readonly id: string;
  readonly upn: string;
  readonly mobile: string;
}

const plainMobile = '+1 4255550101';
const adminMobile = '+1 4255550102';

describe('authorization matrix (SPEC sections 4 and 9)', () => {
  let server: TestServer;
  let writer: string;
  const tokens = new Map<PrincipalName, string | null>();
  const selves = new Map<Delegated, Person>();
  let plain: Person;
  let admin: Person;

  const createPerson = async (localPart: string, mobile: string): Promise<Person> => {
    const user = await server.container.users.createUser(operator, {
      userPrincipalName: `${localPart}@contoso.com`,
      displayName: localPart,
      accountEnabled: true,
      mailNickname: localPart.replace(/[^A-Za-z0-9]/g, ''),
      passwordProfile: { password: 'Matrix-Tester-Passphrase-2030', forceChangePasswordNextSignIn: false },
    });
    const added = await server.app.inject({
      method: 'POST',
      url: `/v1.0/users/${user.id}/authentication/phoneMethods`,
      headers: { authorization: `Bearer ${writer}` },
      payload: { phoneNumber: mobile, phoneType: 'mobile' },
    });
    expect(added.statusCode, added.body).toBe(201);
    return { id: user.id, upn: user.userPrincipalName, mobile };
  };

  beforeAll(async () => {
    server = await createTestServer();
    writer = await server.tokenFor(['UserAuthenticationMethod.ReadWrite.All']);
    tokens.set('no token', null);
    for (const app of appNames) tokens.set(app, await server.tokenFor([app.slice('app '.length)]));

    plain = await createPerson('paula.plain', plainMobile);
    admin = await createPerson('hal.helpdesk', adminMobile);
    await server.container.roles.assign(operator, admin.upn, 'Helpdesk Administrator');

    let n = 0;
    for (const name of delegatedNames) {
      n += 1;
      const person = await createPerson(`signed-in-${n}`, `+1 42555502${String(n).padStart(2, '0')}`);
      if (name !== 'no role') await server.container.roles.assign(operator, person.upn, name);
      selves.set(name, person);
      tokens.set(
        name,
        signDelegatedToken(server, {
          user: { id: person.id, userPrincipalName: person.upn },
          roles: name === 'no role' ? [] : [roleIds[name]],
        }),
      );
    }
  });
  afterAll(async () => server.close());

  const targetOf = (principal: PrincipalName, target: TargetName): Person => {
    if (target === 'plain user') return plain;
    if (target === 'admin user') return admin;
    const self = selves.get(principal as Delegated);
    if (!self) throw new Error(`${principal} has no self`);
    return self;
  };

  const send = (
    principal: PrincipalName,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: Record<string, unknown>,
  ): Promise<LightMyRequestResponse> => {
    const token = tokens.get(principal);
    return server.app.inject({
      method,
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(payload === undefined ? {} : { payload }),
    });
  };

  const expectStatus = (response: LightMyRequestResponse, expected: Outcome) => {
    expect(response.statusCode, response.body).toBe(statusOf(expected));
    if (expected === 401) expect(response.json().error.code).toBe('InvalidAuthenticationToken');
    if (expected === 403) expect(response.json().error.code).toBe('Authorization_RequestDenied');
  };

  it('covers every principal, endpoint and target (less the cells listed as wrong)', () => {
    expect(targetCases).toHaveLength(2 * 6 + 6 * 6 * 2 + 8 * 6 * 3);
    expect(tenantCases).toHaveLength(15 * 4);
  });

  it.each(targetCases)(
    '$principal: $endpoint on $target -> $expected',
    async ({ principal, endpoint, target, expected }) => {
      const person = targetOf(principal, target);
      const base = `/v1.0/users/${person.id}`;
      switch (endpoint) {
        case 'GET user': {
          const response = await send(principal, 'GET', base);
          expectStatus(response, expected);
          if (response.statusCode === 200) expect(response.json().id).toBe(person.id);
          return;
        }
        case 'PATCH user': {
          const response = await send(principal, 'PATCH', base, { mobilePhone: '+1 4255550199' });
          expectStatus(response, expected);
          return;
        }
        case 'GET methods': {
          const response = await send(principal, 'GET', `${base}/authentication/methods`);
          expectStatus(response, expected);
          if (response.statusCode === 200) {
            const types = response.json().value.map((m: { '@odata.type': string }) => m['@odata.type']);
            expect(types).toContain('#microsoft.graph.phoneAuthenticationMethod');
            expect(types).toContain('#microsoft.graph.passwordAuthenticationMethod');
          }
          return;
        }
        case 'GET phoneMethods': {
          const response = await send(principal, 'GET', `${base}/authentication/phoneMethods`);
          expectStatus(response, expected);
          if (response.statusCode !== 200) return;
          const numbers: string[] = response.json().value.map((m: { phoneNumber: string }) => m.phoneNumber);
          expect(numbers).toHaveLength(1);
          const digits = person.mobile.replace(/\D/g, '').slice(1);
          if (expected === 'masked') {
            expect(numbers[0]).toContain('X');
            expect(numbers[0]?.replace(/\D/g, '')).not.toContain(digits);
            expect(response.body).not.toContain(digits);
          } else {
            expect(numbers).toEqual([person.mobile]);
          }
          return;
        }
        case 'POST phoneMethods': {
          const response = await send(principal, 'POST', `${base}/authentication/phoneMethods`, {
            phoneNumber: '+1 4255550177',
            phoneType: 'office',
          });
          // Whatever the outcome, leave no office phone behind: every cell starts from the same state.
          if (response.statusCode === 201) {
            const removed = await server.app.inject({
              method: 'DELETE',
              url: `${base}/authentication/phoneMethods/${officePhoneMethodId}`,
              headers: { authorization: `Bearer ${writer}` },
            });
            expect(removed.statusCode).toBe(204);
          }
          expectStatus(response, expected);
          if (response.statusCode === 201) expect(response.json().id).toBe(officePhoneMethodId);
          return;
        }
        case 'resetPassword': {
          const response = await send(
            principal,
            'POST',
            `${base}/authentication/methods/${passwordMethodId}/resetPassword`,
          );
          expectStatus(response, expected);
          if (response.statusCode === 202) {
            expect(response.headers.location).toMatch(/\/authentication\/operations\//);
            expect(response.json().newPassword).toEqual(expect.any(String));
          }
          return;
        }
      }
    },
  );

  it.each(tenantCases)('$principal: $endpoint -> $expected', async ({ principal, endpoint, expected }) => {
    let response: LightMyRequestResponse;
    switch (endpoint) {
      case 'GET directoryAudits':
        response = await send(principal, 'GET', '/v1.0/auditLogs/directoryAudits');
        break;
      case 'GET userRegistrationDetails':
        response = await send(principal, 'GET', '/beta/reports/authenticationMethods/userRegistrationDetails');
        break;
      case 'GET policy':
        response = await send(principal, 'GET', '/api/admin/v1/passwordResetPolicy');
        break;
      case 'PATCH policy':
        // The default value again: a new version, the same policy, so other cells see no change.
        response = await send(principal, 'PATCH', '/api/admin/v1/passwordResetPolicy', {
          registrationReconfirmIntervalInDays: 180,
        });
        break;
    }
    expectStatus(response, expected);
    if (response.statusCode === 200 && endpoint !== 'GET policy' && endpoint !== 'PATCH policy')
      expect(Array.isArray(response.json().value)).toBe(true);
  });

  it('a delegated token without the .All scopes reads only its own methods, whatever the role', async () => {
    const ga = selves.get('Global Administrator') as Person;
    const narrow = signDelegatedToken(server, {
      user: { id: ga.id, userPrincipalName: ga.upn },
      roles: [roleIds['Global Administrator']],
      scopes: ['User.Read', 'UserAuthenticationMethod.Read'],
    });
    const get = (url: string) =>
      server.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${narrow}` } });
    expect((await get(`/v1.0/users/${ga.id}/authentication/phoneMethods`)).statusCode).toBe(200);
    expect((await get(`/v1.0/users/${plain.id}/authentication/phoneMethods`)).statusCode).toBe(403);
    expect((await get('/v1.0/auditLogs/directoryAudits')).statusCode).toBe(403);
  });
});
