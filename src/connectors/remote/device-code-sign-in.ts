import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DomainError } from '../../domain/errors.js';

/** Microsoft Graph PowerShell's public client id: the server accepts it, as Entra does. */
export const defaultPublicClientId = '14d82eec-204b-4c2f-b7e8-296a70dab67e';

export interface RemoteSession {
  readonly server: string;
  readonly tenant: string;
  readonly clientId: string;
  readonly accessToken: string;
  readonly refreshToken: string | null;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly userPrincipalName: string | null;
}

interface DeviceCodeAnswer {
  device_code: string;
  user_code: string;
  verification_uri: string;
  expires_in: number;
  interval: number;
  message: string;
}

export interface SignInOptions {
  readonly server: string;
  readonly tenant: string;
  readonly clientId: string;
  readonly scope: string;
  /** Shows the "open this page and enter this code" message to the person. */
  readonly prompt: (message: string) => void;
  /** Waits between polls; injectable so tests need not sleep. */
  readonly wait?: (milliseconds: number) => Promise<void>;
}

async function postForm(
  url: string,
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
  } catch (error) {
    throw new DomainError(
      'invalid_request',
      {},
      `cannot reach ${url}: ${(error as Error).cause ?? (error as Error).message}`,
    );
  }
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    throw new DomainError('invalid_request', {}, `${url} answered ${response.status} with something that is not JSON`);
  }
}

function claim(token: string, name: string): unknown {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    return payload[name];
  } catch {
    return undefined;
  }
}

/**
 * RFC 8628 from the command line: ask for a code, show where to enter it, poll at the server's interval
 * (slowing down when told), and return the session once the person has signed in.
 */
export async function signInWithDeviceCode(options: SignInOptions): Promise<RemoteSession> {
  const base = options.server.replace(/\/+$/, '');
  const wait = options.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = await postForm(`${base}/${options.tenant}/oauth2/v2.0/devicecode`, {
    client_id: options.clientId,
    scope: options.scope,
  });
  if (started.status !== 200) {
    throw new DomainError(
      'invalid_request',
      {},
      `the server refused the sign-in: ${String(started.body.error_description ?? started.body.error)}`,
    );
  }
  const answer = started.body as unknown as DeviceCodeAnswer;
  options.prompt(answer.message);
  let interval = answer.interval * 1000;
  const deadline = Date.now() + answer.expires_in * 1000;
  while (Date.now() < deadline) {
    await wait(interval);
    const polled = await postForm(`${base}/${options.tenant}/oauth2/v2.0/token`, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: options.clientId,
      device_code: answer.device_code,
    });
    if (polled.status === 200) {
      const accessToken = String(polled.body.access_token);
      const upn = claim(accessToken, 'upn');
      return {
        server: base,
        tenant: options.tenant,
        clientId: options.clientId,
        accessToken,
        refreshToken: typeof polled.body.refresh_token === 'string' ? polled.body.refresh_token : null,
        expiresAt: Date.now() + Number(polled.body.expires_in) * 1000,
        userPrincipalName: typeof upn === 'string' ? upn : null,
      };
    }
    const error = polled.body.error;
    if (error === 'authorization_pending') continue;
    if (error === 'slow_down') {
      interval += 5000;
      continue;
    }
    if (error === 'access_denied') throw new DomainError('invalid_request', {}, 'the sign-in was declined');
    if (error === 'expired_token') break;
    throw new DomainError('invalid_request', {}, `sign-in failed: ${String(polled.body.error_description ?? error)}`);
  }
  throw new DomainError('invalid_request', {}, 'the code expired before anyone signed in; run `sspr login` again');
}

/** A session whose access token is (nearly) expired, renewed with its single-use refresh token. */
export async function freshSession(session: RemoteSession, now = Date.now()): Promise<RemoteSession> {
  if (session.expiresAt - 60_000 > now) return session;
  if (!session.refreshToken)
    throw new DomainError('invalid_request', {}, 'the session expired: run `sspr login` again');
  const renewed = await postForm(`${session.server}/${session.tenant}/oauth2/v2.0/token`, {
    grant_type: 'refresh_token',
    client_id: session.clientId,
    refresh_token: session.refreshToken,
  });
  if (renewed.status !== 200)
    throw new DomainError('invalid_request', {}, 'the session can no longer be renewed: run `sspr login` again');
  return {
    ...session,
    accessToken: String(renewed.body.access_token),
    refreshToken: typeof renewed.body.refresh_token === 'string' ? renewed.body.refresh_token : null,
    expiresAt: now + Number(renewed.body.expires_in) * 1000,
  };
}

/** Where the CLI keeps its session: `$XDG_CONFIG_HOME/opensspr/session.json` (or ~/.config), mode 0600. */
export function sessionFile(env: NodeJS.ProcessEnv): string {
  const configHome = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(configHome, 'opensspr', 'session.json');
}

export async function saveSession(file: string, session: RemoteSession): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

export async function loadSession(file: string): Promise<RemoteSession | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as RemoteSession;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DomainError('invalid_configuration', {
      detail: `the session file ${file} is unreadable; run \`sspr logout\` then \`sspr login\``,
    });
  }
}

export async function removeSession(file: string): Promise<boolean> {
  try {
    await rm(file);
    return true;
  } catch {
    return false;
  }
}
