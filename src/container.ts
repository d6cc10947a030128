import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import { type Config, environmentVariableName, resolveDatabaseUrl } from './config.js';
import { createCaptchaChallenge, normalizeCaptchaAnswer } from './connectors/captcha/svg-captcha.js';
import { Argon2PasswordHasher } from './connectors/crypto/argon2-password-hasher.js';
import { decodeMasterKey, initialPasswordFile, loadOrCreateMasterKey } from './connectors/files/private-files.js';
import { LdapDirectory } from './connectors/ldap/ldap-directory.js';
import { LdapDirectorySource } from './connectors/ldap/ldap-directory-source.js';
import { LdapOnPremisesDirectory } from './connectors/ldap/ldap-on-premises-directory.js';
import { SmtpTransport } from './connectors/mail/smtp-transport.js';
import { isLocalHolderGone } from './connectors/process/lease-holders.js';
import { RedisThrottleStore } from './connectors/redis/redis-throttle-store.js';
import { SignedWebhook } from './connectors/telephony/signed-webhook.js';
import { TwilioClient } from './connectors/telephony/twilio-client.js';
import { DomainError } from './domain/errors.js';
import { tenantNameParts } from './domain/password-policy.js';
import { requestLogSerializers } from './http/request-logging.js';
import { AdminSessionService } from './services/admin/admin-session-service.js';
import { UserActionsService } from './services/admin/user-actions-service.js';
import { AppService } from './services/apps/app-service.js';
import { AuditService } from './services/audit/audit-service.js';
import { AuthenticationMethodService } from './services/authentication/authentication-method-service.js';
import { SecurityQuestionService } from './services/authentication/security-question-service.js';
import type { CodeDelivery } from './services/delivery/code-delivery.js';
import { DeliveryService, type SmsTransport, type VoiceTransport } from './services/delivery/delivery-service.js';
import { OutboxService } from './services/delivery/outbox-service.js';
import { DeviceCodeService } from './services/identity/device-code-service.js';
import { TokenService } from './services/identity/token-service.js';
import { SsprPolicyService } from './services/policy/sspr-policy-service.js';
import { RegistrationReportService } from './services/reports/registration-report-service.js';
import { RoleService } from './services/roles/role-service.js';
import { FlowSecrets } from './services/self-service/flow-secrets.js';
import { PasswordResetService } from './services/self-service/password-reset-service.js';
import { SecurityInfoService } from './services/self-service/security-info-service.js';
import { DirectorySyncScheduler } from './services/sync/directory-sync-scheduler.js';
import {
  type DirectorySource,
  DirectorySyncService,
  effectiveMappings,
  type SyncSettings,
} from './services/sync/directory-sync-service.js';
import { type OnPremisesDirectory, verifyOnPremisesPassword } from './services/sync/on-premises-directory.js';
import { bootstrapTenant } from './services/tenant/bootstrap-service.js';
import type { TenantContext } from './services/tenant/tenant-context.js';
import { ThrottleService } from './services/throttling/throttle-service.js';
import { ContactExportService } from './services/users/contact-export-service.js';
import { ContactImportService } from './services/users/contact-import-service.js';
import { HeldContactUploads } from './services/users/held-contact-uploads.js';
import { UserService } from './services/users/user-service.js';
import { SqlAppRepository } from './store/app-repository.js';
import { SqlAuditLogRepository } from './store/audit-log-repository.js';
import { SqlAuthenticationMethodRepository } from './store/authentication-method-repository.js';
import { SqlContactImportRepository } from './store/contact-import-repository.js';
import { migrateToLatest, openDatabase, type StoreDatabase } from './store/database.js';
import { SqlDeliveryRepository } from './store/delivery-repository.js';
import { SqlDeviceCodeRepository } from './store/device-code-repository.js';
import { SqlDirectoryRoleRepository } from './store/directory-role-repository.js';
import { SqlDirectorySyncRepository } from './store/directory-sync-repository.js';
import { SqlHeldUploadRepository } from './store/held-upload-repository.js';
import { SqlOutboxRepository } from './store/outbox-repository.js';
import { SecretBox } from './store/secret-box.js';
import { SqlSelfServiceFlowRepository } from './store/self-service-flow-repository.js';
import { SqlSsprLockoutRepository } from './store/sspr-lockout-repository.js';
import { SqlSsprPolicyRepository } from './store/sspr-policy-repository.js';
import { SqlTenantRepository } from './store/tenant-repository.js';
import { MemoryThrottleStore, PostgresThrottleStore } from './store/throttle-bucket-store.js';
import { SqlUserRepository } from './store/user-repository.js';
import { SqlWebSessionRepository } from './store/web-session-repository.js';

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
  /** Sends codes and notices (SMTP, Twilio-compatible, signed webhook or the development outbox, from config). */
  readonly codeDelivery: CodeDelivery;
  /** The development outbox, read side (`inUse` false when every channel really delivers). */
  readonly outbox: OutboxService;
  /** The self-service password reset flow (`/passwordreset`). */
  readonly passwordResets: PasswordResetService;
  /** My Security Info (`/mysecurityinfo`): sign-in, registration interrupt, the user's own methods. */
  readonly securityInfo: SecurityInfoService;
  /** Admin portal (`/admin`) sign-in and sessions, for accounts that hold a directory role. */
  readonly adminSessions: AdminSessionService;
  /** Admin actions on a user beside their methods: require re-register, revoke sessions, SSPR block and unblock. */
  readonly userActions: UserActionsService;
  /**
   * Directory sync (SPEC section 8): full and delta runs over the configured LDAP directory (or a `source` passed
   * in), settings, run history.
   */
  readonly directorySync: DirectorySyncService;
  /** Bulk contact import from CSV and its jobs (docs/bulk-import.md). */
  readonly contactImports: ContactImportService;
  /** Contact info and registration status as CSV, streamed (docs/bulk-import.md). */
  readonly contactExport: ContactExportService;
  /** The admin portal's previewed CSV files, waiting for "Apply". */
  readonly heldContactUploads: HeldContactUploads;
  /**
   * Runs directory sync on its schedule (`serve`): a delta run every `intervalMinutes`, a full run after a mapping
   * change; nothing while sync is not configured. Stopped by the returned function or `close()`.
   */
  startDirectorySync(): () => void;
  /** Prunes the audit log now and then daily (`serve`); stopped by the returned function or `close()`. */
  startAuditRetention(): () => void;
  /** Graph API throttling (null when `throttle` is off): buckets in Redis, else PostgreSQL, else this process. */
  readonly throttle: ThrottleService | null;
  close(): Promise<void>;
}

