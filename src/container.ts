import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { type Config, resolveDatabaseUrl } from './config.js';
import { Argon2PasswordHasher } from './connectors/crypto/argon2-password-hasher.js';
import { decodeMasterKey, initialPasswordFile, loadOrCreateMasterKey } from './connectors/files/private-files.js';
import { requestLogSerializers } from './http/request-logging.js';
import { AppService } from './services/apps/app-service.js';
import { AuditService } from './services/audit/audit-service.js';
import { AuthenticationMethodService } from './services/authentication/authentication-method-service.js';
import { SecurityQuestionService } from './services/authentication/security-question-service.js';
import { DeviceCodeService } from './services/identity/device-code-service.js';
import { TokenService } from './services/identity/token-service.js';
import { SsprPolicyService } from './services/policy/sspr-policy-service.js';
import { RegistrationReportService } from './services/reports/registration-report-service.js';
import { RoleService } from './services/roles/role-service.js';
import { bootstrapTenant } from './services/tenant/bootstrap-service.js';
import type { TenantContext } from './services/tenant/tenant-context.js';
import { UserService } from './services/users/user-service.js';
import { SqlAppRepository } from './store/app-repository.js';
import { SqlAuditLogRepository } from './store/audit-log-repository.js';
import { SqlAuthenticationMethodRepository } from './store/authentication-method-repository.js';
import { migrateToLatest, openDatabase, type StoreDatabase } from './store/database.js';
import { SqlDeviceCodeRepository } from './store/device-code-repository.js';
import { SqlDirectoryRoleRepository } from './store/directory-role-repository.js';
import { SecretBox } from './store/secret-box.js';
import { SqlSsprPolicyRepository } from './store/sspr-policy-repository.js';
import { SqlTenantRepository } from './store/tenant-repository.js';
import { SqlUserRepository } from './store/user-repository.js';

/** Everything the edges (HTTP, CLI) may call. Only this file sees every layer. */
export interface Container {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: StoreDatabase;
  readonly tenant: TenantContext;
  readonly users: UserService;
  readonly apps: AppService;
  readonly tokens: TokenService;
  readonly deviceCodes: DeviceCodeService;
  readonly authenticationMethods: AuthenticationMethodService;
  readonly policies: SsprPolicyService;
  readonly securityQuestions: SecurityQuestionService;
  readonly roles: RoleService;
  readonly auditLog: AuditService;
  readonly reports: RegistrationReportService;
  readonly clock: () => Date;
  /** Prunes the audit log now and then daily (`serve`); stopped by the returned function or `close()`. */
  startAuditRetention(): () => void;
  close(): Promise<void>;
}

export interface ContainerOverrides {
  readonly logger?: Logger;
  readonly clock?: () => Date;
  /** A pre-opened database (tests share one per file). */
  readonly database?: StoreDatabase;
}

