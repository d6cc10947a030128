/**
 * What the self-service flows ask of message delivery. The delivery service (this folder) implements it over
 * the connectors (SMTP, Twilio-compatible SMS and voice, signed webhook, development outbox), with retries.
 */
export type DeliveryChannel = 'email' | 'sms' | 'voice';

export type CodePurpose = 'passwordReset' | 'securityInfoRegistration';

export interface CodeMessage {
  readonly channel: DeliveryChannel;
  /** An email address, or a phone number in the SSPR format (`+1 4255550100 x123`); the extension is never dialled. */
  readonly to: string;
  readonly code: string;
  readonly purpose: CodePurpose;
  /** BCP 47 language of the page the user is on, for example `en` or `fr`. */
  readonly language: string;
}

export type DeliveryOutcome =
  | { readonly status: 'sent' }
  /** Every attempt failed (recorded); the user is told to try another method. */
  | { readonly status: 'failed' }
  /** Refused before anything was sent: the number's country code is blocked by the SSPR policy. */
  | { readonly status: 'blocked' };

export interface PasswordChangedNotice {
  /** Primary and alternate addresses; duplicates and invalid ones are skipped. */
  readonly to: readonly string[];
  readonly userPrincipalName: string;
  readonly displayName: string | null;
  readonly at: Date;
  readonly language: string;
  /** `self` when the user reset it; `admin` for the notice other administrators get. */
  readonly kind: 'self' | 'adminResetByUser';
}

export interface CodeDelivery {
  /**
   * Sends a one-time code, retrying with backoff (each attempt recorded in `deliveries`, masked). Resolves with
   * the outcome once sent or once every attempt failed; bounded to a few seconds.
   */
  sendCode(message: CodeMessage): Promise<DeliveryOutcome>;
  /** Best effort; failures are recorded, never thrown. */
  notifyPasswordChanged(notice: PasswordChangedNotice): Promise<void>;
}
