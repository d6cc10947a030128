import { describe, expect, it } from 'vitest';
import { DomainError } from './errors.js';
import { assertCloudMayChange, isValidUserPrincipalName, parseUserChanges } from './user.js';

function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

const validCreate = {
  accountEnabled: true,
  displayName: 'Ada Lovelace',
  mailNickname: 'ada',
  userPrincipalName: 'ada@contoso.com',
  passwordProfile: { password: 'Analytical-Engine-1843' },
};

describe('parseUserChanges', () => {
  it.each([
    [{ mobilePhone: '+1 4251234567' }, { mobilePhone: '+1 4251234567' }],
    // Profile phones are free text: the SSPR format decides usability, not storage.
    [{ mobilePhone: '425-555-0100' }, { mobilePhone: '425-555-0100' }],
    [{ mobilePhone: null }, { mobilePhone: null }],
    [{ businessPhones: ['+1 4252345678'] }, { businessPhones: ['+1 4252345678'] }],
    [{ businessPhones: [] }, { businessPhones: [] }],
    [{ businessPhones: null }, { businessPhones: [] }],
    [
      { otherMails: ['emergency@phone.com', 'b@example.org'] },
      { otherMails: ['emergency@phone.com', 'b@example.org'] },
    ],
    [{ accountEnabled: false }, { accountEnabled: false }],
    [{ '@odata.type': '#microsoft.graph.user', jobTitle: 'Engineer' }, { jobTitle: 'Engineer' }],
    [
      { passwordProfile: { password: 'x' } },
      { passwordProfile: { password: 'x', forceChangePasswordNextSignIn: true } },
    ],
  ])('accepts %j', (body, expected) => {
    expect(parseUserChanges(body, 'update')).toEqual(expected);
  });

  it.each([
    [{ foo: 1 }, 'unknown_property', "Property 'foo' does not exist on type 'microsoft.graph.user'."],
    [
      { onPremisesSyncEnabled: true },
      'read_only_property',
      "Property 'onPremisesSyncEnabled' is read-only and cannot be set.",
    ],
    [{ id: 'x' }, 'read_only_property', "Property 'id' is read-only and cannot be set."],
    [
      { mobilePhone: 5 },
      'invalid_property_value',
      "Invalid value specified for property 'mobilePhone' of resource 'User'.",
    ],
    [
      { mobilePhone: '1'.repeat(65) },
      'invalid_property_value',
      "Invalid value specified for property 'mobilePhone' of resource 'User'.",
    ],
    [{ businessPhones: ['+1 4252345678', '+1 4252345679'] }, 'invalid_property_value', undefined],
    [{ businessPhones: '+1 4252345678' }, 'invalid_property_value', undefined],
    [
      { otherMails: ['not-an-address'] },
      'invalid_property_value',
      "Invalid value specified for property 'otherMails' of resource 'User'.",
    ],
    [{ otherMails: ['josé@example.com'] }, 'invalid_property_value', undefined],
    [{ otherMails: 'a@example.com' }, 'invalid_property_value', undefined],
    [{ accountEnabled: 'yes' }, 'invalid_property_value', undefined],
    [{ displayName: null }, 'invalid_property_value', undefined],
    [{ displayName: '   ' }, 'invalid_property_value', undefined],
    [{ userPrincipalName: 'no-at-sign' }, 'invalid_property_value', undefined],
    [{ passwordProfile: { password: 'x', colour: 'red' } }, 'unknown_property', undefined],
    [[], 'invalid_request', 'The request body must be a JSON object.'],
    [null, 'invalid_request', undefined],
  ])('refuses %j', (body, code, message) => {
    const error = errorOf(() => parseUserChanges(body, 'update'));
    expect(error.code).toBe(code);
    if (message) expect(error.message).toBe(message);
  });

  it('names the business phones limit', () => {
    const error = errorOf(() => parseUserChanges({ businessPhones: ['+1 4252345678', '+1 4252345679'] }, 'update'));
    expect(error.message).toContain('at most one value');
  });

  it('requires what Graph requires on create', () => {
    expect(parseUserChanges(validCreate, 'create').userPrincipalName).toBe('ada@contoso.com');
    for (const property of ['accountEnabled', 'displayName', 'mailNickname', 'passwordProfile', 'userPrincipalName']) {
      const body: Record<string, unknown> = { ...validCreate };
      delete body[property];
      const error = errorOf(() => parseUserChanges(body, 'create'));
      expect(error.code).toBe('property_required');
      expect(error.message).toBe(`A value is required for property '${property}' of resource 'User'.`);
    }
  });
});

describe('source of authority', () => {
  const synced = { onPremisesSyncEnabled: true };
  it('lets the cloud change mobile phone and alternate email of a synced user', () => {
    expect(() =>
      assertCloudMayChange(synced, { mobilePhone: '+1 4251234567', otherMails: ['a@example.org'] }),
    ).not.toThrow();
  });
  it.each([{ businessPhones: ['+1 4252345678'] }, { displayName: 'New' }, { accountEnabled: false }])(
    'refuses %j on a synced user with the on-premises-mastered message',
    (changes) => {
      const error = errorOf(() => assertCloudMayChange(synced, changes));
      expect(error.code).toBe('on_premises_mastered');
      expect(error.message).toBe(
        'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.',
      );
    },
  );
  it('lets the cloud change anything on a cloud user', () => {
    expect(() =>
      assertCloudMayChange({ onPremisesSyncEnabled: null }, { businessPhones: ['+1 4252345678'] }),
    ).not.toThrow();
  });
});

describe('isValidUserPrincipalName', () => {
  it.each(['ada@contoso.com', "o'brien@contoso.com", 'a.b_c-d@sub.contoso.co.uk'])('accepts %s', (upn) => {
    expect(isValidUserPrincipalName(upn)).toBe(true);
  });
  it.each([
    'ada',
    '@contoso.com',
    'ada@',
    '.ada@contoso.com',
    'a..b@contoso.com',
    'ada.@contoso.com',
    'adé@contoso.com',
    'a b@contoso.com',
    'ada@contoso',
  ])('refuses %s', (upn) => {
    expect(isValidUserPrincipalName(upn)).toBe(false);
  });
});
