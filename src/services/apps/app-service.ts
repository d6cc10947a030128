import { createHmac, randomBytes } from 'node:crypto';
import type { AppRegistration, AppSecretRecord } from '../../domain/app-registration.js';
import { type AuditEventDraft, auditInitiator, type RequestContext } from '../../domain/audit.js';
import { DomainError } from '../../domain/errors.js';
import {
  directoryRoles,
  holdsAnyRole,
  isKnownPermission,
  knownPermissions,
  type Principal,
  requirePermission,
} from '../../domain/permissions.js';

export interface AppRepository {
  findByAppId(appId: string): Promise<(AppRegistration & { readonly secrets: readonly AppSecretRecord[] }) | undefined>;
  list(): Promise<AppRegistration[]>;
  /** Stores the app, its first secret (hashed) and the audit event in one transaction. */
  insert(app: AppRegistration, secret: AppSecretRecord, audit: AuditEventDraft): Promise<void>;
  /** Adds a (hashed) secret to an app, with the audit event; false when the app does not exist. */
  addSecret(appId: string, secret: AppSecretRecord, audit: AuditEventDraft): Promise<boolean>;
  /** Deletes one secret of an app, with the audit event; false when there is no such secret. */
  removeSecret(appId: string, keyId: string, audit: AuditEventDraft): Promise<boolean>;
  /** Replaces the app's granted permissions, with the audit event; false when the app does not exist. */
  updatePermissions(appId: string, permissions: readonly string[], audit: AuditEventDraft): Promise<boolean>;
}

/** A client secret as administrators see it: never its hash. */
export interface AppSecretInfo {
  readonly keyId: string;
  readonly hint: string;
  readonly createdDateTime: string;
  readonly expiresDateTime: string;
}

export interface AppDetails extends AppRegistration {
  readonly secrets: readonly AppSecretInfo[];
}

