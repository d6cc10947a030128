import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config.js';
import { parseAuditFilter, parseRegistrationFilter } from './conjunction-filter.js';

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('parseAuditFilter', () => {
  it('parses comparisons joined with and', () => {
    expect(
      parseAuditFilter(
        "activityDateTime ge 2024-01-01T00:00:00+02:00 and category eq 'User''s' and " +
          "initiatedBy/user/userPrincipalName eq 'a@b.c' and targetResources/any(t: t/id eq 'x')",
      ),
    ).toEqual([
      { kind: 'ge', property: 'activityDateTime', value: '2023-12-31T22:00:00.000Z' },
      { kind: 'eq', property: 'category', value: "User's" },
      { kind: 'eq', property: 'initiatedByUserPrincipalName', value: 'a@b.c' },
      { kind: 'eq', property: 'targetResourceId', value: 'x' },
    ]);
  });

  it.each([
    "result ne 'x'",
    "a eq 'x' or b eq 'y'",
    "not category eq 'x'",
    "(category eq 'x')",
    "targetResources/all(t:t/id eq 'x')",
    "targetResources/any(t:t/displayName eq 'x')",
    "contains(category,'x')",
    'activityDateTime eq 2024-01-01T00:00:00Z',
    "operationType eq 'Add'",
  ])('%s is unsupported', (text) => {
    expect(codeOf(() => parseAuditFilter(text))).toBe('unsupported_query');
  });

  it.each([
    '',
    "category eq 'x",
    'category eq',
    "category eq 'x' and",
    "category eq 'x' category eq 'y'",
    'activityDateTime ge 2024-01-01',
    "activityDateTime ge '2024-01-01T00:00:00Z'",
    'category eq 5',
    "targetResources/any(t:s/id eq 'x')",
    'x'.repeat(3000),
  ])('%s is invalid', (text) => {
    expect(codeOf(() => parseAuditFilter(text))).toBe('invalid_query');
  });
});

describe('parseRegistrationFilter', () => {
  it('parses flags and the user principal name', () => {
    expect(parseRegistrationFilter("isSsprCapable eq false and userPrincipalName eq 'a@b.c'")).toEqual([
      { kind: 'flag', property: 'isSsprCapable', value: false },
      { kind: 'userPrincipalName', value: 'a@b.c' },
    ]);
  });

  it('refuses other properties, operators and value types', () => {
    expect(codeOf(() => parseRegistrationFilter('isMfaCapable eq true'))).toBe('unsupported_query');
    expect(codeOf(() => parseRegistrationFilter('isAdmin ne true'))).toBe('unsupported_query');
    expect(codeOf(() => parseRegistrationFilter("isAdmin eq 'true'"))).toBe('invalid_query');
  });
});

describe('auditRetentionDays', () => {
  it('defaults to 30 and reads SSPR_AUDIT_RETENTION_DAYS within 1-3650', () => {
    expect(loadConfig({ env: {} }).auditRetentionDays).toBe(30);
    expect(loadConfig({ env: { SSPR_AUDIT_RETENTION_DAYS: '90' } }).auditRetentionDays).toBe(90);
    expect(codeOf(() => loadConfig({ env: { SSPR_AUDIT_RETENTION_DAYS: '0' } }))).toBe('invalid_configuration');
    expect(codeOf(() => loadConfig({ env: { SSPR_AUDIT_RETENTION_DAYS: '3651' } }))).toBe('invalid_configuration');
  });
});
