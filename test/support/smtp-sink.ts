import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { createDevelopmentCertificates } from '../../src/connectors/tls/dev-certificate.js';

/**
 * A real SMTP server (`smtp-server`) on a free loopback port that keeps every message it accepts: the mail sink
 * for integration and end-to-end tests.
 *
 * ```ts
 * const sink = await startSmtpSink({ starttls: true, auth: { user: 'mailer', pass: 's3cret' } });
 * // config: smtpUrl = sink.url (smtp://mailer:s3cret@127.0.0.1:PORT), trust sink.caPem
 * const mail = await sink.waitFor((m) => m.to.includes('emily@contoso.com'));
 * expect(mail.text).toContain('verification code');
 * await sink.stop();
 * ```
 */

export interface SinkMessage {
  /** Envelope sender (MAIL FROM). */
  readonly from: string;
  /** Envelope recipients (RCPT TO). */
  readonly to: readonly string[];
  /** The whole message as received (CRLF line ends). */
  readonly raw: string;
  /** The `Subject` header, RFC 2047 encoded words decoded. */
  readonly subject: string;
  /** The first text/plain part (or the body of a single-part text message), transfer encoding decoded. */
  readonly text: string;
  /** The first text/html part, decoded; null when there is none. */
  readonly html: string | null;
  /** Whether the session was over TLS (STARTTLS) when the message came. */
  readonly secure: boolean;
  /** The AUTH user name, or null when the client did not authenticate. */
  readonly authenticatedUser: string | null;
}

export interface SmtpSinkOptions {
  /** Offer STARTTLS with a certificate from a fresh development CA (see `caPem`), or with the given key pair. */
  readonly starttls?: boolean | { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Require AUTH PLAIN/LOGIN with these credentials (over TLS when `starttls` is on, else allowed in clear). */
  readonly auth?: { readonly user: string; readonly pass: string };
}

export interface SmtpSink {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `smtp://[user:pass@]127.0.0.1:PORT`, ready for the `smtpUrl` setting. */
  readonly url: string;
  /** The CA certificate (PEM) to trust when `starttls: true` made its own; null otherwise. */
  readonly caPem: string | null;
  /** Every message accepted so far, oldest first. */
  readonly messages: readonly SinkMessage[];
  /** Resolves with the first message (already received or still to come) that matches; rejects after `timeoutMs`. */
  waitFor(predicate?: (message: SinkMessage) => boolean, timeoutMs?: number): Promise<SinkMessage>;
  /** Answers the next `count` messages with a temporary failure (`451` by default) instead of accepting them. */
  rejectNext(count: number, responseCode?: number): void;
  /** Forgets the messages received so far. */
  clear(): void;
  stop(): Promise<void>;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const waiters = new Set<(message: SinkMessage) => void>();
  let rejectRemaining = 0;
  let rejectCode = 451;

  let tls: { cert: string | Buffer; key: string | Buffer } | null = null;
  let caPem: string | null = null;
  if (options.starttls === true) {
    const certificates = createDevelopmentCertificates({ hosts: ['127.0.0.1', 'localhost'] });
    tls = { cert: certificates.certPem, key: certificates.keyPem };
    caPem = certificates.caCertPem;
  } else if (options.starttls) {
    tls = { cert: options.starttls.cert, key: options.starttls.key };
  }

