import { createHmac, randomBytes } from 'node:crypto';
import {
  type DeviceCodeRecord,
  delegatedAudience,
  grantedDelegatedScopes,
  normaliseUserCode,
  type RefreshTokenRecord,
  userCodeAlphabet,
  userCodeLength,
} from '../../domain/device-authorization.js';
import { DomainError } from '../../domain/errors.js';
import type { DirectoryUser } from '../../domain/user.js';
import type { AppRepository } from '../apps/app-service.js';
import { type OnPremisesDirectory, verifyOnPremisesPassword } from '../sync/on-premises-directory.js';
import type { TenantContext } from '../tenant/tenant-context.js';
import type { TokenService } from './token-service.js';

/** Where device flows and refresh tokens live; satisfied by the store's `SqlDeviceCodeRepository`. */
/** Wrong passwords against one user code before the flow is declined (a stolen code is no password oracle). */
export const maxFailedSignInsPerFlow = 5;

export interface DeviceCodeStore {
  insert(record: DeviceCodeRecord): Promise<void>;
  findByDeviceCodeHash(hash: string): Promise<DeviceCodeRecord | undefined>;
  findByUserCodeHash(hash: string): Promise<DeviceCodeRecord | undefined>;
  recordPoll(id: string, now: string): Promise<void>;
  /** pending → approved/denied while unexpired; false when it was not pending any more. */
  decide(id: string, status: 'approved' | 'denied', userId: string | null, now: string): Promise<boolean>;
  /** approved → redeemed atomically; false when another request redeemed it first. */
  redeem(id: string, now: string): Promise<boolean>;
  recordFailedSignIn(id: string, limit: number, now: string): Promise<void>;
  insertRefreshToken(record: RefreshTokenRecord): Promise<void>;
  /** Marks the token used and returns it, atomically; `undefined` when unknown, used or expired. */
  consumeRefreshToken(hash: string, now: string): Promise<RefreshTokenRecord | undefined>;
}

export interface SignInUsers {
  findById(id: string): Promise<DirectoryUser | undefined>;
  findByUserPrincipalName(userPrincipalName: string): Promise<DirectoryUser | undefined>;
  findPasswordHash(id: string): Promise<string | null>;
}

export interface DeviceCodeServiceDependencies {
  readonly tenant: () => TenantContext;
  readonly apps: Pick<AppRepository, 'findByAppId'>;
  readonly users: SignInUsers;
  readonly roles: { rolesOf(userId: string): Promise<string[]> };
  readonly store: DeviceCodeStore;
  readonly passwords: {
    hash(password: string): Promise<string>;
    verify(hash: string, password: string): Promise<boolean>;
  };
  readonly tokens: Pick<TokenService, 'isThisTenant' | 'signDelegatedTokens'>;
  /** Synced users' passwords are checked with an LDAP bind (pass-through sign-in); null: they cannot sign in. */
  readonly onPremises?: Pick<OnPremisesDirectory, 'verifyPassword'> | null;
  readonly clock: () => Date;
  readonly newId: () => string;
}

/**
 * Public clients Entra knows everywhere, accepted here as well as any registered app id:
 * Microsoft Graph PowerShell (`Connect-MgGraph`) and the Azure CLI.
 */
export const wellKnownPublicClients: ReadonlyMap<string, string> = new Map([
  ['14d82eec-204b-4c2f-b7e8-296a70dab67e', 'Microsoft Graph Command Line Tools'],
  ['04b07795-8ddb-461a-bbee-02f9e1bf7b46', 'Microsoft Azure CLI'],
]);

export const deviceCodeLifetimeSeconds = 900;
export const deviceCodePollingIntervalSeconds = 5;
export const refreshTokenLifetimeSeconds = 90 * 24 * 60 * 60;

export interface DeviceAuthorizationRequest {
  readonly tenant: string;
  readonly clientId: string | undefined;
  readonly scope: string | undefined;
  /** `<base>/devicelogin`. */
  readonly verificationUri: string;
}

export interface DeviceAuthorization {
  readonly device_code: string;
  readonly user_code: string;
  readonly verification_uri: string;
  readonly expires_in: number;
  readonly interval: number;
  readonly message: string;
}

export interface DelegatedTokenResponse {
  readonly token_type: 'Bearer';
  readonly scope: string;
  readonly expires_in: number;
  readonly ext_expires_in: number;
  readonly access_token: string;
  readonly refresh_token: string;
  readonly id_token?: string;
  readonly client_info?: string;
}

interface RedeemCommon {
  readonly tenant: string;
  readonly clientId: string | undefined;
  readonly issuerBase: string;
  /** MSAL sends `client_info=1` and builds its account id from the answer. */
  readonly clientInfo: boolean;
}

export type SignInDecision = 'approve' | 'deny';
export type SignInOutcome =
  | { readonly ok: true; readonly decision: SignInDecision; readonly clientName: string }
  | { readonly ok: false };

