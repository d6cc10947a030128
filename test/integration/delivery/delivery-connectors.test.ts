import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SmtpTransport } from '../../../src/connectors/mail/smtp-transport.js';
import { SignedWebhook } from '../../../src/connectors/telephony/signed-webhook.js';
import { TwilioClient } from '../../../src/connectors/telephony/twilio-client.js';
import { defaultSsprPolicy, type SsprPolicy } from '../../../src/domain/sspr-policy.js';
import type { CodeMessage } from '../../../src/services/delivery/code-delivery.js';
import {
  DeliveryService,
  type EmailTransport,
  type SmsTransport,
  type VoiceTransport,
} from '../../../src/services/delivery/delivery-service.js';
import { SqlDeliveryRepository } from '../../../src/store/delivery-repository.js';
import { SqlOutboxRepository } from '../../../src/store/outbox-repository.js';
import { createSqliteDatabase, type TestDatabase } from '../../support/databases.js';
import { type SmtpSink, startSmtpSink } from '../../support/smtp-sink.js';
import { startTwilioStandIn, type TwilioStandIn } from '../../support/twilio-stand-in.js';

let database: TestDatabase;
let sink: SmtpSink;
let twilio: TwilioStandIn;
let smtp: SmtpTransport;
let twilioClient: TwilioClient;
let policy: SsprPolicy;
let sleeps: number[];
let logLines: string[];
/** Every code a test sends, so the last test can search the table and the log for all of them. */
const codesSent = new Set<string>();

const twilioFrom = '+15005550006';

beforeAll(async () => {
  database = await createSqliteDatabase();
  sink = await startSmtpSink({ starttls: true, auth: { user: 'mailer', pass: 'p@ss word' } });
  twilio = await startTwilioStandIn({ accountSid: 'AC0123456789abcdef', authToken: 'super-secret-token' });
  smtp = new SmtpTransport({ url: sink.url, from: 'OpenSSPR <no-reply@contoso.com>', trustedCa: sink.caPem ?? '' });
  twilioClient = new TwilioClient({
    baseUrl: twilio.baseUrl,
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    from: twilioFrom,
  });
});

afterAll(async () => {
  smtp.close();
  await sink.stop();
  await twilio.stop();
  await database.dispose();
});

beforeEach(() => {
  policy = defaultSsprPolicy;
  sleeps = [];
  sink.clear();
  twilio.clear();
});

function service(transports: { email?: EmailTransport; sms?: SmsTransport; voice?: VoiceTransport } = {}) {
  logLines = [];
  return new DeliveryService({
    email: transports.email ?? smtp,
    sms: transports.sms ?? twilioClient,
    voice: transports.voice ?? twilioClient,
    log: new SqlDeliveryRepository(database.store.db),
    policy: { current: async () => policy },
    tenantName: () => 'Contoso',
    clock: () => new Date(),
    newId: randomUUID,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    logger: pino({ level: 'trace' }, { write: (line: string) => logLines.push(line) }),
  });
}

function code(): string {
  const value = String(10_000_000 + Math.floor(Math.random() * 89_999_999));
  codesSent.add(value);
  return value;
}

function message(fields: Partial<CodeMessage> & Pick<CodeMessage, 'channel' | 'to' | 'code'>): CodeMessage {
  return { purpose: 'passwordReset', language: 'en', ...fields };
}

async function lastDelivery() {
  return database.store.db
    .selectFrom('deliveries')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('updated_at', 'desc')
    .executeTakeFirstOrThrow();
}

