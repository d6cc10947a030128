import { randomBytes } from 'node:crypto';
import { generateCompliantPassword } from '../../domain/password-policy.js';
import { directoryRoles } from '../../domain/permissions.js';
import {
  type ServerKeyName,
  type StoredSigningKey,
  serverKeyNames,
  type TenantRecord,
  type TenantSetup,
} from '../../domain/tenant.js';
import { type NewUserRecord, newCloudUser } from '../../domain/user.js';
import { generateSigningKey, privateKeyFromPem, publicKeyFromJwk } from '../identity/jwt.js';
import type { PasswordHasher } from '../users/user-service.js';
import type { TenantContext } from './tenant-context.js';

export interface TenantStore {
  loadTenant(): Promise<TenantRecord | undefined>;
  /** Everything at once, or nothing; `false` when another process bootstrapped first. */
  createTenant(setup: TenantSetup): Promise<boolean>;
  loadSigningKeys(): Promise<StoredSigningKey[]>;
  loadServerKeys(): Promise<Partial<Record<ServerKeyName, Buffer>>>;
}

export interface InitialPasswordSink {
  /** Keeps the one-time password somewhere only the operator can read; returns where. */
  write(userPrincipalName: string, password: string): Promise<string>;
}

export interface BootstrapDependencies {
  readonly store: TenantStore;
  readonly passwords: PasswordHasher;
  readonly initialPassword: InitialPasswordSink;
  readonly clock: () => Date;
  readonly newId: () => string;
  readonly defaultDomain: string;
  readonly displayName: string;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * First run: a tenant id, the default verified domain, signing and server keys, and one Global
 * Administrator whose one-time password goes to a private file (named in the log, never printed).
 * Later runs load what exists.
 */
export async function bootstrapTenant(deps: BootstrapDependencies): Promise<TenantContext> {
  let tenant = await deps.store.loadTenant();
  if (!tenant) {
    const { setup, password } = await newTenantSetup(deps);
    if (await deps.store.createTenant(setup)) {
      const file = await deps.initialPassword.write(setup.administrator.userPrincipalName, password);
      deps.log('tenant created', {
        tenantId: setup.tenant.id,
        domain: setup.tenant.defaultDomain,
        administrator: setup.administrator.userPrincipalName,
        initialPasswordFile: file,
      });
    }
    tenant = await deps.store.loadTenant();
    if (!tenant) throw new Error('the tenant could not be created');
  }
  return loadTenantContext(deps.store, tenant);
}

/** The generated password travels beside the setup, never inside what is stored. */
async function newTenantSetup(deps: BootstrapDependencies): Promise<{ setup: TenantSetup; password: string }> {
  const now = deps.clock().toISOString();
  const key = generateSigningKey();
  const password = generateCompliantPassword();
  const tenantId = deps.newId();
  const administratorId = deps.newId();
  const upn = `admin@${deps.defaultDomain}`;
  const administrator: NewUserRecord = {
    ...newCloudUser(
      { id: administratorId, userPrincipalName: upn, createdDateTime: now },
      { displayName: 'Administrator', mailNickname: 'admin', accountEnabled: true },
    ),
    passwordHash: await deps.passwords.hash(password),
    passwordChangedAt: now,
    forceChangePassword: true,
  };
  const setup: TenantSetup = {
    tenant: { id: tenantId, defaultDomain: deps.defaultDomain, displayName: deps.displayName, createdAt: now },
    signingKey: { kid: key.kid, privateKeyPem: key.privateKeyPem, publicJwk: key.publicJwk, createdAt: now },
    serverKeys: Object.fromEntries(serverKeyNames.map((name) => [name, randomBytes(32)])) as Record<
      ServerKeyName,
      Buffer
    >,
    administrator,
    administratorRoleTemplateId: directoryRoles.globalAdministrator,
    audit: {
      activityDisplayName: 'Add user',
      category: 'UserManagement',
      loggedByService: 'Core Directory',
      operationType: 'Add',
      result: 'success',
      resultReason: 'Initial Global Administrator created at first start',
      initiatedBy: { app: { appId: 'opensspr-bootstrap', displayName: 'OpenSSPR setup' } },
      correlationId: tenantId,
      targetResources: [
        {
          id: administratorId,
          displayName: 'Administrator',
          type: 'User',
          userPrincipalName: upn,
          modifiedProperties: [],
        },
      ],
    },
  };
  return { setup, password };
}

export async function loadTenantContext(store: TenantStore, tenant: TenantRecord): Promise<TenantContext> {
  const keys = (await store.loadSigningKeys()).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const active = keys[0];
  if (!active) throw new Error('the tenant has no signing key');
  const serverKeys = await store.loadServerKeys();
  const clientSecret = serverKeys['client-secret-hmac'];
  const pageToken = serverKeys['page-token-hmac'];
  if (!clientSecret || !pageToken) throw new Error('the tenant is missing server keys');
  return {
    tenantId: tenant.id,
    defaultDomain: tenant.defaultDomain,
    displayName: tenant.displayName,
    verifiedDomains: [tenant.defaultDomain],
    signingKey: { kid: active.kid, privateKey: privateKeyFromPem(active.privateKeyPem) },
    publicKeys: new Map(keys.map((key) => [key.kid, publicKeyFromJwk(key.publicJwk)])),
    jwks: keys.map((key) => key.publicJwk),
    serverKeys: { clientSecret, pageToken },
  };
}
