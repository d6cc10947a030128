import { describe, expect, it } from 'vitest';
import {
  type AuthenticationMethodSet,
  evaluateSsprReadiness,
  noAuthenticationMethods,
  type ReadinessInput,
  resetContacts,
} from './authentication-methods.js';
import { defaultSsprPolicy, type SsprPolicy } from './sspr-policy.js';

const bareUser = {
  mobilePhone: null,
  businessPhones: [] as string[],
  otherMails: [] as string[],
  accountEnabled: true,
};

function readiness(overrides: Partial<ReadinessInput> & { policy?: Partial<SsprPolicy> }) {
  const { policy, ...rest } = overrides;
  return evaluateSsprReadiness({
    user: bareUser,
    methods: noAuthenticationMethods,
    tenantPolicy: { ...defaultSsprPolicy, ...policy },
    isAdministrator: false,
    ...rest,
  });
}

const method = (result: ReturnType<typeof readiness>, name: string) => result.methods.find((m) => m.method === name);

describe('reset contacts (SPEC section 4 fallbacks)', () => {
  it('prefers the authentication layer and falls back to the profile', () => {
    const methods: AuthenticationMethodSet = {
      phones: { mobile: '+1 4255550100' },
      email: 'auth@example.org',
      securityQuestionCount: 0,
    };
    const user = { mobilePhone: '+1 4255550199', businessPhones: ['+1 4255550111'], otherMails: ['alt@example.org'] };
    expect(resetContacts(user, methods)).toMatchObject({
      mobilePhone: { source: 'authenticationPhone', value: '+1 4255550100' },
      email: { source: 'authenticationEmail', value: 'auth@example.org' },
      officePhone: { source: 'profileBusinessPhones', value: '+1 4255550111' },
    });
    expect(resetContacts(user, noAuthenticationMethods)).toMatchObject({
      mobilePhone: { source: 'profileMobilePhone', value: '+1 4255550199' },
      email: { source: 'profileOtherMails', value: 'alt@example.org' },
    });
  });
});