  const serverOptions: SMTPServerOptions = {
    secure: false,
    logger: false,
    banner: 'OpenSSPR test sink',
    disabledCommands: [...(tls ? [] : ['STARTTLS']), ...(options.auth ? [] : ['AUTH'])],
    authOptional: !options.auth,
    allowInsecureAuth: !tls,
    ...(tls && { key: tls.key, cert: tls.cert }),
    onAuth(auth, _session, callback) {
      const expected = options.auth;
      if (expected && auth.username === expected.user && auth.password === expected.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(new Error('Invalid username or password'));
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error) => callback(error));
      stream.on('end', () => {
        if (rejectRemaining > 0) {
          rejectRemaining -= 1;
          const error = new Error('Temporary failure (test sink)') as Error & { responseCode: number };
          error.responseCode = rejectCode;
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = parseMessage(raw);
        const message: SinkMessage = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((address) => address.address),
          raw,
          subject: parsed.subject,
          text: parsed.text,
          html: parsed.html,
          secure: session.secure,
          authenticatedUser: typeof session.user === 'string' ? session.user : null,
        };
        messages.push(message);
        for (const waiter of [...waiters]) waiter(message);
        callback();
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@`
    : '';

  return {
    host: '127.0.0.1',
    port,
    url: `smtp://${credentials}127.0.0.1:${port}`,
    caPem,
    get messages() {
      return messages;
    },
    waitFor(predicate = () => true, timeoutMs = 10_000) {
      const already = messages.find(predicate);
      if (already) return Promise.resolve(already);
      return new Promise<SinkMessage>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching message reached the SMTP sink within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (message: SinkMessage) => {
          if (!predicate(message)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(message);
        };
        waiters.add(waiter);
      });
    },
    rejectNext(count, responseCode = 451) {
      rejectRemaining = count;
      rejectCode = responseCode;
    },
    clear() {
      messages.length = 0;
    },
    stop() {
      return new Promise<void>((resolve) => {
        // Pooled clients keep connections open; do not wait the default 30 s for them.
        for (const connection of server.connections) (connection as { close?: () => void }).close?.();
        server.close(() => resolve());
      });
    },
  };
}

// ---------------------------------------------------------------------------
// Just enough MIME: headers, multipart, quoted-printable, base64, RFC 2047 words
// ---------------------------------------------------------------------------

interface MimePart {
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

function splitPart(raw: string): MimePart {
  const separator = raw.search(/\r?\n\r?\n/);
  const head = separator === -1 ? raw : raw.slice(0, separator);
  const body = separator === -1 ? '' : raw.slice(separator).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  // Unfold continuation lines, then one header per line.
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function headerParameter(value: string, name: string): string | null {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value);
  return match ? (match[1] ?? match[2] ?? null) : null;
}

export function decodeQuotedPrintable(text: string): string {
  const input = Buffer.from(text.replace(/=\r?\n/g, ''), 'utf8');
  const output: number[] = [];
  const isHex = (byte: number | undefined) =>
    byte !== undefined &&
    ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66));
  for (let index = 0; index < input.length; index += 1) {
    const byte = input[index] as number;
    if (byte === 0x3d && isHex(input[index + 1]) && isHex(input[index + 2])) {
      output.push(Number.parseInt(input.subarray(index + 1, index + 3).toString('latin1'), 16));
      index += 2;
    } else {
      output.push(byte);
    }
  }
  return Buffer.from(output).toString('utf8');
}

function decodeBody(part: MimePart): string {
  const encoding = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(part.body);
  if (encoding === 'base64') return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return part.body;
}

/** `=?UTF-8?Q?V=C3=A9rification?=` and `=?UTF-8?B?...?=` words, as nodemailer writes non-ASCII headers. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_whole, _charset: string, kind: string, data: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}

function findPart(part: MimePart, mimeType: string): MimePart | null {
  const contentType = part.headers.get('content-type') ?? 'text/plain';
  if (contentType.toLowerCase().startsWith('multipart/')) {
    const boundary = headerParameter(contentType, 'boundary');
    if (!boundary) return null;
    const sections = part.body.split(`--${boundary}`).slice(1);
    for (const section of sections) {
      if (section.startsWith('--')) break;
      const found = findPart(splitPart(section.replace(/^\r?\n/, '')), mimeType);
      if (found) return found;
    }
    return null;
  }
  return contentType.toLowerCase().startsWith(mimeType) ? part : null;
}

function parseMessage(raw: string): { subject: string; text: string; html: string | null } {
  const message = splitPart(raw);
  const textPart = findPart(message, 'text/plain');
  const htmlPart = findPart(message, 'text/html');
  // A part's body ends with the CRLF before the next boundary: not part of the text.
  const clean = (part: MimePart) => decodeBody({ ...part, body: part.body.replace(/\r?\n$/, '') });
  return {
    subject: decodeEncodedWords(message.headers.get('subject') ?? ''),
    text: textPart ? clean(textPart).replace(/\r\n/g, '\n') : '',
    html: htmlPart ? clean(htmlPart).replace(/\r\n/g, '\n') : null,
  };
}
