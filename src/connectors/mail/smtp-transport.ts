import nodemailer, { type Transporter } from 'nodemailer';

export interface SmtpTransportOptions {
  /** `smtp://user:pass@host:587` (STARTTLS when the server offers it) or `smtps://user:pass@host:465` (implicit TLS). */
  readonly url: string;
  /** The `From` header, e.g. `OpenSSPR <no-reply@contoso.com>`. */
  readonly from: string;
  /** Extra CA certificates (PEM) to trust; for tests against a development CA. */
  readonly trustedCa?: string | Buffer;
  /** Gives up on a connection or a reply after this long; default 10 s so a reset page never hangs. */
  readonly timeoutMs?: number;
}

/**
 * Outgoing mail over SMTP with nodemailer. Satisfies the delivery service's `EmailTransport`: `send` resolves once
 * the server accepted the message and throws otherwise (the service retries). Connections are pooled.
 */
export class SmtpTransport {
  private readonly transporter: Transporter;
  private readonly from: string;

  constructor(options: SmtpTransportOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
      throw new Error(`smtpUrl must start with smtp:// or smtps:// (got ${url.protocol}//)`);
    }
    const secure = url.protocol === 'smtps:';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // STARTTLS is required for smtp:// (a stripped STARTTLS must not send codes and credentials in clear text),
    // except to a loopback relay or with an explicit `?insecure=true`.
    const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
    const requireTLS = !secure && !loopback && url.searchParams.get('insecure') !== 'true';
    const timeout = options.timeoutMs ?? 10_000;
    const user = decodeURIComponent(url.username);
    this.from = options.from;
    this.transporter = nodemailer.createTransport({
      pool: true,
      host,
      port: url.port ? Number(url.port) : secure ? 465 : 587,
      secure,
      requireTLS,
      ...(user && { auth: { user, pass: decodeURIComponent(url.password) } }),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      ...(options.trustedCa !== undefined && { tls: { ca: [options.trustedCa.toString()] } }),
    });
  }

  async send(mail: {
    readonly to: string;
    readonly subject: string;
    readonly text: string;
    readonly html: string;
  }): Promise<void> {
    await this.transporter.sendMail({
      from: this.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
    });
  }

  close(): void {
    this.transporter.close();
  }
}