describe('usable methods', () => {
  it('pre-populated mobile phone only: usable before registration', () => {
    const result = readiness({ user: { ...bareUser, mobilePhone: '+1 4255550100' } });
    expect(method(result, 'mobilePhone')).toMatchObject({ usable: true, source: 'profileMobilePhone' });
    expect(result).toMatchObject({ isSsprEnabled: true, isSsprCapable: true, isSsprRegistered: false });
  });

  it('+14251234567: present, unusable, normalised form suggested', () => {
    const result = readiness({ user: { ...bareUser, mobilePhone: '+14255550100' } });
    expect(method(result, 'mobilePhone')).toMatchObject({
      present: true,
      usable: false,
      reason: 'not_in_sspr_format',
      suggestion: '+1 4255550100',
    });
    expect(result.isSsprCapable).toBe(false);
  });

  it('a number without country code gets a suggestion only with a default region', () => {
    expect(
      method(readiness({ user: { ...bareUser, mobilePhone: '(425) 555-0100' } }), 'mobilePhone')?.suggestion,
    ).toBeNull();
    expect(
      method(readiness({ user: { ...bareUser, mobilePhone: '(425) 555-0100' }, defaultRegion: 'US' }), 'mobilePhone')
        ?.suggestion,
    ).toBe('+1 4255550100');
  });

  it('an office phone with an extension is usable', () => {
    const result = readiness({
      user: { ...bareUser, businessPhones: ['+1 4255550100X123'] },
      policy: { officePhoneOptionEnabled: true },
    });
    expect(method(result, 'officePhone')).toMatchObject({ usable: true, value: '+1 4255550100X123' });
  });

  it("a synced user's office phone counts like any office phone when the policy enables it", () => {
    const user = { ...bareUser, businessPhones: ['+44 2071234567'] };
    expect(method(readiness({ user }), 'officePhone')).toMatchObject({
      usable: false,
      reason: 'not_enabled_in_policy',
    });
    expect(method(readiness({ user, policy: { officePhoneOptionEnabled: true } }), 'officePhone')?.usable).toBe(true);
  });

  it('email disabled in policy', () => {
    const result = readiness({
      user: { ...bareUser, otherMails: ['alt@example.org'] },
      policy: { emailOptionEnabled: false },
    });
    expect(method(result, 'email')).toMatchObject({ present: true, usable: false, reason: 'not_enabled_in_policy' });
    expect(result.isSsprCapable).toBe(false);
  });

  it('a blocked country code makes a phone unusable', () => {
    const result = readiness({
      user: { ...bareUser, mobilePhone: '+44 7700900123' },
      policy: { blockedCountryCodes: ['44'] },
    });
    expect(method(result, 'mobilePhone')).toMatchObject({ usable: false, reason: 'country_code_blocked' });
  });

  it('2-methods policy with one method: not capable', () => {
    const result = readiness({
      user: { ...bareUser, mobilePhone: '+1 4255550100' },
      policy: { numberOfAuthenticationMethodsRequired: 2 },
    });
    expect(result).toMatchObject({ numberOfMethodsRequired: 2, isSsprCapable: false });
    const both = readiness({
      user: { ...bareUser, mobilePhone: '+1 4255550100', otherMails: ['alt@example.org'] },
      policy: { numberOfAuthenticationMethodsRequired: 2 },
    });
    expect(both.isSsprCapable).toBe(true);
  });

  it('administrator two-gate policy never accepts security questions', () => {
    const methods: AuthenticationMethodSet = { phones: {}, email: null, securityQuestionCount: 5 };
    const asUser = readiness({
      methods,
      policy: { securityQuestionsOptionEnabled: true, numberOfAuthenticationMethodsRequired: 1 },
    });
    expect(asUser.isSsprCapable).toBe(true);
    const asAdmin = readiness({ methods, isAdministrator: true, policy: { securityQuestionsOptionEnabled: true } });
    expect(asAdmin).toMatchObject({ policyApplied: 'administrator', numberOfMethodsRequired: 2, isSsprCapable: false });
    expect(method(asAdmin, 'securityQuestions')).toMatchObject({ usable: false, reason: 'not_enabled_in_policy' });
  });

  it('too few security questions for the reset policy', () => {
    const result = readiness({
      methods: { phones: {}, email: null, securityQuestionCount: 3 },
      policy: { securityQuestionsOptionEnabled: true, numberOfQuestionsToRegister: 4, numberOfQuestionsToReset: 4 },
    });
    expect(method(result, 'securityQuestions')).toMatchObject({ usable: false, reason: 'too_few_security_questions' });
  });

  it('registered means the authentication layer, and is reported as Graph names', () => {
    const result = readiness({
      methods: {
        phones: { mobile: '+1 4255550100', office: '+1 4255550111' },
        email: 'a@example.org',
        securityQuestionCount: 0,
      },
    });
    expect(result.isSsprRegistered).toBe(true);
    expect(result.methodsRegistered).toEqual(['mobilePhone', 'officePhone', 'email']);
  });

  it('enablement: none, selected group, disabled account', () => {
    const user = { ...bareUser, mobilePhone: '+1 4255550100' };
    expect(readiness({ user, policy: { enablementType: 'none' } })).toMatchObject({
      isSsprEnabled: false,
      isSsprCapable: false,
    });
    expect(readiness({ user, policy: { enablementType: 'selected' }, inSelectedGroup: true }).isSsprCapable).toBe(true);
    expect(readiness({ user, policy: { enablementType: 'selected' }, inSelectedGroup: false }).isSsprCapable).toBe(
      false,
    );
    expect(readiness({ user, policy: { enablementType: 'none' }, isAdministrator: true }).isSsprEnabled).toBe(true);
    expect(readiness({ user: { ...user, accountEnabled: false } }).isSsprCapable).toBe(false);
  });
});
