import { describe, expect, it } from 'vitest';
import type { MethodReadiness, SsprReadiness } from './authentication-methods.js';
import { addToReadinessSummary, emptyReadinessSummary } from './registration-report.js';

const readiness = (capable: boolean, methods: Partial<MethodReadiness>[]): SsprReadiness =>
  ({ isSsprCapable: capable, isSsprRegistered: false, methods }) as unknown as SsprReadiness;

describe('addToReadinessSummary', () => {
  it('counts a user once per unusable reason, as the users list filtered by that reason shows them', () => {
    const summary = emptyReadinessSummary();
    // Both phones out of the SSPR format: one user to fix, not two.
    addToReadinessSummary(
      summary,
      readiness(true, [
        { method: 'mobilePhone', usable: false, reason: 'not_in_sspr_format' },
        { method: 'officePhone', usable: false, reason: 'not_in_sspr_format' },
        { method: 'email', usable: true, reason: null },
        { method: 'securityQuestions', usable: false, reason: 'not_set' },
      ]),
      false,
    );
    addToReadinessSummary(
      summary,
      readiness(false, [
        { method: 'mobilePhone', usable: false, reason: 'not_in_sspr_format' },
        { method: 'email', usable: false, reason: 'invalid_email_address' },
      ]),
      true,
    );
    expect(summary).toMatchObject({
      totalUsers: 2,
      capableNow: 1,
      prePopulatedOnly: 1,
      admins: 1,
      byMethod: { email: 1, mobilePhone: 0, officePhone: 0, securityQuestions: 0 },
      unusable: { not_in_sspr_format: 2, invalid_email_address: 1 },
    });
  });
});
