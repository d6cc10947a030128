import { isValidAlternateEmail, maskEmailAddress } from '../../domain/email-address.js';
import {
  dialableNumber,
  maskPhoneNumber,
  parseSsprPhoneNumber,
  type SsprPhoneNumber,
  splitExtension,
} from '../../domain/phone-number.js';
import type { SsprPolicy } from '../../domain/sspr-policy.js';
import type {
  CodeDelivery,
  CodeMessage,
  DeliveryChannel,
  DeliveryOutcome,
  PasswordChangedNotice,
} from './code-delivery.js';
import { codeEmail, codeSms, codeVoice, passwordChangedEmail } from './message-templates.js';

// ---------------------------------------------------------------------------
// Ports: what the delivery service needs from the outside world
// ---------------------------------------------------------------------------

export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** SMTP (connectors/mail) or the development outbox. Throws on failure. */
export interface EmailTransport {
  send(mail: OutgoingMail): Promise<void>;
}

/** A Twilio-compatible API, a signed webhook or the development outbox. `toE164` never has an extension. */
export interface SmsTransport {
  /** `language` (the BCP 47 tag of the user's page) is informational; the body is already in that language. */
  sendSms(toE164: string, body: string, language?: string): Promise<void>;
}

export interface VoiceTransport {
  /** Places a call that reads `spokenText` in `language` (the BCP 47 tag the user's page had). */
  call(toE164: string, spokenText: string, language: string): Promise<void>;
}

/** `pending` while attempts are being made; one of the other three once settled. */
export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'blocked';

/** A row of `deliveries`: never the code, the body, or the full recipient. */
export interface DeliveryRecord {
  readonly id: string;
  readonly channel: DeliveryChannel;
  /** A `CodePurpose`, or `passwordChanged` for the notices. */
  readonly purpose: string;
  readonly recipientMasked: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly at: Date;
}

export interface DeliveryLog {
  record(delivery: DeliveryRecord): Promise<void>;
  update(
    id: string,
    changes: {
      readonly status: DeliveryStatus;
      readonly attempts: number;
      readonly lastError: string | null;
      readonly at: Date;
    },
  ): Promise<void>;
}

/** pino's shape, narrowed: only warnings, only structured fields that hold no secrets. */
export interface DeliveryLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface DeliveryServiceDependencies {
  readonly email: EmailTransport;
  readonly sms: SmsTransport;
  readonly voice: VoiceTransport;
  readonly log: DeliveryLog;
  readonly policy: { current(): Promise<SsprPolicy> };
  readonly tenantName: () => string;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** Waits between attempts; tests pass one that returns at once. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Delays before the 2nd, 3rd, ... attempt; its length + 1 is the number of attempts. Default 250 ms, 1 s. */
  readonly backoffMs?: readonly number[];
  readonly logger?: DeliveryLogger;
}

export const defaultBackoffMs: readonly number[] = [250, 1000];

/** Longest error text kept in `deliveries.last_error`. */
const maxErrorLength = 300;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends codes and notices over the configured transports (`CodeDelivery`). Each message gets one `deliveries`
 * row (masked recipient, status, attempts, last error without secrets), updated after every attempt. Transport
 * errors never reach the caller: they become `{ status: 'failed' }` after the last attempt.
 */
export class DeliveryService implements CodeDelivery {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly backoffMs: readonly number[];

  constructor(private readonly deps: DeliveryServiceDependencies) {
    this.sleep = deps.sleep ?? realSleep;
    this.backoffMs = deps.backoffMs ?? defaultBackoffMs;
  }

  async sendCode(message: CodeMessage): Promise<DeliveryOutcome> {
    const tenantName = this.deps.tenantName();
    if (message.channel === 'email') {
      const content = codeEmail({
        code: message.code,
        purpose: message.purpose,
        tenantName,
        language: message.language,
      });
      return this.deliver({
        channel: 'email',
        purpose: message.purpose,
        recipientMasked: maskEmailAddress(message.to),
        secrets: [message.code, message.to, content.text],
        send: () => this.deps.email.send({ to: message.to, ...content }),
      });
    }

    const phoneNumber = parseForDialling(message.to);
    const recipientMasked = maskPhoneNumber(phoneNumber ?? message.to);
    if (phoneNumber === null) {
      await this.settleWithoutSending(message, recipientMasked, 'failed', 'not a phone number in the SSPR format');
      return { status: 'failed' };
    }
    const policy = await this.deps.policy.current();
    if (policy.blockedCountryCodes.includes(phoneNumber.countryCode)) {
      await this.settleWithoutSending(message, recipientMasked, 'blocked', `country code blocked by the policy`);
      return { status: 'blocked' };
    }
    // E.164 without the extension: password reset never dials extensions (SPEC section 3).
    const toE164 = dialableNumber(phoneNumber);
    const secrets = [message.code, message.to, toE164, phoneNumber.nationalNumber];
    if (message.channel === 'sms') {
      const body = codeSms({ code: message.code, tenantName, language: message.language });
      return this.deliver({
        channel: 'sms',
        purpose: message.purpose,
        recipientMasked,
        secrets: [...secrets, body],
        send: () => this.deps.sms.sendSms(toE164, body, message.language),
      });
    }
    const spoken = codeVoice({ code: message.code, tenantName, language: message.language });
    return this.deliver({
      channel: 'voice',
      purpose: message.purpose,
      recipientMasked,
      secrets: [...secrets, spoken],
      send: () => this.deps.voice.call(toE164, spoken, message.language),
    });
  }

