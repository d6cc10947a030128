import { describe, expect, it } from 'vitest';
import { defaultSsprPolicy } from '../../domain/sspr-policy.js';
import { DeliveryService, describeError } from './delivery-service.js';

describe('describeError', () => {
  it('masks recipients, hides codes and bodies, and stays one bounded line', () => {
    const text = describeError(
      new Error('to +14255550100:\n"Use verification code 12345678" (12345678)'),
      ['12345678', '+14255550100', 'Use verification code 12345678'],
      '+X XXXXXXXX00',
    );
    expect(text).toBe('to +X XXXXXXXX00: "***" (***)');
    expect(describeError(new Error('x'.repeat(1000)), [], '').length).toBe(300);
    expect(describeError('not an error', [], '')).toBe('unknown error');
  });
});

describe('DeliveryService', () => {
  it('still reports the outcome when the delivery log itself fails', async () => {
    let sent = 0;
    const warnings: string[] = [];
    const service = new DeliveryService({
      email: {
        send: async () => {
          sent += 1;
        },
      },
      sms: { sendSms: async () => {} },
      voice: { call: async () => {} },
      log: {
        record: async () => {
          throw new Error('database is locked');
        },
        update: async () => {
          throw new Error('database is locked');
        },
      },
      policy: { current: async () => defaultSsprPolicy },
      tenantName: () => 'Contoso',
      clock: () => new Date(0),
      newId: () => 'id-1',
      sleep: async () => {},
      logger: { warn: (_fields, message) => warnings.push(message) },
    });
    const outcome = await service.sendCode({
      channel: 'email',
      to: 'emily@contoso.com',
      code: '12345678',
      purpose: 'passwordReset',
      language: 'en',
    });
    expect(outcome).toEqual({ status: 'sent' });
    expect(sent).toBe(1);
    expect(warnings).toEqual(['could not record a message delivery', 'could not record a message delivery']);
  });
});
