import { describe, expect, it } from 'vitest';
import {
  authorizeMethodRead,
  authorizeMethodWrite,
  authorizePasswordReset,
  authorizeUserWrite,
} from './authorization.js';
import { directoryRoles, type Principal } from './permissions.js';

const everyScope = new Set([
  'UserAuthenticationMethod.Read.All',
  'UserAuthenticationMethod.ReadWrite.All',
  'UserAuthenticationMethod.ReadWrite',
  'User.ReadWrite.All',
]);
const signedIn = (role: string | null): Principal => ({
  kind: 'user',
  userId: 'caller',
  userPrincipalName: 'caller@contoso.com',
  scopes: everyScope,
  roles: new Set(role ? [role] : []),
});
const self = { id: 'caller', isAdministrator: false };
const plainUser = { id: 'plain', isAdministrator: false };
const adminUser = { id: 'admin', isAdministrator: true };

function outcome(run: () => unknown): string {
  try {
    const result = run();
    return typeof result === 'string' ? result : 'allowed';
  } catch {
    return 'denied';
  }
}

const roles = {
  'Global Administrator': directoryRoles.globalAdministrator,
  'Privileged Authentication Administrator': directoryRoles.privilegedAuthenticationAdministrator,
  'Authentication Administrator': directoryRoles.authenticationAdministrator,
  'Password Administrator': directoryRoles.passwordAdministrator,
  'Helpdesk Administrator': directoryRoles.helpdeskAdministrator,
  'User Administrator': directoryRoles.userAdministrator,
  'Global Reader': directoryRoles.globalReader,
  'no role': null,
} as const;

// role → [read plain, read admin, write plain, write admin, reset plain, reset admin, reset self]
const expected: Record<keyof typeof roles, string[]> = {
  'Global Administrator': ['full', 'full', 'allowed', 'allowed', 'allowed', 'allowed', 'denied'],
  'Privileged Authentication Administrator': ['full', 'full', 'allowed', 'allowed', 'allowed', 'allowed', 'denied'],
  'Authentication Administrator': ['masked', 'masked', 'allowed', 'denied', 'allowed', 'denied', 'denied'],
  'Password Administrator': ['denied', 'denied', 'denied', 'denied', 'allowed', 'denied', 'denied'],
  'Helpdesk Administrator': ['denied', 'denied', 'denied', 'denied', 'allowed', 'denied', 'denied'],
  'User Administrator': ['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'],
  'Global Reader': ['full', 'full', 'denied', 'denied', 'denied', 'denied', 'denied'],
  'no role': ['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'],
};

describe('authorization matrix for authentication methods (delegated)', () => {
  it.each(Object.entries(roles))('%s', (name, role) => {
    const principal = signedIn(role);
    expect([
      outcome(() => authorizeMethodRead(principal, plainUser)),
      outcome(() => authorizeMethodRead(principal, adminUser)),
      outcome(() => authorizeMethodWrite(principal, plainUser, 'update')),
      outcome(() => authorizeMethodWrite(principal, adminUser, 'update')),
      outcome(() => authorizePasswordReset(principal, plainUser)),
      outcome(() => authorizePasswordReset(principal, adminUser)),
      outcome(() => authorizePasswordReset(principal, self)),
    ]).toEqual(expected[name as keyof typeof roles]);
  });

  it('lets users read their own methods and delete, but not add or change, their own phone', () => {
    const user = signedIn(null);
    expect(outcome(() => authorizeMethodRead(user, self))).toBe('full');
    expect(outcome(() => authorizeMethodWrite(user, self, 'add'))).toBe('denied');
    expect(outcome(() => authorizeMethodWrite(user, self, 'update'))).toBe('denied');
    expect(outcome(() => authorizeMethodWrite(user, self, 'delete'))).toBe('allowed');
  });

  it('needs the scope as well as the role', () => {
    const noScope: Principal = {
      ...(signedIn(directoryRoles.globalAdministrator) as Extract<Principal, { kind: 'user' }>),
      scopes: new Set(),
    };
    expect(outcome(() => authorizeMethodRead(noScope, plainUser))).toBe('denied');
  });

  it('apps: by permission, unmasked', () => {
    const reader: Principal = {
      kind: 'application',
      appId: 'a',
      permissions: new Set(['UserAuthenticationMethod.Read.All']),
    };
    const writer: Principal = {
      kind: 'application',
      appId: 'a',
      permissions: new Set(['UserAuthenticationMethod.ReadWrite.All']),
    };
    expect(outcome(() => authorizeMethodRead(reader, adminUser))).toBe('full');
    expect(outcome(() => authorizeMethodWrite(reader, plainUser, 'add'))).toBe('denied');
    expect(outcome(() => authorizeMethodWrite(writer, adminUser, 'add'))).toBe('allowed');
    expect(outcome(() => authorizePasswordReset(writer, adminUser))).toBe('allowed');
  });

  it('sensitive properties of an administrator need a privileged role in the users API', () => {
    const userAdmin = signedIn(directoryRoles.userAdministrator);
    expect(outcome(() => authorizeUserWrite(userAdmin, plainUser, ['mobilePhone']))).toBe('allowed');
    expect(outcome(() => authorizeUserWrite(userAdmin, adminUser, ['jobTitle']))).toBe('allowed');
    expect(outcome(() => authorizeUserWrite(userAdmin, adminUser, ['mobilePhone']))).toBe('denied');
    expect(
      outcome(() =>
        authorizeUserWrite(signedIn(directoryRoles.privilegedAuthenticationAdministrator), adminUser, ['mobilePhone']),
      ),
    ).toBe('allowed');
  });
});
