import { describe, expect, it } from 'vitest';
import { hasPermission, type Principal } from './permissions.js';

const app = (...permissions: string[]): Principal => ({
  kind: 'application',
  appId: 'a',
  permissions: new Set(permissions),
});

describe('permissions', () => {
  it.each([
    [app('User.Read.All'), 'User.Read.All', true],
    [app('User.ReadWrite.All'), 'User.Read.All', true],
    [app('Directory.Read.All'), 'User.Read.All', true],
    [app('Directory.ReadWrite.All'), 'User.ReadWrite.All', true],
    [app('User.Read.All'), 'User.ReadWrite.All', false],
    [app('Directory.Read.All'), 'User.ReadWrite.All', false],
    [app(), 'User.Read.All', false],
    [{ kind: 'operator', name: 'root' } as Principal, 'User.ReadWrite.All', true],
  ] as const)('%j has %s: %s', (principal, permission, expected) => {
    expect(hasPermission(principal, permission)).toBe(expected);
  });
});