/** The device authorization grant (RFC 8628): start, sign in at /devicelogin, poll, refresh. */
export class DeviceCodeService {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly deps: DeviceCodeServiceDependencies) {}

  async start(request: DeviceAuthorizationRequest): Promise<DeviceAuthorization> {
    if (!this.deps.tokens.isThisTenant(request.tenant))
      throw new DomainError('unknown_tenant', { tenant: request.tenant });
    if (!request.clientId) throw new DomainError('missing_parameter', { parameter: 'client_id' });
    if (!request.scope) throw new DomainError('missing_parameter', { parameter: 'scope' });
    const clientId = request.clientId.toLowerCase();
    await this.clientName(clientId, request.tenant);
    if (grantedDelegatedScopes(request.scope) === undefined)
      throw new DomainError('invalid_scope', { scope: request.scope });

    const now = this.deps.clock();
    const deviceCode = randomBytes(32).toString('base64url');
    const userCode = newUserCode();
    await this.deps.store.insert({
      id: this.deps.newId(),
      deviceCodeHash: this.hash('device', deviceCode),
      userCodeHash: this.hash('user', userCode),
      clientId,
      scopes: request.scope,
      status: 'pending',
      userId: null,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + deviceCodeLifetimeSeconds * 1000).toISOString(),
      lastPolledAt: null,
    });
    return {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: request.verificationUri,
      expires_in: deviceCodeLifetimeSeconds,
      interval: deviceCodePollingIntervalSeconds,
      message: `To sign in, use a web browser to open the page ${request.verificationUri} and enter the code ${userCode} to authenticate.`,
    };
  }

  /**
   * The /devicelogin form: approves (or declines) the flow for the user if the code is pending and the password
   * verifies. Unknown code, unknown user, wrong password and disabled account all give the same `{ok:false}`
   * after the same argon2 work, so the page tells nothing about which accounts exist.
   */
  async signIn(input: {
    readonly userCode: string;
    readonly userPrincipalName: string;
    readonly password: string;
    readonly decision: SignInDecision;
  }): Promise<SignInOutcome> {
    const now = this.deps.clock();
    const code = normaliseUserCode(input.userCode);
    const flow = code === undefined ? undefined : await this.deps.store.findByUserCodeHash(this.hash('user', code));
    const upn = input.userPrincipalName.trim();
    const user = upn.length > 0 && upn.length <= 256 ? await this.deps.users.findByUserPrincipalName(upn) : undefined;
    const storedHash = user ? await this.deps.users.findPasswordHash(user.id) : null;
    this.dummyHash ??= this.deps.passwords.hash(randomBytes(16).toString('hex'));
    const verified = await this.deps.passwords.verify(storedHash ?? (await this.dummyHash), input.password);
    const pending = flow !== undefined && flow.status === 'pending' && Date.parse(flow.expiresAt) > now.getTime();
    // A synced user's password lives on-premises: an LDAP bind, only for a pending code (no bind oracle).
    const passwordOk = user?.onPremisesSyncEnabled
      ? pending &&
        user.accountEnabled &&
        (await verifyOnPremisesPassword(this.deps.onPremises ?? null, user, input.password))
      : storedHash !== null && verified;
    const usable = flow !== undefined && pending && user?.accountEnabled === true && passwordOk;
    if (!usable) {
      if (flow?.status === 'pending')
        await this.deps.store.recordFailedSignIn(flow.id, maxFailedSignInsPerFlow, now.toISOString());
      return { ok: false };
    }
    const decided = await this.deps.store.decide(
      flow.id,
      input.decision === 'approve' ? 'approved' : 'denied',
      user.id,
      now.toISOString(),
    );
    if (!decided) return { ok: false };
    // The app may have been removed since the flow started; the page then names no app.
    const clientName = await this.clientName(flow.clientId, 'common').catch(() => 'the application');
    return { ok: true, decision: input.decision, clientName };
  }

  /** `grant_type=urn:ietf:params:oauth:grant-type:device_code`. */
  async redeemDeviceCode(
    request: RedeemCommon & { readonly deviceCode: string | undefined },
  ): Promise<DelegatedTokenResponse> {
    if (!this.deps.tokens.isThisTenant(request.tenant))
      throw new DomainError('unknown_tenant', { tenant: request.tenant });
    if (!request.clientId) throw new DomainError('missing_parameter', { parameter: 'client_id' });
    if (!request.deviceCode) throw new DomainError('missing_parameter', { parameter: 'device_code' });
    const now = this.deps.clock();
    const flow = await this.deps.store.findByDeviceCodeHash(this.hash('device', request.deviceCode));
    if (!flow || flow.clientId !== request.clientId.toLowerCase() || flow.status === 'redeemed')
      throw new DomainError('invalid_grant', { parameter: "'device_code'" });
    if (Date.parse(flow.expiresAt) <= now.getTime()) throw new DomainError('device_code_expired');
    if (flow.status === 'denied') throw new DomainError('authorization_declined');
    if (flow.status === 'pending') {
      await this.deps.store.recordPoll(flow.id, now.toISOString());
      // A second of slack: a client that sleeps exactly `interval` between polls must never be told to slow down.
      const tooSoon =
        flow.lastPolledAt !== null &&
        now.getTime() - Date.parse(flow.lastPolledAt) < (deviceCodePollingIntervalSeconds - 1) * 1000;
      throw new DomainError(tooSoon ? 'slow_down' : 'authorization_pending');
    }
    // Consumed before anything else happens: of two racing polls, exactly one gets tokens.
    if (!(await this.deps.store.redeem(flow.id, now.toISOString())) || !flow.userId)
      throw new DomainError('invalid_grant', { parameter: "'device_code'" });
    return this.issue(flow.userId, flow.clientId, flow.scopes, request);
  }

  /** `grant_type=refresh_token`: single use, each use returns a new refresh token. */
  async redeemRefreshToken(
    request: RedeemCommon & { readonly refreshToken: string | undefined; readonly scope: string | undefined },
  ): Promise<DelegatedTokenResponse> {
    if (!this.deps.tokens.isThisTenant(request.tenant))
      throw new DomainError('unknown_tenant', { tenant: request.tenant });
    if (!request.clientId) throw new DomainError('missing_parameter', { parameter: 'client_id' });
    if (!request.refreshToken) throw new DomainError('missing_parameter', { parameter: 'refresh_token' });
    const now = this.deps.clock();
    const stored = await this.deps.store.consumeRefreshToken(
      this.hash('refresh', request.refreshToken),
      now.toISOString(),
    );
    if (!stored || stored.clientId !== request.clientId.toLowerCase())
      throw new DomainError('invalid_grant', { parameter: "'refresh_token'" });
    const scopes = request.scope ?? stored.scopes;
    if (grantedDelegatedScopes(scopes) === undefined) throw new DomainError('invalid_scope', { scope: scopes });
    return this.issue(stored.userId, stored.clientId, scopes, request);
  }

  private async issue(
    userId: string,
    clientId: string,
    requestedScopes: string,
    request: RedeemCommon,
  ): Promise<DelegatedTokenResponse> {
    const user = await this.deps.users.findById(userId);
    // A user disabled or deleted since signing in gets no more tokens.
    if (!user?.accountEnabled) throw new DomainError('invalid_grant', { parameter: "'grant'" });
    const scopes = grantedDelegatedScopes(requestedScopes) ?? [];
    const roles = await this.deps.roles.rolesOf(user.id);
    const signed = this.deps.tokens.signDelegatedTokens({
      user,
      clientId,
      scopes,
      roles,
      issuerBase: request.issuerBase,
      audience: delegatedAudience(requestedScopes) ?? 'https://graph.microsoft.com',
    });
    const now = this.deps.clock();
    const refreshToken = randomBytes(32).toString('base64url');
    await this.deps.store.insertRefreshToken({
      tokenHash: this.hash('refresh', refreshToken),
      userId: user.id,
      clientId,
      scopes: requestedScopes,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + refreshTokenLifetimeSeconds * 1000).toISOString(),
    });
    const requested = requestedScopes.split(/\s+/).map((scope) => scope.toLowerCase());
    const openIdRequested = ['openid', 'profile', 'email', 'offline_access'].filter((s) => requested.includes(s));
    const tenantId = this.deps.tenant().tenantId;
    return {
      token_type: 'Bearer',
      scope: [...scopes, ...openIdRequested].join(' '),
      expires_in: signed.expiresIn,
      ext_expires_in: signed.expiresIn,
      access_token: signed.accessToken,
      refresh_token: refreshToken,
      ...(requested.includes('openid') && { id_token: signed.idToken }),
      ...(request.clientInfo && {
        client_info: Buffer.from(JSON.stringify({ uid: user.id, utid: tenantId })).toString('base64url'),
      }),
    };
  }

  private async clientName(clientId: string, tenant: string): Promise<string> {
    const known = wellKnownPublicClients.get(clientId);
    if (known) return known;
    const app = await this.deps.apps.findByAppId(clientId);
    if (!app) throw new DomainError('unknown_client', { clientId, tenant });
    return app.displayName;
  }

  /** HMAC-SHA-256 with a key derived from the client-secret key, one label per kind of value. */
  private hash(kind: 'device' | 'user' | 'refresh', value: string): string {
    const key = createHmac('sha256', this.deps.tenant().serverKeys.clientSecret)
      .update('opensspr device authorization v1')
      .digest();
    return createHmac('sha256', key).update(`${kind}:${value}`).digest('hex');
  }
}

function newUserCode(): string {
  const bytes = randomBytes(userCodeLength);
  let code = '';
  for (const byte of bytes) code += userCodeAlphabet[byte % userCodeAlphabet.length];
  return code;
}
