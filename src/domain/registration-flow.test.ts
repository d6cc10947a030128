import { describe, expect, it } from 'vitest';
import { checkCode, maxRegistrationCodeFailures, newVerification, registrationDue } from './registration-flow.js';

describe('registration verification', () => {
  it('verifies once, and ends after five wrong codes', () => {
    const start = newVerification('phone', 'voice', '+1 4255550100');
    expect(checkCode(start, true)).toMatchObject({ outcome: 'verified', state: { status: 'verified' } });
    let state = start;
    for (let attempt = 1; attempt < maxRegistrationCodeFailures; attempt++) {
      const next = checkCode(state, false);
      expect(next.outcome).toBe('invalid');
      state = next.state;
    }
    const last = checkCode(state, false);
    expect(last.outcome).toBe('ended');
    expect(checkCode(last.state, true).outcome).toBe('ended');
  });

  it('sends email codes by email whatever channel is asked', () => {
    expect(newVerification('email', 'sms', 'a@example.org').channel).toBe('email');
  });
});

describe('registrationDue', () => {
  const now = new Date('2026-11-25T09:00:00Z');
  const base = {
    requiredOnSignIn: true,
    reconfirmIntervalInDays: 180,
    isSsprRegistered: true,
    confirmedAt: new Date('2026-10-01T00:00:00Z'),
    skippedAt: null,
    sessionStartedAt: now,
    now,
  };
  it('is off when the policy does not require registration', () => {
    expect(registrationDue({ ...base, requiredOnSignIn: false, isSsprRegistered: false })).toBe(false);
  });
  it('asks unregistered users until they skip in this session', () => {
    expect(registrationDue({ ...base, isSsprRegistered: false })).toBe(true);
    expect(registrationDue({ ...base, isSsprRegistered: false, skippedAt: now })).toBe(false);
    expect(
      registrationDue({
        ...base,
        isSsprRegistered: false,
        skippedAt: new Date(now.getTime() - 1),
        sessionStartedAt: now,
      }),
    ).toBe(true);
  });
  it('asks for reconfirmation after the interval, never with 0', () => {
    const old = new Date(now.getTime() - 181 * 86_400_000);
    expect(registrationDue({ ...base, confirmedAt: old })).toBe(true);
    expect(registrationDue({ ...base, confirmedAt: old, reconfirmIntervalInDays: 0 })).toBe(false);
    expect(registrationDue(base)).toBe(false);
  });
});
