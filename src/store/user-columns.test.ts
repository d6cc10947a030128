import { describe, expect, it } from 'vitest';
import type { UserRecordChanges } from '../domain/user.js';
import { toColumnChanges } from './user-repository.js';

describe('toColumnChanges', () => {
  it('maps every changed property to its column, and nothing that was not changed', () => {
    expect(
      toColumnChanges({
        updatedAt: '2026-11-25T08:00:00.000Z',
        userPrincipalName: 'Adele.Vance@Contoso.com',
        displayName: 'Adele Vance',
        givenName: 'Adele',
        surname: null,
        mail: 'adele@contoso.com',
        mailNickname: 'adele',
        jobTitle: 'Retail Manager',
        officeLocation: '18/2111',
        preferredLanguage: 'en-US',
        accountEnabled: false,
        mobilePhone: '+1 4255550100',
        businessPhones: ['+1 4255550199'],
        otherMails: ['adele@fabrikam.com'],
        passwordHash: '$argon2id$hash',
        passwordChangedAt: '2026-11-25T08:00:00.000Z',
        forceChangePassword: true,
        mobilePhoneCloudOverride: true,
      }),
    ).toEqual({
      updated_at: '2026-11-25T08:00:00.000Z',
      user_principal_name: 'Adele.Vance@Contoso.com',
      upn_key: 'adele.vance@contoso.com',
      display_name: 'Adele Vance',
      given_name: 'Adele',
      surname: null,
      mail: 'adele@contoso.com',
      mail_nickname: 'adele',
      job_title: 'Retail Manager',
      office_location: '18/2111',
      preferred_language: 'en-US',
      account_enabled: 0,
      mobile_phone: '+1 4255550100',
      business_phone: '+1 4255550199',
      other_mails: '["adele@fabrikam.com"]',
      password_hash: '$argon2id$hash',
      password_changed_at: '2026-11-25T08:00:00.000Z',
      force_change_password: 1,
      mobile_phone_cloud_override: 1,
    });
  });

  it('clears with null, empties business phones, and skips properties given as undefined', () => {
    const changes = { updatedAt: 't', mobilePhone: null, businessPhones: [], displayName: undefined };
    expect(toColumnChanges(changes as unknown as UserRecordChanges)).toEqual({
      updated_at: 't',
      mobile_phone: null,
      business_phone: null,
    });
  });
});
