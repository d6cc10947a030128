import { createHmac } from 'node:crypto';

export const webhookTimestampHeader = 'X-OpenSSPR-Timestamp';
export const webhookSignatureHeader = 'X-OpenSSPR-Signature';

/** `sha256=<hex HMAC-SHA-256(secret, timestamp + "." + body)>`, what a receiver recomputes to check a request. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface SignedWebhookOptions {
  readonly url: string;
  readonly secret: string;
  readonly clock?: () => Date;
  readonly timeoutMs?: number;
}

/**
 * SMS and voice handed to the operator's own gateway: a POST of JSON `{channel, to, text, language}` with
 * `X-OpenSSPR-Timestamp` (Unix seconds) and `X-OpenSSPR-Signature` (see `webhookSignature`). Any 2xx is success.
 * Receivers should refuse timestamps more than a few minutes old. Satisfies `SmsTransport` and `VoiceTransport`.
 */
export class SignedWebhook {
  constructor(private readonly options: SignedWebhookOptions) {}

  async sendSms(toE164: string, body: string, language?: string): Promise<void> {
    await this.post({ channel: 'sms', to: toE164, text: body, language: language ?? null });
  }

  async call(toE164: string, spokenText: string, language: string): Promise<void> {
    await this.post({ channel: 'voice', to: toE164, text: spokenText, language });
  }

  private async post(payload: { channel: 'sms' | 'voice'; to: string; text: string; language: string | null }) {
    const body = JSON.stringify(payload);
    const now = this.options.clock?.() ?? new Date();
    const timestamp = String(Math.floor(now.getTime() / 1000));
    const response = await fetch(this.options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [webhookTimestampHeader]: timestamp,
        [webhookSignatureHeader]: webhookSignature(this.options.secret, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`webhook answered ${response.status}`);
  }
}