export interface ContainerOverrides {
  readonly logger?: Logger;
  readonly clock?: () => Date;
  /** A pre-opened database (tests share one per file). */
  readonly database?: StoreDatabase;
  /**
   * Log the "DEVELOPMENT OUTBOX IN USE" warning at creation (default true). One-shot CLI commands turn it off so
   * their stderr stays one line per error; `serve` and tests keep it.
   */
  readonly announceDevelopmentOutbox?: boolean;
}

/** Opens the store, applies migrations, bootstraps or loads the tenant, and wires the services lazily. */
export async function createContainer(config: Config, overrides: ContainerOverrides = {}): Promise<Container> {
  const logger = overrides.logger ?? pino({ level: config.logLevel, serializers: requestLogSerializers });
  const clock = overrides.clock ?? (() => new Date());
  const newId = () => randomUUID();
  // Message delivery settings are checked before anything is opened: a half-configured provider stops the start.
  const deliveryChannels = chooseDeliveryChannels(config);
  // The key first: a bad key must stop the start before the database file is even created.
  const masterKey = config.masterKey ? decodeMasterKey(config.masterKey) : await loadOrCreateMasterKey(config.dataDir);
  const database =
    overrides.database ??
    openDatabase(resolveDatabaseUrl(config), {
      onCheckpointFailure: (error) =>
        logger.warn({ err: error }, 'background checkpoints stopped; SQLite checkpoints inside commits again'),
    });
  try {
    await migrateToLatest(database.db, database.dialect);
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
          tenantDisplayName: () => tenant.displayName,
          customBannedPasswords: async () => (await policyRepository().current()).customBannedPasswords,
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
          onPremises: onPremisesDirectory(),
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
          tenantNameParts: () => [
            ...new Set(tenant.verifiedDomains.flatMap((domain) => tenantNameParts(tenant.displayName, domain))),
          ],
          passwords,
          onPremises: onPremisesDirectory(),
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
    const contactImports = lazy(
      () =>
        new ContactImportService({
          store: new SqlContactImportRepository(database.db, database.sqlite),
          roles: roleRepository(),
          clock,
          newId,
        }),
    );
    const heldContactUploads = lazy(
      () => new HeldContactUploads({ store: new SqlHeldUploadRepository(database.db), clock }),
    );
    const contactExport = lazy(
      () =>
        new ContactExportService({
          users: userRepository(),
          methods: new SqlAuthenticationMethodRepository(database.db),
          roles: roleRepository(),
          policy: policyRepository(),
        }),
    );
    const reports = lazy(
      () =>
        new RegistrationReportService({
          users: userRepository(),
          methods: new SqlAuthenticationMethodRepository(database.db),
          roles: roleRepository(),
          policy: policyRepository(),
          activity: new SqlAuditLogRepository(database.db),
          blocks: new SqlSsprLockoutRepository(database.db),
          clock,
        }),
    );

    // --- Message delivery (codes and notices) -------------------------------------------------------------
    if (deliveryChannels.outboxChannels.length > 0 && overrides.announceDevelopmentOutbox !== false) {
      logger.warn(
        { outboxChannels: deliveryChannels.outboxChannels },
        `DEVELOPMENT OUTBOX IN USE: ${deliveryChannels.outboxChannels.join('/')} messages are stored in the ` +
          'database and shown to administrators, not delivered',
      );
    }
    const outboxRepository = lazy(() => new SqlOutboxRepository(database.db, { clock, newId }));
    let smtpTransport: SmtpTransport | undefined;
    const codeDelivery = lazy(() => {
      if (deliveryChannels.smtp) {
        smtpTransport = new SmtpTransport({ url: deliveryChannels.smtp.url, from: config.mailFrom });
      }
      const email = smtpTransport ?? outboxRepository();
      const telephony: SmsTransport & VoiceTransport =
        deliveryChannels.telephony.kind === 'twilio'
          ? new TwilioClient(deliveryChannels.telephony.options)
          : deliveryChannels.telephony.kind === 'webhook'
            ? new SignedWebhook({ ...deliveryChannels.telephony.options, clock })
            : outboxRepository();
      return new DeliveryService({
        email,
        sms: telephony,
        voice: telephony,
        log: new SqlDeliveryRepository(database.db),
        policy: policyRepository(),
        tenantName: () => tenant.displayName,
        clock,
        newId,
        logger,
      });
    });
    const outbox = lazy(
      () => new OutboxService({ outbox: deliveryChannels.outboxChannels.length > 0 ? outboxRepository() : null }),
    );
    // --------------------------------------------------------------------------------------------------------

    // Graph API throttling buckets: shared by all instances in Redis when it is configured, else in PostgreSQL,
    // else in this process (see below).
    const redisThrottleStore =
      config.throttle === 'on' && config.throttleRedisUrl
        ? new RedisThrottleStore({
            url: config.throttleRedisUrl,
            keyPrefix: config.throttleRedisKeyPrefix,
            logger,
          })
        : undefined;
    const throttleStore =
      config.throttle === 'on' && !redisThrottleStore && database.dialect === 'postgres'
        ? new PostgresThrottleStore(database.db)
        : undefined;
    let retentionTimer: NodeJS.Timeout | undefined;
    const purgeSelfService = async () => {
      try {
        const now = clock();
        const flows = await new SqlSelfServiceFlowRepository(database.db).purgeExpired(now.toISOString());
        await new SqlSsprLockoutRepository(database.db).purgeOlderThan(new Date(now.getTime() - 24 * 60 * 60 * 1000));
        // Development outbox messages hold live codes: kept an hour, long past any code's 5-minute life.
        await outboxRepository().purgeOlderThan(new Date(now.getTime() - 60 * 60 * 1000));
        // Throttling buckets idle for a day are full: the row says nothing an absent row does not.
        await throttleStore?.purgeIdle(now.getTime() - 24 * 60 * 60 * 1000);
        // Sessions past their absolute lifetime or idle for more than an hour can never be used again.
        await new SqlWebSessionRepository(database.db).purgeExpired(
          now.toISOString(),
          new Date(now.getTime() - 60 * 60 * 1000).toISOString(),
        );
        // Previewed CSV files nobody applied: gone with their 30 minutes.
        await new SqlHeldUploadRepository(database.db).purgeExpired(now.toISOString());
        if (flows > 0) logger.info({ flows }, 'expired self-service flows purged');
      } catch (error) {
        logger.error({ err: error }, 'self-service purge failed');
      }
    };
    const pruneAuditLog = () =>
      auditLog()
        .prune()
        .then(
          (result) => (result.deleted > 0 ? logger.info(result, 'audit log pruned') : undefined),
          (error: unknown) => logger.error({ err: error }, 'audit log prune failed'),
        );
    // --- Self-service flows ------------------------------------------------------------------------------------
    if (config.captcha === 'off') {
      logger.warn(
        'CAPTCHA OFF: the password reset page asks for no CAPTCHA (SSPR_CAPTCHA=off is for test set-ups only)',
      );
    }
    const flowSecrets = new FlowSecrets(tenant.serverKeys.clientSecret);
    const passwordResets = lazy(
      () =>
        new PasswordResetService({
          flows: new SqlSelfServiceFlowRepository(database.db),
          lockouts: new SqlSsprLockoutRepository(database.db),
          users: userRepository(),
          methods: new SqlAuthenticationMethodRepository(database.db),
          roles: roleRepository(),
          policy: policyRepository(),
          questions: securityQuestions(),
          delivery: codeDelivery(),
          sessions: new SqlWebSessionRepository(database.db),
          passwords,
          onPremises: onPremisesDirectory(),
          captcha:
            config.captcha === 'off'
              ? null
              : { create: () => createCaptchaChallenge(), normalize: normalizeCaptchaAnswer },
          secrets: flowSecrets,
          tenant: () => tenant,
          clock,
          newId,
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        }),
    );

    // --- My Security Info (registration) --------------------------------------------------------------------
    const securityInfo = lazy(
      () =>
        new SecurityInfoService({
          sessions: new SqlWebSessionRepository(database.db),
          flows: new SqlSelfServiceFlowRepository(database.db),
          users: userRepository(),
          methods: new SqlAuthenticationMethodRepository(database.db),
          questions: securityQuestions(),
          roles: roleRepository(),
          policy: policyRepository(),
          limits: new SqlSsprLockoutRepository(database.db),
          delivery: codeDelivery(),
          passwords,
          // Pass-through sign-in for synced users (see "On-premises password checks and writeback" below).
          onPremises: {
            verify: (user, password) => verifyOnPremisesPassword(onPremisesDirectory(), user, password),
          },
          secrets: flowSecrets,
          clock,
          newId,
        }),
    );
    const adminSessions = lazy(
      () =>
        new AdminSessionService({
          credentials: securityInfo(),
          sessions: new SqlWebSessionRepository(database.db),
          users: userRepository(),
          roles: roleRepository(),
          secrets: flowSecrets,
          clock,
        }),
    );
    const userActions = lazy(
      () =>
        new UserActionsService({
          users: userRepository(),
          roles: roleRepository(),
          registrations: new SqlWebSessionRepository(database.db),
          sessions: new SqlWebSessionRepository(database.db),
          lockouts: new SqlSsprLockoutRepository(database.db),
          secrets: flowSecrets,
          clock,
        }),
    );
    // --------------------------------------------------------------------------------------------------------

    // --- Directory sync ---------------------------------------------------------------------------------------
    let directorySyncScheduler: DirectorySyncScheduler | undefined;
    const directorySync = lazy(
      () =>
        new DirectorySyncService({
          store: new SqlDirectorySyncRepository(database.db, new SecretBox(masterKey), database.sqlite),
          // The settings' directory, opened per run (and closed after it by the service).
          openSource: openLdapSource,
          clock,
          newId,
          instanceName: `${hostname()}:${process.pid}`,
          // A run killed on this host (SIGKILL, OOM, power) leaves its lease behind: the next run takes it over.
          isHolderGone: isLocalHolderGone,
        }),
    );
    // --------------------------------------------------------------------------------------------------------

    // --- On-premises password checks and writeback ------------------------------------------------------------
    // Pass-through sign-in (My Security Info, /devicelogin) and password writeback (self-service and admin resets)
    // for synced users, over LDAP with the directory sync's connection settings, read on every call: until sync
    // is configured the directory is "unavailable" (sign-in fails generically, resets say writeback_unavailable).
    const onPremisesDirectory = lazy(
      (): OnPremisesDirectory => new LdapOnPremisesDirectory(() => directorySync().settings()),
    );
    // --------------------------------------------------------------------------------------------------------

    // --- Graph API throttling ---------------------------------------------------------------------------------
    const throttle =
      config.throttle === 'off'
        ? null
        : new ThrottleService({
            store: redisThrottleStore ?? throttleStore ?? new MemoryThrottleStore(),
            limits: {
              appResourceUnits: {
                capacity: config.throttleAppResourceUnits,
                windowSeconds: config.throttleAppResourceUnitsWindowSeconds,
              },
              appWrites: { capacity: config.throttleAppWrites, windowSeconds: config.throttleAppWritesWindowSeconds },
              tenantWrites: {
                capacity: config.throttleTenantWrites,
                windowSeconds: config.throttleTenantWritesWindowSeconds,
              },
            },
            tenantId: tenant.tenantId,
            clock,
          });
    // --------------------------------------------------------------------------------------------------------

    return {
      config,
      throttle,
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
      get contactImports() {
        return contactImports();
      },
      get contactExport() {
        return contactExport();
      },
      get heldContactUploads() {
        return heldContactUploads();
      },
      get codeDelivery() {
        return codeDelivery();
      },
      get outbox() {
        return outbox();
      },
      get passwordResets() {
        return passwordResets();
      },
      get securityInfo() {
        return securityInfo();
      },
      get adminSessions() {
        return adminSessions();
      },
      get userActions() {
        return userActions();
      },
      get directorySync() {
        return directorySync();
      },
      startDirectorySync() {
        if (!directorySyncScheduler) {
          directorySyncScheduler = new DirectorySyncScheduler({
            sync: directorySync(),
            onError: (error) => logger.error({ err: error }, 'scheduled directory sync failed'),
            // A stopped (deletion threshold) or failed run waits for an administrator: a warning, with its reason.
            onRun: (result) =>
              logger[result.status === 'succeeded' ? 'info' : 'warn'](
                {
                  runId: result.runId,
                  kind: result.kind,
                  status: result.status,
                  counts: result.counts,
                  ...(result.message ? { reason: result.message } : {}),
                },
                `directory sync ${result.kind} run ${result.status}`,
              ),
          });
          directorySyncScheduler.start();
        }
        const scheduler = directorySyncScheduler;
        return () => {
          scheduler.stop();
          if (directorySyncScheduler === scheduler) directorySyncScheduler = undefined;
        };
      },
      startAuditRetention() {
        const stop = () => {
          clearInterval(retentionTimer);
          retentionTimer = undefined;
        };
        if (retentionTimer) return stop;
        void pruneAuditLog();
        void purgeSelfService();
        // Hourly: expired reset flows (and their codes) and lockout counters past every window; daily: the audit log.
        let hours = 0;
        retentionTimer = setInterval(
          () => {
            void purgeSelfService();
            if (++hours % 24 === 0) void pruneAuditLog();
          },
          60 * 60 * 1000,
        ).unref();
        return stop;
      },
      close: async () => {
        directorySyncScheduler?.stop();
        directorySyncScheduler = undefined;
        clearInterval(retentionTimer);
        retentionTimer = undefined;
        smtpTransport?.close();
        await redisThrottleStore?.close();
        // Directory sync runs started through the admin API end (after their current page) before the store closes.
        await directorySync().stop();
        return database.close();
      },
    };
  } catch (error) {
    if (!overrides.database) await database.close();
    throw error;
  }
}