describe('email through a real SMTP server', () => {
  it('sends the code over STARTTLS with authentication and records a masked delivery', async () => {
    const value = code();
    const outcome = await service().sendCode(message({ channel: 'email', to: 'emily@fabrikam.com', code: value }));
    expect(outcome).toEqual({ status: 'sent' });

    const mail = await sink.waitFor((m) => m.to.includes('emily@fabrikam.com'));
    expect(mail.secure).toBe(true);
    expect(mail.authenticatedUser).toBe('mailer');
    expect(mail.from).toBe('no-reply@contoso.com');
    expect(mail.subject).toBe('Contoso account verification code');
    expect(mail.text).toContain(value);
    expect(mail.text).toContain('reset the password');
    expect(mail.html).toContain(`>${value}</strong>`);

    const row = await lastDelivery();
    expect(row).toMatchObject({
      channel: 'email',
      purpose: 'passwordReset',
      recipient_masked: 'em*****@fabrikam.com',
      status: 'sent',
      attempts: 1,
      last_error: null,
    });
  });

  it('writes French for a French page, non-ASCII subject included', async () => {
    const value = code();
    await service().sendCode(
      message({
        channel: 'email',
        to: 'elodie@fabrikam.fr',
        code: value,
        language: 'fr-CA',
        purpose: 'securityInfoRegistration',
      }),
    );
    const mail = await sink.waitFor((m) => m.to.includes('elodie@fabrikam.fr'));
    expect(mail.subject).toBe('Code de vérification du compte Contoso');
    expect(mail.text).toContain('Vous enregistrez cette adresse');
    expect(mail.text).toContain(`${value}`);
  });

  it('retries a temporary SMTP failure with backoff', async () => {
    sink.rejectNext(2);
    const value = code();
    const outcome = await service().sendCode(message({ channel: 'email', to: 'retry@fabrikam.com', code: value }));
    expect(outcome).toEqual({ status: 'sent' });
    expect(sleeps).toEqual([250, 1000]);
    expect(sink.messages.filter((m) => m.to.includes('retry@fabrikam.com'))).toHaveLength(1);
    expect(await lastDelivery()).toMatchObject({ status: 'sent', attempts: 3 });
  });

  it('sends the password-changed notice to each distinct valid address', async () => {
    await service().notifyPasswordChanged({
      to: ['emily@contoso.com', 'Emily@Contoso.com', 'not an address', 'emily.home@fabrikam.com'],
      userPrincipalName: 'emily@contoso.com',
      displayName: 'Emily Braun',
      at: new Date('2026-03-01T10:15:00Z'),
      language: 'en',
      kind: 'self',
    });
    expect(sink.messages.flatMap((m) => m.to)).toEqual(['emily@contoso.com', 'emily.home@fabrikam.com']);
    expect(sink.messages[0]?.subject).toBe('Contoso account password reset');
    expect(sink.messages[0]?.text).toContain('March 1, 2026');
    expect(await lastDelivery()).toMatchObject({ purpose: 'passwordChanged', status: 'sent' });
  });
});

