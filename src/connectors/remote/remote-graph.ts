import { DomainError } from '../../domain/errors.js';
import { freshSession, loadSession, type RemoteSession, saveSession, sessionFile } from './device-code-sign-in.js';

export interface RemoteResponse {
  readonly status: number;
  readonly body: Record<string, unknown> | null;
}

/**
 * The Graph API of a remote OpenSSPR server, called with the session `sspr login` saved: the access token is
 * renewed (and the renewed session saved) when it is about to expire. A Graph error becomes one `DomainError`
 * carrying the server's message, so the CLI prints it as it prints a local one.
 */
export class RemoteGraph {
  private constructor(
    private session: RemoteSession,
    private readonly file: string,
  ) {}

  static async open(env: NodeJS.ProcessEnv): Promise<RemoteGraph> {
    const file = sessionFile(env);
    const saved = await loadSession(file);
    if (!saved) throw new DomainError('invalid_request', {}, 'not signed in: run `sspr login --server URL` first');
    return new RemoteGraph(saved, file);
  }

  get server(): string {
    return this.session.server;
  }

  /** `path` is relative to `/v1.0` (e.g. `/users/ada@contoso.com`), or an absolute next link the server gave. */
  async call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<RemoteResponse> {
    const renewed = await freshSession(this.session);
    if (renewed !== this.session) {
      this.session = renewed;
      await saveSession(this.file, renewed);
    }
    const url = path.startsWith('https://') || path.startsWith('http://') ? path : `${this.session.server}/v1.0${path}`;
    if (!url.startsWith(`${this.session.server}/`))
      throw new DomainError('invalid_request', {}, `the server sent a link to another host: ${url}`);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.session.accessToken}`,
          accept: 'application/json',
          'client-request-id': crypto.randomUUID(),
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new DomainError('invalid_request', {}, `cannot reach ${this.session.server}: ${(error as Error).message}`);
    }
    const text = await response.text();
    let parsed: Record<string, unknown> | null = null;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new DomainError(
          'invalid_request',
          {},
          `${url} answered ${response.status} with something that is not JSON`,
        );
      }
    }
    if (!response.ok) {
      const error = (parsed?.error ?? {}) as { message?: unknown };
      const message = typeof error.message === 'string' ? error.message : `the server answered ${response.status}`;
      throw new DomainError('invalid_request', {}, message);
    }
    return { status: response.status, body: parsed };
  }
}