export interface AddedSecret extends AppSecretInfo {
  /** Shown once; only its HMAC is kept. */
  readonly clientSecret: string;
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

/**
 * Signed-in users manage app registrations only as Global Administrators (granting application permissions is
 * admin consent) and read them as Global Administrators or Global Readers; apps and the operator by permission.
 */
function requireAppWriter(principal: Principal): void {
  requirePermission(principal, 'Directory.ReadWrite.All');
  if (principal.kind === 'user' && !holdsAnyRole(principal, [directoryRoles.globalAdministrator]))
    throw new DomainError('permission_denied');
}

function requireAppReader(principal: Principal): void {
  requirePermission(principal, 'Directory.Read.All');
  if (
    principal.kind === 'user' &&
    !holdsAnyRole(principal, [directoryRoles.globalAdministrator, directoryRoles.globalReader])
  )
    throw new DomainError('permission_denied');
}

function secretInfo(secret: AppSecretRecord): AppSecretInfo {
  return {
    keyId: secret.keyId,
    hint: secret.hint,
    createdDateTime: secret.createdDateTime,
    expiresDateTime: secret.expiresDateTime,
  };
}

function keyDescription(secret: AppSecretInfo): string {
  return JSON.stringify(
    `[KeyIdentifier=${secret.keyId},KeyType=Password,KeyUsage=Verify,DisplayName=hint ${secret.hint}]`,
  );
}

/** App registrations and their client secrets, used by the CLI and the admin portal. */
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
    requireAppWriter(context.principal);
    const displayName = request.displayName.trim();
    if (displayName.length === 0 || displayName.length > 256) {
      throw new DomainError('invalid_request', {}, 'The application name must be 1 to 256 characters.');
    }
    assertKnownPermissions(request.permissions);
    const now = this.deps.clock();
    const expires = secretExpiry(now, request.secretLifetimeDays);
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
              newValue: keyDescription(secret),
            },
          ],
        },
      ],
    });
    return { app, clientSecret, secretExpiresDateTime: expires };
  }

  /** Whether the caller may create apps, add or revoke secrets and grant permissions (the portal's forms). */
  canManage(context: RequestContext): boolean {
    try {
      requireAppWriter(context.principal);
      return true;
    } catch {
      return false;
    }
  }

  async listApps(context: RequestContext): Promise<AppRegistration[]> {
    requireAppReader(context.principal);
    return this.deps.apps.list();
  }

  /** One app with its secrets' hints and dates (never a secret or its hash). */
  async getApp(context: RequestContext, appId: string): Promise<AppDetails> {
    requireAppReader(context.principal);
    const app = await this.deps.apps.findByAppId(appId.toLowerCase());
    if (!app) throw new DomainError('resource_not_found', { resource: appId });
    return { ...app, secrets: app.secrets.map(secretInfo) };
  }

  /** A new client secret for an existing app; the secret is returned once and only its HMAC is kept. */
  async addSecret(
    context: RequestContext,
    appId: string,
    request: { readonly lifetimeDays?: number } = {},
  ): Promise<AddedSecret> {
    requireAppWriter(context.principal);
    const app = await this.deps.apps.findByAppId(appId.toLowerCase());
    if (!app) throw new DomainError('resource_not_found', { resource: appId });
    const now = this.deps.clock();
    const clientSecret = generateClientSecret();
    const secret: AppSecretRecord = {
      keyId: this.deps.newId(),
      secretHash: hashClientSecret(this.deps.clientSecretKey(), clientSecret),
      hint: clientSecret.slice(0, 3),
      createdDateTime: now.toISOString(),
      expiresDateTime: secretExpiry(now, request.lifetimeDays),
    };
    const added = await this.deps.apps.addSecret(
      app.appId,
      secret,
      this.appAudit(context, app, 'Update application – Certificates and secrets management', 'Update', [
        { displayName: 'KeyDescription', oldValue: null, newValue: keyDescription(secret) },
      ]),
    );
    if (!added) throw new DomainError('resource_not_found', { resource: appId });
    return { ...secretInfo(secret), clientSecret };
  }

  /** Deletes a client secret: tokens can no longer be obtained with it. */
  async revokeSecret(context: RequestContext, appId: string, keyId: string): Promise<void> {
    requireAppWriter(context.principal);
    const app = await this.deps.apps.findByAppId(appId.toLowerCase());
    const secret = app?.secrets.find((candidate) => candidate.keyId === keyId);
    if (!app || !secret) throw new DomainError('resource_not_found', { resource: keyId });
    const removed = await this.deps.apps.removeSecret(
      app.appId,
      keyId,
      this.appAudit(context, app, 'Update application – Certificates and secrets management', 'Update', [
        { displayName: 'KeyDescription', oldValue: keyDescription(secret), newValue: null },
      ]),
    );
    if (!removed) throw new DomainError('resource_not_found', { resource: keyId });
  }

  /** Grants (`granted` true) or revokes an application permission; returns the app's permissions now. */
  async setPermission(
    context: RequestContext,
    appId: string,
    permission: string,
    granted: boolean,
  ): Promise<readonly string[]> {
    requireAppWriter(context.principal);
    assertKnownPermissions([permission]);
    const app = await this.deps.apps.findByAppId(appId.toLowerCase());
    if (!app) throw new DomainError('resource_not_found', { resource: appId });
    const next = granted
      ? [...new Set([...app.permissions, permission])]
      : app.permissions.filter((candidate) => candidate !== permission);
    if (next.length === app.permissions.length) return app.permissions;
    const updated = await this.deps.apps.updatePermissions(
      app.appId,
      next,
      this.appAudit(
        context,
        app,
        granted ? 'Add app role assignment to service principal' : 'Remove app role assignment from service principal',
        granted ? 'Assign' : 'Unassign',
        [
          {
            displayName: 'AppRole.Value',
            oldValue: granted ? null : JSON.stringify(permission),
            newValue: granted ? JSON.stringify(permission) : null,
          },
          {
            displayName: 'Permissions',
            oldValue: JSON.stringify(app.permissions),
            newValue: JSON.stringify(next),
          },
        ],
      ),
    );
    if (!updated) throw new DomainError('resource_not_found', { resource: appId });
    return next;
  }

  private appAudit(
    context: RequestContext,
    app: AppRegistration,
    activity: string,
    operationType: AuditEventDraft['operationType'],
    modified: AuditEventDraft['targetResources'][number]['modifiedProperties'],
  ): AuditEventDraft {
    return {
      activityDisplayName: activity,
      category: 'ApplicationManagement',
      loggedByService: 'Core Directory',
      operationType,
      result: 'success',
      resultReason: '',
      initiatedBy: auditInitiator(context),
      correlationId: context.correlationId,
      targetResources: [
        { id: app.id, displayName: app.displayName, type: 'Application', modifiedProperties: modified },
      ],
    };
  }
}

function assertKnownPermissions(permissions: readonly string[]): void {
  const unknown = permissions.filter((permission) => !isKnownPermission(permission));
  if (unknown.length > 0) {
    throw new DomainError(
      'invalid_request',
      {},
      `Unknown permission ${unknown.map((p) => `'${p}'`).join(', ')}. Known permissions: ${knownPermissions.join(', ')}.`,
    );
  }
}

/** A client secret lives 1 to 730 days (180 unless asked). */
function secretExpiry(now: Date, lifetimeDays = defaultSecretLifetimeDays): string {
  if (!Number.isInteger(lifetimeDays) || lifetimeDays < 1 || lifetimeDays > 730) {
    throw new DomainError('invalid_request', {}, 'A client secret lives 1 to 730 days.');
  }
  return new Date(now.getTime() + lifetimeDays * 86_400_000).toISOString();
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
