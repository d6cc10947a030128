import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the two Twilio REST endpoints OpenSSPR calls (the only cloud API the tests do not run for
 * real): `POST /2010-04-01/Accounts/{sid}/Messages.json` (To, From, Body) and `.../Calls.json` (To, From, Twiml),
 * form-encoded, HTTP Basic `sid:authToken`. Answers like Twilio: 201 with a resource, 401 `{code: 20003}` for bad
 * credentials, 404 for anything else.
 *
 * ```ts
 * const twilio = await startTwilioStandIn({ accountSid: 'AC123', authToken: 'token' });
 * // config: smsProvider 'twilio', twilioApiBaseUrl twilio.baseUrl, twilioAccountSid 'AC123', ...
 * const sms = await twilio.waitFor((r) => r.kind === 'sms' && r.to === '+14255550100');
 * await twilio.stop();
 * ```
 */

export type TwilioRequestRecord =
  | { readonly kind: 'sms'; readonly to: string; readonly from: string; readonly body: string }
  | { readonly kind: 'call'; readonly to: string; readonly from: string; readonly twiml: string };

export interface TwilioStandInOptions {
  readonly accountSid?: string;
  readonly authToken?: string;
}

export interface TwilioStandIn {
  /** `http://127.0.0.1:PORT`, for the `twilioApiBaseUrl` setting. */
  readonly baseUrl: string;
  readonly accountSid: string;
  readonly authToken: string;
  /** Accepted requests, oldest first (failed ones are not recorded). */
  readonly requests: readonly TwilioRequestRecord[];
  /** Requests refused for bad credentials so far. */
  readonly unauthorizedCount: number;
  /** Answers the next `count` well-authenticated requests with `status` (default 503) and a Twilio error body. */
  failNext(count: number, status?: number): void;
  /** Resolves with the first accepted request (already received or still to come) that matches. */
  waitFor(predicate?: (record: TwilioRequestRecord) => boolean, timeoutMs?: number): Promise<TwilioRequestRecord>;
  clear(): void;
  stop(): Promise<void>;
}

/** Twilio's error codes for the answers the stand-in gives. */
const twilioErrorCodes: Readonly<Record<number, number>> = { 400: 21211, 401: 20003, 404: 20404, 429: 20429 };

export async function startTwilioStandIn(options: TwilioStandInOptions = {}): Promise<TwilioStandIn> {
  const accountSid = options.accountSid ?? 'AC00000000000000000000000000000001';
  const authToken = options.authToken ?? 'test-auth-token-0123456789';
  const expectedAuthorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  const requests: TwilioRequestRecord[] = [];
  const waiters = new Set<(record: TwilioRequestRecord) => void>();
  let failRemaining = 0;
  let failStatus = 503;
  let unauthorizedCount = 0;
  let sequence = 0;

  const sendJson = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  const sendError = (response: ServerResponse, status: number, message: string) =>
    sendJson(response, status, {
      code: twilioErrorCodes[status] ?? 20500,
      message,
      more_info: 'https://www.twilio.com/docs/errors',
      status,
    });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(path);
    if (request.method !== 'POST' || !match) {
      sendError(response, 404, 'The requested resource was not found');
      return;
    }
    if (request.headers.authorization !== expectedAuthorization || decodeURIComponent(match[1] ?? '') !== accountSid) {
      unauthorizedCount += 1;
      sendError(response, 401, 'Authenticate');
      return;
    }
    if (failRemaining > 0) {
      failRemaining -= 1;
      sendError(response, failStatus, 'Service temporarily unavailable (stand-in)');
      return;
    }
    if (!(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      sendError(response, 400, 'Expected a form-encoded body');
      return;
    }
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const to = form.get('To') ?? '';
    const from = form.get('From') ?? '';
    const content = match[2] === 'Messages' ? form.get('Body') : form.get('Twiml');
    if (!to || !from || !content) {
      sendError(response, 400, "A 'To', 'From' and 'Body' or 'Twiml' parameter is required");
      return;
    }
    sequence += 1;
    const record: TwilioRequestRecord =
      match[2] === 'Messages' ? { kind: 'sms', to, from, body: content } : { kind: 'call', to, from, twiml: content };
    requests.push(record);
    for (const waiter of [...waiters]) waiter(record);
    const sid = `${record.kind === 'sms' ? 'SM' : 'CA'}${String(sequence).padStart(32, '0')}`;
    sendJson(response, 201, { sid, account_sid: accountSid, to, from, status: 'queued' });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) sendError(response, 500, 'stand-in failure');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    get requests() {
      return requests;
    },
    get unauthorizedCount() {
      return unauthorizedCount;
    },
    failNext(count, status = 503) {
      failRemaining = count;
      failStatus = status;
    },
    waitFor(predicate = () => true, timeoutMs = 10_000) {
      const already = requests.find(predicate);
      if (already) return Promise.resolve(already);
      return new Promise<TwilioRequestRecord>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching request reached the Twilio stand-in within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (record: TwilioRequestRecord) => {
          if (!predicate(record)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(record);
        };
        waiters.add(waiter);
      });
    },
    clear() {
      requests.length = 0;
    },
    stop() {
      return new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
}
