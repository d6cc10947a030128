import { describe, expect, it } from 'vitest';
import {
  delegatedAudience,
  delegatedPermissions,
  grantedDelegatedScopes,
  normaliseUserCode,
} from './device-authorization.js';

describe('normaliseUserCode', () => {
  it.each([
    ['ABCDEFGH2', 'ABCDEFGH2'],
    ['abcd-efgh2', 'ABCDEFGH2'],
    [' abc def gh2 ', 'ABCDEFGH2'],
  ])('reads %j as %j', (typed, code) => expect(normaliseUserCode(typed)).toBe(code));

  it.each(['ABCDEFGH', 'ABCDEFGH23', 'ABCDEFGH0', 'ABCDEFGHI', 'ABCDEFGH!', ''])('refuses %j', (typed) =>
    expect(normaliseUserCode(typed)).toBeUndefined(),
  );
});

describe('grantedDelegatedScopes', () => {
  it('expands the Graph .default to every delegated permission and drops OpenID scopes', () => {
    expect(grantedDelegatedScopes('https://graph.microsoft.com/.default openid profile offline_access')).toEqual([
      ...delegatedPermissions,
    ]);
    expect(grantedDelegatedScopes('00000003-0000-0000-c000-000000000000/.default')).toHaveLength(
      delegatedPermissions.length,
    );
  });

  it('accepts bare and resource-qualified names in any case, once each, in canonical spelling', () => {
    expect(
      grantedDelegatedScopes(
        'user.read.all https://graph.microsoft.com/UserAuthenticationMethod.ReadWrite.All User.Read.All',
      ),
    ).toEqual(['User.Read.All', 'UserAuthenticationMethod.ReadWrite.All']);
    expect(grantedDelegatedScopes('openid offline_access')).toEqual([]);
  });

  it.each([
    'Mail.Read',
    'https://outlook.office.com/User.Read',
    '.default',
    'https://graph.windows.net/.default https://graph.microsoft.com/.default',
    'User.Read.All https://graph.windows.net/User.Read.All',
  ])('refuses %j', (scope) => expect(grantedDelegatedScopes(scope)).toBeUndefined());

  it('grants Azure AD Graph scopes for the legacy API, with that resource as the audience', () => {
    expect(grantedDelegatedScopes('https://graph.windows.net/.default offline_access')).toEqual([
      ...delegatedPermissions,
    ]);
    expect(grantedDelegatedScopes('00000002-0000-0000-c000-000000000000/user.read.all')).toEqual(['User.Read.All']);
    expect(delegatedAudience('https://graph.windows.net/.default')).toBe('https://graph.windows.net');
    expect(delegatedAudience('User.Read.All openid')).toBe('https://graph.microsoft.com');
    expect(delegatedAudience('openid')).toBe('https://graph.microsoft.com');
    expect(
      delegatedAudience('https://graph.windows.net/.default https://graph.microsoft.com/.default'),
    ).toBeUndefined();
  });
});