/** Opens the store, applies migrations, bootstraps or loads the tenant, and wires the services lazily. */
export async function createContainer(config: Config, overrides: ContainerOverrides = {}): Promise<Container> {
  const logger = overrides.logger ?? pino({ level: config.logLevel, serializers: requestLogSerializers });
  const clock = overrides.clock ?? (() => new Date());
  const newId = () => randomUUID();
  // The key first: a bad key must stop the start before the database file is even created.
  const masterKey = config.masterKey ? decodeMasterKey(config.masterKey) : await loadOrCreateMasterKey(config.dataDir);
  const database = overrides.database ?? openDatabase(resolveDatabaseUrl(config));
  try {
    await migrateToLatest(database.db);
    const passwords = new Argon2PasswordHasher();
    const tenant = await bootstrapTenant({
      store: new SqlTenantRepository(database.db, new SecretBox(masterKey)),
      passwords,
      initialPassword: initialPasswordFile(config.dataDir),
      clock,
      newId,
      defaultDomain: config.tenantDomain,
      displayName: config.tenantDisplayName,
      log: (message, fields) => logger.info(fields ?? {}, message),
    });

    const lazy = <T>(build: () => T): (() => T) => {
      let value: T | undefined;
      return () => {
        value ??= build();
        return value;
      };
    };
    const appRepository = lazy(() => new SqlAppRepository(database.db));
    const userRepository = lazy(() => new SqlUserRepository(database.db, database.sqlite));
    const roleRepository = lazy(() => new SqlDirectoryRoleRepository(database.db, database.sqlite));
    const policyRepository = lazy(() => new SqlSsprPolicyRepository(database.db));
    const users = lazy(
      () =>
        new UserService({
          users: userRepository(),
          roles: roleRepository(),
          passwords,
          verifiedDomains: () => tenant.verifiedDomains,
          clock,
          newId,
        }),
    );
    const apps = lazy(
      () =>
        new AppService({ apps: appRepository(), clientSecretKey: () => tenant.serverKeys.clientSecret, clock, newId }),
    );
    const tokens = lazy(
      () =>
        new TokenService({
          tenant: () => tenant,
          apps: appRepository(),
          clock,
          accessTokenLifetimeSeconds: config.accessTokenLifetimeSeconds,
        }),
    );
    const deviceCodes = lazy(
      () =>
        new DeviceCodeService({
          tenant: () => tenant,
          apps: appRepository(),
          users: userRepository(),
          roles: roleRepository(),
          store: new SqlDeviceCodeRepository(database.db),
          passwords,
          tokens: tokens(),
          clock,
          newId,
        }),
    );
    const authenticationMethods = lazy(
      () =>
        new AuthenticationMethodService({
          users: userRepository(),
          methods: new SqlAuthenticationMethodRepository(database.db),
          roles: roleRepository(),
          policy: policyRepository(),
          passwords,
          clock,
          newId,
        }),
    );
    const securityQuestions = lazy(
      () =>
        new SecurityQuestionService({
          users: userRepository(),
          answers: new SqlAuthenticationMethodRepository(database.db),
          hasher: passwords,
          policy: policyRepository(),
        }),
    );
    const policies = lazy(() => new SsprPolicyService({ policies: policyRepository() }));
    const roles = lazy(() => new RoleService({ roles: roleRepository(), users: userRepository() }));
    const auditLog = lazy(
      () =>
        new AuditService({
          events: new SqlAuditLogRepository(database.db),
          clock,
          retentionDays: config.auditRetentionDays,
        }),
    );
    const reports = lazy(
      () =>
        new RegistrationReportService({
          users: userRepository(),
          methods: new SqlAuthenticationMethodRepository(database.db),
          roles: roleRepository(),
          policy: policyRepository(),
        }),
    );
    let retentionTimer: NodeJS.Timeout | undefined;
    const pruneAuditLog = () =>
      auditLog()
        .prune()
        .then(
          (result) => (result.deleted > 0 ? logger.info(result, 'audit log pruned') : undefined),
          (error: unknown) => logger.error({ err: error }, 'audit log prune failed'),
        );
    return {
      config,
      logger,
      database,
      tenant,
      clock,
      get users() {
        return users();
      },
      get apps() {
        return apps();
      },
      get tokens() {
        return tokens();
      },
      get deviceCodes() {
        return deviceCodes();
      },
      get authenticationMethods() {
        return authenticationMethods();
      },
      get policies() {
        return policies();
      },
      get securityQuestions() {
        return securityQuestions();
      },
      get roles() {
        return roles();
      },
      get auditLog() {
        return auditLog();
      },
      get reports() {
        return reports();
      },
      startAuditRetention() {
        const stop = () => {
          clearInterval(retentionTimer);
          retentionTimer = undefined;
        };
        if (retentionTimer) return stop;
        void pruneAuditLog();
        retentionTimer = setInterval(() => void pruneAuditLog(), 24 * 60 * 60 * 1000).unref();
        return stop;
      },
      close: () => {
        clearInterval(retentionTimer);
        retentionTimer = undefined;
        return database.close();
      },
    };
  } catch (error) {
    if (!overrides.database) await database.close();
    throw error;
  }
}
