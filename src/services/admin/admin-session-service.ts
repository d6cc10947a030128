import type { RequestContext } from '../../domain/audit.js';
import { knownPermissions, type Principal } from '../../domain/permissions.js';
import type { DirectoryUser } from '../../domain/user.js';
import { sessionActivityDue, sessionEnded } from '../../domain/web-session.js';
import { FlowSecrets } from '../self-service/flow-secrets.js';
import type { SignInProblem, WebSession } from '../self-service/security-info-service.js';
import type { UserLookup } from '../users/find-user.js';

/** 30 minutes idle, 8 hours at most: an administrator's session is shorter-lived than an end user's. */
export const adminSessionIdleMs = 30 * 60_000;
export const adminSessionLifetimeMs = 8 * 60 * 60_000;

export interface AdminSessionDependencies {
  /** The web sign-in's password check and throttles (`SecurityInfoService.checkCredentials`). */
  readonly credentials: {
    checkCredentials(
      input: { userName: string; password: string; ipAddress: string | null },
      options: { readonly requireDirectoryRole?: boolean },
    ): Promise<
      { readonly ok: true; readonly user: DirectoryUser } | { readonly ok: false; readonly problem: SignInProblem }
    >;
  };
  readonly sessions: {
    insert(session: WebSession): Promise<void>;
    find(idHash: string): Promise<WebSession | undefined>;
    touch(idHash: string, lastSeenAt: string): Promise<void>;
    delete(idHash: string): Promise<void>;
  };
  readonly users: UserLookup;
  readonly roles: { rolesOf(userId: string): Promise<string[]> };
  readonly secrets: FlowSecrets;
  readonly clock: () => Date;
}

export type AdminSignInResult =
  | { readonly ok: true; readonly token: string }
  | { readonly ok: false; readonly problem: SignInProblem };

/** A checked portal session: only `authenticate` makes one. `context` is what every use case is called with. */
export interface AdminSession {
  readonly idHash: string;
  readonly user: DirectoryUser;
  /** Directory role template ids the administrator holds now (read on every request). */
  readonly roles: ReadonlySet<string>;
  readonly csrfToken: string;
  readonly context: RequestContext;
}

/** The portal cookie is missing, unknown, idle, expired, or its user lost every directory role. */
export class AdminSessionNotFound extends Error {
  constructor() {
    super('No valid admin portal session.');
  }
}

/** A POST without this session's CSRF token. */
export class AdminCsrfRejected extends Error {
  constructor() {
    super('The form was not issued by this admin session.');
  }
}

/**
 * Sign-in and sessions of the admin portal (`/admin`). Sessions live in the same `web_sessions` table as My
 * Security Info's, but under a hash of their own (`sha256("admin:" + token)`), so an end-user session cookie can
 * never be presented as a portal session or the reverse. The signed-in administrator acts as a delegated user
 * principal whose scopes are every permission this server knows: what they may do is then decided only by their
 * directory roles, with the same rules (`domain/authorization.ts`) as the API.
 */
export class AdminSessionService {
  constructor(private readonly deps: AdminSessionDependencies) {}

  async signIn(input: { userName: string; password: string; ipAddress: string | null }): Promise<AdminSignInResult> {
    const checked = await this.deps.credentials.checkCredentials(input, { requireDirectoryRole: true });
    if (!checked.ok) return checked;
    const now = this.deps.clock();
    const token = FlowSecrets.token();
    await this.deps.sessions.insert({
      idHash: adminSessionHash(token),
      userId: checked.user.id,
      csrfHash: FlowSecrets.sha256(this.csrfToken(token)),
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + adminSessionLifetimeMs).toISOString(),
    });
    return { ok: true, token };
  }

  /**
   * The session behind a cookie, refreshed. For a POST, `csrf` must be the session's token ('' when missing).
   * Throws `AdminSessionNotFound` or `AdminCsrfRejected`.
   */
  async authenticate(
    token: string | null,
    request: { ipAddress: string | null; correlationId: string; csrf?: string },
  ): Promise<AdminSession> {
    if (!token || !/^[\w-]{16,64}$/.test(token)) throw new AdminSessionNotFound();
    const idHash = adminSessionHash(token);
    const stored = await this.deps.sessions.find(idHash);
    if (!stored) throw new AdminSessionNotFound();
    const now = this.deps.clock();
    if (sessionEnded(stored, now, adminSessionIdleMs)) {
      await this.deps.sessions.delete(idHash);
      throw new AdminSessionNotFound();
    }
    const user = await this.deps.users.findById(stored.userId);
    const roles = user?.accountEnabled ? await this.deps.roles.rolesOf(user.id) : [];
    if (!user || roles.length === 0) {
      await this.deps.sessions.delete(idHash);
      throw new AdminSessionNotFound();
    }
    const csrfToken = this.csrfToken(token);
    if (request.csrf !== undefined && !this.deps.secrets.same(FlowSecrets.sha256(request.csrf), stored.csrfHash)) {
      throw new AdminCsrfRejected();
    }
    if (sessionActivityDue(stored.lastSeenAt, now)) await this.deps.sessions.touch(idHash, now.toISOString());
    const principal: Principal = {
      kind: 'user',
      userId: user.id,
      userPrincipalName: user.userPrincipalName,
      scopes: new Set(knownPermissions),
      roles: new Set(roles),
    };
    return {
      idHash,
      user,
      roles: principal.roles,
      csrfToken,
      context: { principal, correlationId: request.correlationId, ipAddress: request.ipAddress },
    };
  }

  async signOut(session: AdminSession): Promise<void> {
    await this.deps.sessions.delete(session.idHash);
  }

  private csrfToken(token: string): string {
    return this.deps.secrets.mac('admin-session-csrf', token);
  }
}

function adminSessionHash(token: string): string {
  return FlowSecrets.sha256(`admin:${token}`);
}
