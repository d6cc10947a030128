import { describe, expect, it } from 'vitest';
import { modifiedProperties } from './audit.js';

describe('modifiedProperties', () => {
  it('records old and new values as JSON text', () => {
    expect(modifiedProperties({ mobilePhone: '+1 4251234567' }, { mobilePhone: '+1 4259999999' })).toEqual([
      { displayName: 'mobilePhone', oldValue: '"+1 4251234567"', newValue: '"+1 4259999999"' },
    ]);
  });
  it('never records a password', () => {
    const recorded = JSON.stringify(modifiedProperties(null, { passwordProfile: { password: 'Secret-Value-123' } }));
    expect(recorded).not.toContain('Secret-Value-123');
    expect(recorded).toContain('[redacted]');
  });
});
