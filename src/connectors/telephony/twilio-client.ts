export interface TwilioClientOptions {
  /** `https://api.twilio.com`, or a compatible API. */
  readonly baseUrl: string;
  readonly accountSid: string;
  readonly authToken: string;
  /** The sending number (E.164). */
  readonly from: string;
  /** Per request; default 10 s. */
  readonly timeoutMs?: number;
}

/** A non-2xx answer from the API: the HTTP status and Twilio's error code, never the credentials or the body sent. */
export class TwilioApiError extends Error {
  constructor(
    readonly status: number,
    readonly twilioCode: number | null,
    twilioMessage: string | null,
  ) {
    super(
      `Twilio API answered ${status}${twilioCode === null ? '' : ` (error ${twilioCode})`}` +
        (twilioMessage ? `: ${twilioMessage}` : ''),
    );
    this.name = 'TwilioApiError';
  }
}

export function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** TwiML that says the text once, in `en-US` or `fr-FR`. */
export function sayTwiml(spokenText: string, language: string): string {
  const locale = language.trim().toLowerCase().startsWith('fr') ? 'fr-FR' : 'en-US';
  return `<Response><Say language="${locale}">${escapeXml(spokenText)}</Say></Response>`;
}

/**
 * SMS and voice calls through Twilio's REST API (2010-04-01) or any API with the same shape. Satisfies the delivery
 * service's `SmsTransport` and `VoiceTransport`.
 */
export class TwilioClient {
  private readonly accountUrl: string;
  private readonly authorization: string;

  constructor(private readonly options: TwilioClientOptions) {
    const base = options.baseUrl.replace(/\/+$/, '');
    this.accountUrl = `${base}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}`;
    this.authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  }

  async sendSms(toE164: string, body: string): Promise<void> {
    await this.post('Messages.json', { To: toE164, From: this.options.from, Body: body });
  }

  async call(toE164: string, spokenText: string, language: string): Promise<void> {
    await this.post('Calls.json', { To: toE164, From: this.options.from, Twiml: sayTwiml(spokenText, language) });
  }

  private async post(resource: string, fields: Record<string, string>): Promise<void> {
    const response = await fetch(`${this.accountUrl}/${resource}`, {
      method: 'POST',
      headers: {
        authorization: this.authorization,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams(fields).toString(),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    if (response.ok) {
      await response.body?.cancel();
      return;
    }
    let code: number | null = null;
    let message: string | null = null;
    try {
      const answer = (await response.json()) as { code?: unknown; message?: unknown };
      if (typeof answer.code === 'number') code = answer.code;
      if (typeof answer.message === 'string') message = answer.message.slice(0, 200);
    } catch {
      // Not JSON: the status alone says enough.
    }
    throw new TwilioApiError(response.status, code, message);
  }
}