type DeliveryChannels = {
  readonly smtp: { readonly url: string } | null;
  readonly telephony:
    | { readonly kind: 'outbox' }
    | {
        readonly kind: 'twilio';
        readonly options: { baseUrl: string; accountSid: string; authToken: string; from: string };
      }
    | { readonly kind: 'webhook'; readonly options: { url: string; secret: string } };
  /** Channels that go to the development outbox instead of being delivered. */
  readonly outboxChannels: readonly ('email' | 'sms' | 'voice')[];
};

/** Which transport each channel uses, from config; a provider missing a setting is refused with its names. */
function chooseDeliveryChannels(config: Config): DeliveryChannels {
  let smtp: DeliveryChannels['smtp'] = null;
  if (config.smtpUrl !== undefined) {
    if (!/^smtps?:\/\//i.test(config.smtpUrl)) {
      throw new DomainError('invalid_configuration', {
        detail: 'smtpUrl (SSPR_SMTP_URL) must start with smtp:// (STARTTLS) or smtps:// (implicit TLS)',
      });
    }
    smtp = { url: config.smtpUrl };
  }
  const missing = (keys: Record<string, unknown>) =>
    Object.entries(keys)
      .filter(([, value]) => value === undefined)
      .map(([key]) => key);
  let telephony: DeliveryChannels['telephony'] = { kind: 'outbox' };
  if (config.smsProvider === 'twilio') {
    const { twilioAccountSid, twilioAuthToken, twilioFrom } = config;
    const absent = missing({ twilioAccountSid, twilioAuthToken, twilioFrom });
    if (twilioAccountSid === undefined || twilioAuthToken === undefined || twilioFrom === undefined) {
      throw new DomainError('invalid_configuration', {
        detail: `smsProvider "twilio" needs ${absent.join(', ')} (environment ${absent.map(environmentVariableName).join(', ')})`,
      });
    }
    telephony = {
      kind: 'twilio',
      options: {
        baseUrl: config.twilioApiBaseUrl,
        accountSid: twilioAccountSid,
        authToken: twilioAuthToken,
        from: twilioFrom,
      },
    };
  } else if (config.smsProvider === 'webhook') {
    const { webhookUrl, webhookSecret } = config;
    const absent = missing({ webhookUrl, webhookSecret });
    if (webhookUrl === undefined || webhookSecret === undefined) {
      throw new DomainError('invalid_configuration', {
        detail: `smsProvider "webhook" needs ${absent.join(', ')} (environment ${absent.map(environmentVariableName).join(', ')})`,
      });
    }
    telephony = { kind: 'webhook', options: { url: webhookUrl, secret: webhookSecret } };
  }
  const outboxChannels: ('email' | 'sms' | 'voice')[] = [];
  if (smtp === null) outboxChannels.push('email');
  if (telephony.kind === 'outbox') outboxChannels.push('sms', 'voice');
  return { smtp, telephony, outboxChannels };
}