  async notifyPasswordChanged(notice: PasswordChangedNotice): Promise<void> {
    const seen = new Set<string>();
    const recipients = notice.to.filter((address) => {
      const key = address.trim().toLowerCase();
      if (!isValidAlternateEmail(address.trim()) || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (recipients.length === 0) return;
    const content = passwordChangedEmail({
      kind: notice.kind,
      userPrincipalName: notice.userPrincipalName,
      displayName: notice.displayName,
      at: notice.at,
      tenantName: this.deps.tenantName(),
      language: notice.language,
    });
    await Promise.all(
      recipients.map((address) => {
        const to = address.trim();
        return this.deliver({
          channel: 'email',
          purpose: 'passwordChanged',
          recipientMasked: maskEmailAddress(to),
          secrets: [to],
          send: () => this.deps.email.send({ to, ...content }),
        });
      }),
    );
  }

  /** Attempts with backoff, each recorded; resolves `sent` or `failed`, never throws for transport errors. */
  private async deliver(delivery: {
    readonly channel: DeliveryChannel;
    readonly purpose: string;
    readonly recipientMasked: string;
    /** Values that must never reach the record or the log (the code, the body, the full recipient). */
    readonly secrets: readonly string[];
    readonly send: () => Promise<void>;
  }): Promise<DeliveryOutcome> {
    const id = this.deps.newId();
    const logFields = { deliveryId: id, channel: delivery.channel, purpose: delivery.purpose };
    await this.safely(logFields, () =>
      this.deps.log.record({
        id,
        channel: delivery.channel,
        purpose: delivery.purpose,
        recipientMasked: delivery.recipientMasked,
        status: 'pending',
        attempts: 0,
        lastError: null,
        at: this.deps.clock(),
      }),
    );
    const maxAttempts = this.backoffMs.length + 1;
    let lastError: string | null = null;
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      if (attempt > 1) await this.sleep(this.backoffMs[attempt - 2] ?? 0);
      try {
        await delivery.send();
        await this.safely(logFields, () =>
          this.deps.log.update(id, { status: 'sent', attempts: attempt, lastError, at: this.deps.clock() }),
        );
        return { status: 'sent' };
      } catch (error) {
        lastError = describeError(error, delivery.secrets, delivery.recipientMasked);
        const final = attempt === maxAttempts;
        this.deps.logger?.warn(
          { ...logFields, attempt, maxAttempts, error: lastError },
          final ? 'message delivery failed' : 'message delivery attempt failed; retrying',
        );
        await this.safely(logFields, () =>
          this.deps.log.update(id, {
            status: final ? 'failed' : 'pending',
            attempts: attempt,
            lastError,
            at: this.deps.clock(),
          }),
        );
      }
    }
    return { status: 'failed' };
  }

  private async settleWithoutSending(
    message: CodeMessage,
    recipientMasked: string,
    status: 'failed' | 'blocked',
    reason: string,
  ): Promise<void> {
    const id = this.deps.newId();
    await this.safely({ deliveryId: id, channel: message.channel, purpose: message.purpose }, () =>
      this.deps.log.record({
        id,
        channel: message.channel,
        purpose: message.purpose,
        recipientMasked,
        status,
        attempts: 0,
        lastError: reason,
        at: this.deps.clock(),
      }),
    );
  }

  /** A broken delivery log must not turn a sent code into an error page. */
  private async safely(fields: Record<string, unknown>, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.deps.logger?.warn(
        { ...fields, error: error instanceof Error ? error.name : 'unknown' },
        'could not record a message delivery',
      );
    }
  }
}

/**
 * The strict SSPR format, or failing that the same number with a spaced extension (`+1 4255550100 x123`): the
 * extension is dropped before dialling anyway, so only the part before it has to be in the format.
 */
function parseForDialling(value: string): SsprPhoneNumber | null {
  const strict = parseSsprPhoneNumber(value);
  if (strict !== null) return strict;
  const { withoutExtension, extension } = splitExtension(value.trim());
  return extension === null ? null : parseSsprPhoneNumber(withoutExtension.trim());
}

/**
 * The error as text fit for `deliveries.last_error` and the log: one line, bounded, with every secret (the code,
 * the message body, the recipient in any of its forms) replaced by the masked recipient or `***`.
 */
export function describeError(error: unknown, secrets: readonly string[], recipientMasked: string): string {
  let text =
    error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : 'unknown error';
  // Longest first, so a body containing the code is removed whole before the code alone is.
  for (const secret of [...secrets].filter((value) => value.length >= 3).sort((a, b) => b.length - a.length)) {
    text = text.split(secret).join(secret.includes('@') || secret.startsWith('+') ? recipientMasked : '***');
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > maxErrorLength ? `${text.slice(0, maxErrorLength - 1)}…` : text || 'unknown error';
}
