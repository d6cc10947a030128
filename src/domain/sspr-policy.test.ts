import { describe, expect, it } from 'vitest';
import { DomainError } from './errors.js';
import { administratorPolicy, changeSsprPolicy, defaultSsprPolicy, enabledMethods } from './sspr-policy.js';

function refusal(changes: unknown): DomainError {
  try {
    changeSsprPolicy(defaultSsprPolicy, changes);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('SSPR policy', () => {
  it('has the documented defaults', () => {
    expect(enabledMethods(defaultSsprPolicy)).toEqual(['email', 'mobilePhone']);
    expect(defaultSsprPolicy).toMatchObject({
      enablementType: 'all',
      numberOfAuthenticationMethodsRequired: 1,
      numberOfQuestionsToRegister: 3,
      customBannedPasswords: [],
    });
  });

  it('applies valid changes', () => {
    const changed = changeSsprPolicy(defaultSsprPolicy, {
      numberOfAuthenticationMethodsRequired: 2,
      securityQuestionsOptionEnabled: true,
      numberOfQuestionsToRegister: 5,
      numberOfQuestionsToReset: 4,
      blockedCountryCodes: ['7', '44', '44'],
      customHelpdeskEmailOrUrl: 'https://help.example.com',
      customBannedPasswords: ['Contoso', ' fabrikam ', 'contoso', 'Woodgrove-Bank'],
    });
    expect(changed).toMatchObject({
      numberOfAuthenticationMethodsRequired: 2,
      numberOfQuestionsToReset: 4,
      blockedCountryCodes: ['7', '44'],
      customBannedPasswords: ['contoso', 'fabrikam', 'woodgrove-bank'],
    });
  });

  it.each([
    [{ numberOfQuestionsToRegister: 3, numberOfQuestionsToReset: 4 }, 'numberOfQuestionsToRegister'],
    [{ numberOfQuestionsToReset: 6 }, 'numberOfQuestionsToReset'],
    [{ numberOfAuthenticationMethodsRequired: 3 }, 'numberOfAuthenticationMethodsRequired'],
    [{ emailOptionEnabled: false, numberOfAuthenticationMethodsRequired: 2 }, 'numberOfAuthenticationMethodsRequired'],
    [{ registrationReconfirmIntervalInDays: 731 }, 'registrationReconfirmIntervalInDays'],
    [{ enablementType: 'some' }, 'enablementType'],
    [{ enablementType: 'selected' }, 'enablementType'],
    [{ enablementType: 'selected', selectedGroupId: '7d1bd3ba-0b8d-4c3e-9d7a-3c1d2f7e5a10' }, 'enablementType'],
    [{ blockedCountryCodes: ['+44'] }, 'blockedCountryCodes'],
    [{ customHelpdeskEmailOrUrl: 'javascript:alert(1)' }, 'customHelpdeskEmailOrUrl'],
    [{ writebackEnabled: 'yes' }, 'writebackEnabled'],
    [{ customBannedPasswords: 'contoso' }, 'customBannedPasswords'],
    [{ customBannedPasswords: ['contoso', 7] }, 'customBannedPasswords'],
    [{ customBannedPasswords: ['abc'] }, 'customBannedPasswords'],
    [{ customBannedPasswords: ['a'.repeat(17)] }, 'customBannedPasswords'],
    [{ customBannedPasswords: Array.from({ length: 1001 }, (_, i) => `term${i}`) }, 'customBannedPasswords'],
  ])('refuses %j naming %s', (changes, field) => {
    const error = refusal(changes);
    expect(error.code).toBe('invalid_property_value');
    expect(error.message).toContain(field);
  });

  it('accepts custom banned terms at the limits', () => {
    const terms = Array.from({ length: 1000 }, (_, i) => `term${i}`);
    expect(
      changeSsprPolicy(defaultSsprPolicy, { customBannedPasswords: [...terms, 'TERM1'] }).customBannedPasswords,
    ).toHaveLength(1000);
    expect(
      changeSsprPolicy(defaultSsprPolicy, { customBannedPasswords: ['abcd', 'a'.repeat(16)] }).customBannedPasswords,
    ).toEqual(['abcd', 'a'.repeat(16)]);
    expect(refusal({ customBannedPasswords: ['abc'] }).message).toContain('4 to 16 characters');
  });

  it('refuses unknown fields and non-objects', () => {
    expect(refusal({ colour: 'red' }).code).toBe('unknown_property');
    expect(refusal([]).code).toBe('invalid_request');
  });

  it('administrators always get two gates without security questions', () => {
    const relaxed = changeSsprPolicy(defaultSsprPolicy, {
      securityQuestionsOptionEnabled: true,
      enablementType: 'none',
    });
    expect(administratorPolicy(relaxed)).toMatchObject({
      numberOfAuthenticationMethodsRequired: 2,
      securityQuestionsOptionEnabled: false,
      enablementType: 'all',
    });
  });
});