/** The directory the sync settings describe: one `LdapDirectory` per run, closed by the service after it. */
function openLdapSource(settings: SyncSettings): DirectorySource {
  const directory = new LdapDirectory({
    urls: settings.urls,
    bindDn: settings.bindDn,
    bindPassword: settings.bindPassword,
    ...(settings.tls.startTls ? { startTls: true } : {}),
    tls: {
      ...(settings.tls.caFile ? { caFile: settings.tls.caFile } : {}),
      ...(settings.tls.serverName ? { serverName: settings.tls.serverName } : {}),
    },
    timeoutMs: settings.timeoutMs,
  });
  const source = new LdapDirectorySource(directory, {
    flavor: settings.flavor,
    baseDns: settings.baseDns,
    ...(settings.filter ? { filter: settings.filter } : {}),
    ...(settings.groupDn ? { groupDn: settings.groupDn } : {}),
    pageSize: settings.pageSize,
    rules: effectiveMappings(settings),
  });
  return {
    pages: () => source.pages(),
    changedSince: (watermark) => source.changedSince(watermark),
    ...(settings.flavor === 'openldap' ? { anchors: () => source.anchors() } : {}),
    entriesByAnchor: (anchors) => source.entriesByAnchor(anchors),
    currentWatermark: () => source.currentWatermark(),
    close: () => directory.close(),
  };
}
