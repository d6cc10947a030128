import { describe, expect, it } from 'vitest';
import {
  anchorOf,
  type DirectoryEntry,
  defaultMappings,
  ExpressionError,
  evaluate,
  mapEntry,
  parseExpression,
} from './directory-mapping.js';

const uuid = '5f3a8c2e-1b4d-4e6f-9a0b-1c2d3e4f5a6b';

function ldapUser(attributes: Record<string, string[]>, dn = 'uid=adele,ou=people,dc=example,dc=org'): DirectoryEntry {
  return { dn, attributes: { entryUUID: [uuid], cn: ['Adele Vance'], mail: ['adele@contoso.com'], ...attributes } };
}

describe('mapEntry with the OpenLDAP defaults', () => {
  const rules = defaultMappings('openldap');

  it('maps telephoneNumber to the Office phone and mobile to the Mobile phone, with the identity', () => {
    const outcome = mapEntry(
      ldapUser({ telephoneNumber: ['+1 4255550100'], mobile: ['+1 4255550101'], givenName: ['Adele'], sn: ['Vance'] }),
      rules,
      'openldap',
    );
    expect(outcome).toEqual({
      ok: true,
      warnings: [],
      user: expect.objectContaining({
        anchor: Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64'),
        distinguishedName: 'uid=adele,ou=people,dc=example,dc=org',
        userPrincipalName: 'adele@contoso.com',
        displayName: 'Adele Vance',
        givenName: 'Adele',
        surname: 'Vance',
        businessPhones: ['+1 4255550100'],
        mobilePhone: '+1 4255550101',
        accountEnabled: true,
      }),
    });
  });

  it('syncs phones outside the SSPR format verbatim, with a warning and the normalised suggestion', () => {
    const outcome = mapEntry(
      ldapUser({ mobile: ['+14255550101'], telephoneNumber: ['(425) 555-0102'] }),
      rules,
      'openldap',
      {
        defaultRegion: 'US',
      },
    );
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.user.mobilePhone).toBe('+14255550101');
    expect(outcome.user.businessPhones).toEqual(['(425) 555-0102']);
    expect(outcome.warnings.map((warning) => [warning.target, warning.suggestion])).toEqual([
      ['businessPhones', '+1 4255550102'],
      ['mobilePhone', '+1 4255550101'],
    ]);
  });

  it('keeps extensions, takes the first of several telephone numbers, and treats empty values as absent', () => {
    const outcome = mapEntry(
      ldapUser({ telephoneNumber: ['+1 4255550103X123', '+1 4255550199'], mobile: ['  '] }),
      rules,
      'openldap',
    );
    if (!outcome.ok) throw new Error('expected a user');
    expect(outcome.user.businessPhones).toEqual(['+1 4255550103X123']);
    expect(outcome.user.mobilePhone).toBeNull();
    expect(outcome.warnings).toHaveLength(1);
  });

  it('keeps non-ASCII names', () => {
    const outcome = mapEntry(ldapUser({ cn: ['Zoë Łukasz'], givenName: ['Zoë'] }), rules, 'openldap');
    if (!outcome.ok) throw new Error('expected a user');
    expect(outcome.user.displayName).toBe('Zoë Łukasz');
  });

  it.each([
    [{ mail: [] }, 'IdentityDataValidationFailed'],
    [{ mail: ['not an address'] }, 'IdentityDataValidationFailed'],
    [{ mobile: ['+1 '.padEnd(70, '5')] }, 'ExceededAllowedLength'],
    [{ entryUUID: [] }, 'DataValidationFailed'],
  ])('reports %j as %s instead of throwing', (attributes, type) => {
    const outcome = mapEntry(ldapUser(attributes), rules, 'openldap');
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.type).toBe(type);
  });

  it('maps otherMailbox to otherMails when an admin adds the rule, skipping invalid addresses', () => {
    const outcome = mapEntry(
      ldapUser({ otherMailbox: ['adele@example.org', 'ADELE@example.org', 'nope'] }),
      [...rules, { target: 'otherMails', source: { kind: 'attribute', attribute: 'otherMailbox' } }],
      'openldap',
    );
    if (!outcome.ok) throw new Error('expected a user');
    expect(outcome.user.otherMails).toEqual(['adele@example.org']);
    expect(outcome.warnings.map((warning) => warning.target)).toEqual(['otherMails']);
  });
});

describe('Active Directory', () => {
  const guid = Uint8Array.from({ length: 16 }, (_, index) => index + 1);

  it('anchors on ms-DS-ConsistencyGuid when set, else objectGUID, and reads the disabled flag', () => {
    const entry: DirectoryEntry = {
      dn: 'CN=Adele,OU=Staff,DC=corp,DC=contoso,DC=com',
      attributes: { userPrincipalName: ['adele@contoso.com'], displayName: ['Adele'], userAccountControl: ['514'] },
      binary: { objectGUID: [guid] },
    };
    expect(anchorOf(entry, 'activeDirectory')).toBe(Buffer.from(guid).toString('base64'));
    const consistency = Uint8Array.from({ length: 16 }, () => 9);
    expect(
      anchorOf({ ...entry, binary: { objectGUID: [guid], 'mS-DS-ConsistencyGuid': [consistency] } }, 'activeDirectory'),
    ).toBe(Buffer.from(consistency).toString('base64'));
    const outcome = mapEntry(entry, defaultMappings('activeDirectory'), 'activeDirectory');
    if (!outcome.ok) throw new Error('expected a user');
    expect(outcome.user.accountEnabled).toBe(false);
  });
});

describe('mapping expressions', () => {
  const entry = ldapUser({ givenName: ['Adele'], sn: ['Vance'], uid: ['AVance'] });

  it.each([
    ['Coalesce(displayName, cn)', 'Adele Vance'],
    ['givenName + " " + sn', 'Adele Vance'],
    ['Lower(uid) + "@contoso.com"', 'avance@contoso.com'],
    ['Left(givenName, 1) + Upper(sn)', 'AVANCE'],
    ['Replace(cn, " ", ".")', 'Adele.Vance'],
    ['title + "x"', null],
    ['"constant"', 'constant'],
  ])('%s -> %s', (text, expected) => {
    expect(evaluate(parseExpression(text), entry)).toBe(expected);
  });

  it.each(['Lower(', 'Nope(cn)', 'Left(cn)', 'cn +', '"open'])('refuses %s', (text) => {
    expect(() => parseExpression(text)).toThrow(ExpressionError);
  });
});
