import { createHmac, randomBytes } from 'node:crypto';
import type { AppRegistration, AppSecretRecord } from '../../domain/app-registration.js';
import { type AuditEventDraft, auditInitiator, type RequestContext } from '../../domain/audit.js';
import { DomainError } from '../../domain/errors.js';
import { isKnownPermission, knownPermissions, requirePermission } from '../../domain/permissions.js';

export interface AppRepository {
  findByAppId(appId: string): Promise<(AppRegistration & { readonly secrets: readonly AppSecretRecord[] }) | undefined>;
  list(): Promise<AppRegistration[]>;
  /** Stores the app, its first secret (hashed) and the audit event in one transaction. */
  insert(app: AppRegistration, secret: AppSecretRecord, audit: AuditEventDraft): Promise<void>;
}

export interface AppServiceDependencies {
  readonly apps: AppRepository;
  /** HMAC key for client secrets; a leaked database alone cannot be used to check guesses. */
  readonly clientSecretKey: () => Buffer;
  readonly clock: () => Date;
  readonly newId: () => string;
}

export interface CreatedApp {
  readonly app: AppRegistration;
  /** Shown once; only its HMAC is kept. */
  readonly clientSecret: string;
  readonly secretExpiresDateTime: string;
}

// 64 symbols, so `byte % 64` draws each one equally often.
const secretAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
const defaultSecretLifetimeDays = 180;

/** App registrations and their client secrets, used by the CLI now and the portal later. */
export class AppService {
  constructor(private readonly deps: AppServiceDependencies) {}

  async createApp(
    context: RequestContext,
    request: {
      readonly displayName: string;
      readonly permissions: readonly string[];
      readonly secretLifetimeDays?: number;
    },
  ): Promise<CreatedApp> {
    requirePermission(context.principal, 'Directory.ReadWrite.All');
    const displayName = request.displayName.trim();
    if (displayName.length === 0 || displayName.length > 256) {
      throw new DomainError('invalid_request', {}, 'The application name must be 1 to 256 characters.');
    }
    const unknown = request.permissions.filter((permission) => !isKnownPermission(permission));
    if (unknown.length > 0) {
      throw new DomainError(
        'invalid_request',
        {},
        `Unknown permission ${unknown.map((p) => `'${p}'`).join(', ')}. Known permissions: ${knownPermissions.join(', ')}.`,
      );
    }
    const now = this.deps.clock();
    const lifetimeDays = request.secretLifetimeDays ?? defaultSecretLifetimeDays;
    if (!Number.isInteger(lifetimeDays) || lifetimeDays < 1 || lifetimeDays > 730) {
      throw new DomainError('invalid_request', {}, 'A client secret lives 1 to 730 days.');
    }
    const expires = new Date(now.getTime() + lifetimeDays * 86_400_000).toISOString();
    const app: AppRegistration = {
      id: this.deps.newId(),
      appId: this.deps.newId(),
      displayName,
      permissions: [...new Set(request.permissions)],
      createdDateTime: now.toISOString(),
    };
    const clientSecret = generateClientSecret();
    const secret: AppSecretRecord = {
      keyId: this.deps.newId(),
      secretHash: hashClientSecret(this.deps.clientSecretKey(), clientSecret),
      hint: clientSecret.slice(0, 3),
      createdDateTime: app.createdDateTime,
      expiresDateTime: expires,
    };
    await this.deps.apps.insert(app, secret, {
      activityDisplayName: 'Add application',
      category: 'ApplicationManagement',
      loggedByService: 'Core Directory',
      operationType: 'Add',
      result: 'success',
      resultReason: '',
      initiatedBy: auditInitiator(context),
      correlationId: context.correlationId,
      targetResources: [
        {
          id: app.id,
          displayName: app.displayName,
          type: 'Application',
          modifiedProperties: [
            { displayName: 'AppId', oldValue: null, newValue: JSON.stringify(app.appId) },
            { displayName: 'Permissions', oldValue: null, newValue: JSON.stringify(app.permissions) },
            {
              displayName: 'KeyDescription',
              oldValue: null,
              newValue: JSON.stringify(
                `[KeyIdentifier=${secret.keyId},KeyType=Password,KeyUsage=Verify,DisplayName=hint ${secret.hint}]`,
              ),
            },
          ],
        },
      ],
    });
    return { app, clientSecret, secretExpiresDateTime: expires };
  }

  async listApps(context: RequestContext): Promise<AppRegistration[]> {
    requirePermission(context.principal, 'Directory.Read.All');
    return this.deps.apps.list();
  }
}

/** Entra-like secret: 40 characters, three visible hint characters then `8Q~` then random. */
function generateClientSecret(): string {
  const bytes = randomBytes(37);
  let body = '';
  for (const byte of bytes) body += secretAlphabet[byte % secretAlphabet.length];
  return `${body.slice(0, 3)}8Q~${body.slice(3)}`;
}

export function hashClientSecret(key: Buffer, secret: string): string {
  return createHmac('sha256', key).update(secret, 'utf8').digest('hex');
}