describe('SMS and voice through the Twilio stand-in', () => {
  it('texts the number without its extension', async () => {
    const value = code();
    const outcome = await service().sendCode(message({ channel: 'sms', to: '+1 4255550100 x123', code: value }));
    expect(outcome).toEqual({ status: 'sent' });
    const sms = await twilio.waitFor((r) => r.kind === 'sms');
    expect(sms).toEqual({
      kind: 'sms',
      to: '+14255550100',
      from: twilioFrom,
      body: `Use verification code ${value} for your Contoso account.`,
    });
    expect(await lastDelivery()).toMatchObject({
      channel: 'sms',
      recipient_masked: '+X XXXXXXXX00',
      status: 'sent',
      attempts: 1,
    });
  });

  it('accepts the strict extension form too', async () => {
    await service().sendCode(message({ channel: 'sms', to: '+1 4255550100X123', code: code() }));
    expect((await twilio.waitFor()).to).toBe('+14255550100');
  });

  it('calls and reads the digits one by one, twice, in the page language', async () => {
    const outcome = await service().sendCode(message({ channel: 'voice', to: '+1 4255550100 x123', code: '12345678' }));
    codesSent.add('12345678');
    expect(outcome).toEqual({ status: 'sent' });
    const call = await twilio.waitFor((r) => r.kind === 'call');
    if (call.kind !== 'call') throw new Error('expected a call');
    expect(call.to).toBe('+14255550100');
    expect(call.twiml).toMatch(/^<Response><Say language="en-US">.*<\/Say><\/Response>$/);
    expect(call.twiml.split('1, 2, 3, 4, 5, 6, 7, 8')).toHaveLength(3);

    await service().sendCode(message({ channel: 'voice', to: '+33 612345678', code: code(), language: 'fr' }));
    const french = await twilio.waitFor((r) => r.kind === 'call' && r.to === '+33612345678');
    expect(french.kind === 'call' && french.twiml).toContain('<Say language="fr-FR">');
    expect(french.kind === 'call' && french.twiml).toContain('Je répète');
  });

  it('retries after two failures and succeeds on the third attempt', async () => {
    twilio.failNext(2, 503);
    const outcome = await service().sendCode(message({ channel: 'sms', to: '+1 4255550101', code: code() }));
    expect(outcome).toEqual({ status: 'sent' });
    expect(sleeps).toEqual([250, 1000]);
    expect(twilio.requests).toHaveLength(1);
    const row = await lastDelivery();
    expect(row).toMatchObject({ status: 'sent', attempts: 3 });
    expect(row.last_error).toContain('503');
  });

  it('gives up after three failed attempts, each recorded, without throwing', async () => {
    twilio.failNext(3, 500);
    const outcome = await service().sendCode(message({ channel: 'sms', to: '+1 4255550102', code: code() }));
    expect(outcome).toEqual({ status: 'failed' });
    expect(sleeps).toEqual([250, 1000]);
    expect(twilio.requests).toHaveLength(0);
    const row = await lastDelivery();
    expect(row).toMatchObject({ status: 'failed', attempts: 3 });
    expect(row.last_error).toMatch(/Twilio API answered 500 \(error 20500\)/);
    expect(logLines.filter((line) => line.includes('delivery attempt failed'))).toHaveLength(2);
    expect(logLines.filter((line) => line.includes('"message delivery failed"'))).toHaveLength(1);
  });

  it('reports wrong credentials with the status and Twilio code, never the token', async () => {
    const wrong = new TwilioClient({
      baseUrl: twilio.baseUrl,
      accountSid: twilio.accountSid,
      authToken: 'wrong-token-value',
      from: twilioFrom,
    });
    const outcome = await service({ sms: wrong }).sendCode(
      message({ channel: 'sms', to: '+1 4255550103', code: code() }),
    );
    expect(outcome).toEqual({ status: 'failed' });
    expect(twilio.unauthorizedCount).toBeGreaterThanOrEqual(3);
    const row = await lastDelivery();
    expect(row.last_error).toContain('401 (error 20003)');
    expect(row.last_error).not.toContain('wrong-token-value');
    expect(logLines.join('\n')).not.toContain('wrong-token-value');
  });

  it('refuses a blocked country code before anything is sent', async () => {
    policy = { ...defaultSsprPolicy, blockedCountryCodes: ['44'] };
    const outcome = await service().sendCode(message({ channel: 'voice', to: '+44 7700900123', code: code() }));
    expect(outcome).toEqual({ status: 'blocked' });
    expect(twilio.requests).toHaveLength(0);
    expect(sleeps).toEqual([]);
    expect(await lastDelivery()).toMatchObject({ status: 'blocked', attempts: 0, recipient_masked: '+XX XXXXXXXX23' });
  });

  it('fails a value that is not a phone number without calling anyone', async () => {
    const outcome = await service().sendCode(message({ channel: 'sms', to: 'call me maybe', code: code() }));
    expect(outcome).toEqual({ status: 'failed' });
    expect(twilio.requests).toHaveLength(0);
  });
});

describe('signed webhook', () => {
  let receiver: Server;
  let url: string;
  const secret = 'webhook-secret-0123456789abcdef';
  const received: { headers: Record<string, string | string[] | undefined>; body: string; valid: boolean }[] = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const timestamp = String(request.headers['x-opensspr-timestamp']);
        const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
        const sent = String(request.headers['x-opensspr-signature'] ?? '');
        const valid = sent.length === expected.length && timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
        received.push({ headers: request.headers, body, valid });
        response.writeHead(valid ? 204 : 401).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/sspr-hook`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  afterEach(() => {
    received.length = 0;
  });

  it('posts JSON signed with HMAC-SHA-256 over timestamp and body', async () => {
    const webhook = new SignedWebhook({ url, secret, clock: () => new Date('2026-01-02T03:04:05Z') });
    const value = code();
    const outcome = await service({ sms: webhook, voice: webhook }).sendCode(
      message({ channel: 'sms', to: '+1 4255550100 x9', code: value, language: 'fr' }),
    );
    expect(outcome).toEqual({ status: 'sent' });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request?.valid).toBe(true);
    expect(request?.headers['x-opensspr-timestamp']).toBe(String(Date.parse('2026-01-02T03:04:05Z') / 1000));
    expect(JSON.parse(request?.body ?? '')).toEqual({
      channel: 'sms',
      to: '+14255550100',
      text: `Utilisez le code de vérification ${value} pour votre compte Contoso.`,
      language: 'fr',
    });
  });

  it('treats a refused signature as a failed delivery', async () => {
    const webhook = new SignedWebhook({ url, secret: 'another-secret-0123456789' });
    const outcome = await service({ sms: webhook, voice: webhook }).sendCode(
      message({ channel: 'voice', to: '+1 4255550100', code: code() }),
    );
    expect(outcome).toEqual({ status: 'failed' });
    expect(received.map((r) => r.valid)).toEqual([false, false, false]);
    expect((await lastDelivery()).last_error).toBe('webhook answered 401');
  });
});

describe('secrets', () => {
  it('keeps the code and message body out of the record and the log even when a transport echoes them', async () => {
    const value = code();
    const echoing: SmsTransport = {
      async sendSms(to, body) {
        throw new Error(`gateway refused message to ${to}: "${body}" (code ${value})`);
      },
    };
    const outcome = await service({ sms: echoing }).sendCode(
      message({ channel: 'sms', to: '+1 4255550104', code: value }),
    );
    expect(outcome).toEqual({ status: 'failed' });
    const row = await lastDelivery();
    expect(row.last_error).toBe('gateway refused message to +X XXXXXXXX04: "***" (code ***)');
    expect(logLines.join('\n')).not.toContain(value);
    expect(logLines.join('\n')).not.toContain('4255550104');
  });

  it('never stores any code sent in these tests in the deliveries table', async () => {
    const rows = await database.store.db.selectFrom('deliveries').selectAll().execute();
    expect(rows.length).toBeGreaterThan(10);
    const dump = JSON.stringify(rows);
    expect(codesSent.size).toBeGreaterThan(10);
    for (const sent of codesSent) expect(dump).not.toContain(sent);
    expect(dump).not.toContain('emily@fabrikam.com');
    expect(dump).not.toContain('4255550100');
  });
});

describe('development outbox repository', () => {
  it('stores each channel and lists newest first', async () => {
    const outbox = new SqlOutboxRepository(database.store.db, {
      clock: () => new Date('2026-01-01T00:00:00Z'),
      newId: randomUUID,
    });
    const delivery = service({ email: outbox, sms: outbox, voice: outbox });
    await delivery.sendCode(message({ channel: 'email', to: 'a@contoso.com', code: '11111111' }));
    await delivery.sendCode(message({ channel: 'sms', to: '+1 4255550100 x1', code: '22222222' }));
    await delivery.sendCode(message({ channel: 'voice', to: '+1 4255550100', code: '33333333' }));
    const listed = await outbox.list({ top: 10 });
    expect(listed.map((m) => [m.channel, m.recipient])).toEqual([
      ['voice', '+14255550100'],
      ['sms', '+14255550100'],
      ['email', 'a@contoso.com'],
    ]);
    expect(listed[1]?.body).toContain('22222222');
    expect(listed[2]?.subject).toBe('Contoso account verification code');
    expect(await outbox.list({ top: 1 })).toHaveLength(1);
  });
});
