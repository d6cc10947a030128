import { createHash } from 'node:crypto';
import { type AuditEventDraft, auditDraft, type RequestContext, userTarget } from '../../domain/audit.js';
import {
  type AuthenticationMethodSet,
  emailMethodId,
  evaluateSsprReadiness,
  type PhoneType,
  passwordMethodId,
  phoneMethodIds,
  phoneTypeOfMethodId,
  phoneTypes,
  type SsprReadiness,
} from '../../domain/authentication-methods.js';
import {
  type AuthorizationTarget,
  authorizeMethodRead,
  authorizeMethodWrite,
  authorizePasswordReset,
  type MethodReadAccess,
} from '../../domain/authorization.js';
import { isValidAlternateEmail } from '../../domain/email-address.js';
import { DomainError } from '../../domain/errors.js';
import { OnPremisesPasswordRefused, OnPremisesUnavailable } from '../../domain/on-premises-password.js';
import { assertPasswordAllowed, generateCompliantPassword, userNameParts } from '../../domain/password-policy.js';
import { describePhoneNumberProblem, maskPhoneNumber } from '../../domain/phone-number.js';
import type { SsprPolicy } from '../../domain/sspr-policy.js';
import type { DirectoryUser, UserRecordChanges } from '../../domain/user.js';
import type { OnPremisesDirectory } from '../sync/on-premises-directory.js';
import { findUserOrFail, type UserLookup } from '../users/find-user.js';
import type { PasswordHasher } from '../users/user-service.js';

export interface AuthenticationMethodStore {
  load(userId: string): Promise<AuthenticationMethodSet>;
  putPhone(
    userId: string,
    type: PhoneType,
    phoneNumber: string,
    mode: 'add' | 'update',
    audit: AuditEventDraft,
  ): Promise<void>;
  deletePhone(userId: string, type: PhoneType, audit: AuditEventDraft): Promise<void>;
  putEmail(userId: string, emailAddress: string, mode: 'add' | 'update', audit: AuditEventDraft): Promise<void>;
  deleteEmail(userId: string, audit: AuditEventDraft): Promise<void>;
}

export interface AuthenticationMethodServiceDependencies {
  readonly users: UserLookup & {
    update(id: string, changes: UserRecordChanges, audit: AuditEventDraft): Promise<void>;
    findPasswordChangedAt(id: string): Promise<string | null>;
  };
  readonly methods: AuthenticationMethodStore;
  readonly roles: { rolesOf(userId: string): Promise<string[]> };
  readonly policy: { current(): Promise<SsprPolicy> };
  /** The tenant's name parts banned in passwords (`tenantNameParts` of its display name and domains). */
  readonly tenantNameParts?: () => readonly string[];
  readonly passwords: PasswordHasher;
  /** Password writeback for synced users' admin resets; null (or absent): those resets are refused. */
  readonly onPremises?: Pick<OnPremisesDirectory, 'setPassword' | 'writebackEnabled'> | null;
  readonly clock: () => Date;
  readonly newId: () => string;
}

/** Graph's `phoneAuthenticationMethod`. */
export interface PhoneMethod {
  readonly id: string;
  readonly phoneNumber: string;
  readonly phoneType: PhoneType;
  readonly smsSignInState: 'notSupported';
}

export interface EmailMethod {
  readonly id: string;
  readonly emailAddress: string;
}

export interface PasswordMethod {
  readonly id: string;
  readonly password: null;
  readonly createdDateTime: string | null;
}

export type AnyMethod =
  | ({ readonly '@odata.type': '#microsoft.graph.phoneAuthenticationMethod' } & PhoneMethod)
  | ({ readonly '@odata.type': '#microsoft.graph.emailAuthenticationMethod' } & EmailMethod)
  | ({ readonly '@odata.type': '#microsoft.graph.passwordAuthenticationMethod' } & PasswordMethod);

export interface MethodsOverview {
  readonly user: DirectoryUser;
  readonly access: MethodReadAccess;
  /** The caller may add, change and delete this user's methods (else the page shows them read-only). */
  readonly writable: boolean;
  /** The user holds a directory role: the administrator policy applies, and only privileged roles may write. */
  readonly isAdministrator: boolean;
  readonly phones: readonly PhoneMethod[];
  readonly email: string | null;
  readonly securityQuestionCount: number;
  readonly readiness: SsprReadiness;
}

/** Graph's `longRunningOperation`, as `GET .../authentication/operations/{id}` returns it. */
export interface ResetOperation {
  readonly id: string;
  readonly createdDateTime: string;
  readonly lastActionDateTime: string;
  readonly status: 'succeeded';
  readonly statusDetail: null;
  readonly resourceLocation: null;
}

/** The id of the reset that changed this user's password at this time: nothing to store, the user row has the time. */
function resetOperationId(userId: string, changedAt: string): string {
  const hex = createHash('sha256').update(`password-reset-operation\n${userId}\n${changedAt}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface PasswordResetResult {
  readonly operationId: string;
  /** Only when the server generated the password: shown once to the admin. */
  readonly newPassword?: string;
}

/**
 * The authentication layer of SPEC section 4 (phones, email, password), with Graph's rules: fixed ids,
 * one method per type, mobile before alternateMobile, the SSPR phone format, and per-role access.
 * Security questions never leave this service.
 */
export class AuthenticationMethodService {
  constructor(private readonly deps: AuthenticationMethodServiceDependencies) {}

  async listMethods(context: RequestContext, userRef: string): Promise<AnyMethod[]> {
    const { user, access } = await this.readable(context, userRef);
    const methods = await this.deps.methods.load(user.id);
    return [
      { '@odata.type': '#microsoft.graph.passwordAuthenticationMethod', ...passwordMethodOf(user) },
      ...phonesOf(methods, access).map((phone) => ({
        '@odata.type': '#microsoft.graph.phoneAuthenticationMethod' as const,
        ...phone,
      })),
      ...emailsOf(methods).map((email) => ({
        '@odata.type': '#microsoft.graph.emailAuthenticationMethod' as const,
        ...email,
      })),
    ];
  }

  async listPhoneMethods(context: RequestContext, userRef: string): Promise<PhoneMethod[]> {
    const { user, access } = await this.readable(context, userRef);
    return phonesOf(await this.deps.methods.load(user.id), access);
  }

  async getPhoneMethod(context: RequestContext, userRef: string, methodId: string): Promise<PhoneMethod> {
    const phone = (await this.listPhoneMethods(context, userRef)).find(
      (method) => method.id === methodId.toLowerCase(),
    );
    if (!phone) throw new DomainError('resource_not_found', { resource: methodId });
    return phone;
  }

  async addPhoneMethod(context: RequestContext, userRef: string, body: unknown): Promise<PhoneMethod> {
    const { user } = await this.writable(context, userRef, 'add');
    const { phoneNumber, phoneType } = parsePhoneBody(body, 'add');
    if (!phoneType) throw new DomainError('property_required', { property: 'phoneType' });
    const existing = await this.deps.methods.load(user.id);
    if (existing.phones[phoneType]) throw new DomainError('method_already_exists', { type: phoneType });
    if (phoneType === 'alternateMobile' && !existing.phones.mobile)
      throw new DomainError('method_prerequisite_missing');
    await this.deps.methods.putPhone(
      user.id,
      phoneType,
      phoneNumber,
      'add',
      this.audit(context, 'Admin registered security info', 'Add', user, phoneType, null, phoneNumber),
    );
    return { id: phoneMethodIds[phoneType], phoneNumber, phoneType, smsSignInState: 'notSupported' };
  }

  async updatePhoneMethod(context: RequestContext, userRef: string, methodId: string, body: unknown): Promise<void> {
    const { user } = await this.writable(context, userRef, 'update');
    const type = phoneTypeOfMethodId(methodId);
    if (!type) throw new DomainError('resource_not_found', { resource: methodId });
    const { phoneNumber, phoneType } = parsePhoneBody(body, 'update');
    if (phoneType !== undefined && phoneType !== type) throw new DomainError('method_type_immutable');
    const existing = await this.deps.methods.load(user.id);
    const before = existing.phones[type];
    if (!before) throw new DomainError('resource_not_found', { resource: methodId });
    await this.deps.methods.putPhone(
      user.id,
      type,
      phoneNumber,
      'update',
      this.audit(context, 'Admin updated security info', 'Update', user, type, before, phoneNumber),
    );
  }

  async deletePhoneMethod(context: RequestContext, userRef: string, methodId: string): Promise<void> {
    const { user } = await this.writable(context, userRef, 'delete');
    const type = phoneTypeOfMethodId(methodId);
    if (!type) throw new DomainError('resource_not_found', { resource: methodId });
    const existing = await this.deps.methods.load(user.id);
    const before = existing.phones[type];
    if (!before) throw new DomainError('resource_not_found', { resource: methodId });
    await this.deps.methods.deletePhone(
      user.id,
      type,
      this.audit(context, 'Admin deleted security info', 'Delete', user, type, before, null),
    );
  }

  async listEmailMethods(context: RequestContext, userRef: string): Promise<EmailMethod[]> {
    const { user } = await this.readable(context, userRef);
    return emailsOf(await this.deps.methods.load(user.id));
  }

  async getEmailMethod(context: RequestContext, userRef: string, methodId: string): Promise<EmailMethod> {
    const email = (await this.listEmailMethods(context, userRef)).find(
      (method) => method.id === methodId.toLowerCase(),
    );
    if (!email) throw new DomainError('resource_not_found', { resource: methodId });
    return email;
  }

  async addEmailMethod(context: RequestContext, userRef: string, body: unknown): Promise<EmailMethod> {
    const { user } = await this.writable(context, userRef, 'add');
    const emailAddress = parseEmailBody(body);
    const existing = await this.deps.methods.load(user.id);
    if (existing.email) throw new DomainError('method_already_exists', { type: 'email' });
    await this.deps.methods.putEmail(
      user.id,
      emailAddress,
      'add',
      this.audit(context, 'Admin registered security info', 'Add', user, 'email', null, emailAddress),
    );
    return { id: emailMethodId, emailAddress };
  }

  async updateEmailMethod(context: RequestContext, userRef: string, methodId: string, body: unknown): Promise<void> {
    const { user } = await this.writable(context, userRef, 'update');
    if (methodId.toLowerCase() !== emailMethodId) throw new DomainError('resource_not_found', { resource: methodId });
    const emailAddress = parseEmailBody(body);
    const before = (await this.deps.methods.load(user.id)).email;
    if (!before) throw new DomainError('resource_not_found', { resource: methodId });
    await this.deps.methods.putEmail(
      user.id,
      emailAddress,
      'update',
      this.audit(context, 'Admin updated security info', 'Update', user, 'email', before, emailAddress),
    );
  }

  async deleteEmailMethod(context: RequestContext, userRef: string, methodId: string): Promise<void> {
    const { user } = await this.writable(context, userRef, 'delete');
    if (methodId.toLowerCase() !== emailMethodId) throw new DomainError('resource_not_found', { resource: methodId });
    const before = (await this.deps.methods.load(user.id)).email;
    if (!before) throw new DomainError('resource_not_found', { resource: methodId });
    await this.deps.methods.deleteEmail(
      user.id,
      this.audit(context, 'Admin deleted security info', 'Delete', user, 'email', before, null),
    );
  }

  async listPasswordMethods(context: RequestContext, userRef: string): Promise<PasswordMethod[]> {
    const { user } = await this.readable(context, userRef);
    return [passwordMethodOf(user)];
  }

  /** Admin reset (`POST .../methods/{passwordMethodId}/resetPassword`): the user must change it at next sign-in. */
  async resetPassword(
    context: RequestContext,
    userRef: string,
    methodId: string,
    body: unknown,
    /** The admin portal's "generate" choice also works for synced users (as Entra's portal does); the API's does not. */
    options: { readonly generateForSyncedUser?: boolean } = {},
  ): Promise<PasswordResetResult> {
    const user = await findUserOrFail(this.deps.users, userRef);
    authorizePasswordReset(context.principal, await this.target(user));
    if (methodId.toLowerCase() !== passwordMethodId)
      throw new DomainError('resource_not_found', { resource: methodId });
    const requested = parseResetBody(body);
    // Graph generates a password for cloud users only: a synced user's on-premises password is not made up unasked.
    if (requested === undefined && user.onPremisesSyncEnabled && !options.generateForSyncedUser) {
      throw new DomainError('property_required', { property: 'newPassword' });
    }
    const newPassword = requested ?? generateCompliantPassword();
    const { customBannedPasswords, writebackEnabled } = await this.deps.policy.current();
    assertPasswordAllowed(newPassword, {
      userNameParts: userNameParts(user),
      tenantNameParts: this.deps.tenantNameParts?.() ?? [],
      customBannedPasswords,
    });
    const writeback = user.onPremisesSyncEnabled ? (this.deps.onPremises ?? null) : null;
    if (user.onPremisesSyncEnabled) {
      const enabled = writebackEnabled && (await writeback?.writebackEnabled().catch(() => false));
      if (!writeback || !enabled) throw writebackUnavailable();
      // Synchronously and first: the directory's policy has the last word, and a refusal changes nothing.
      try {
        await writeback.setPassword(user, newPassword);
      } catch (error) {
        if (error instanceof OnPremisesPasswordRefused) {
          throw new DomainError(
            'password_policy_violation',
            {},
            `The on-premises directory refused the password (${error.reason}): ${error.diagnostic || 'password policy'}. The password was not changed.`,
          );
        }
        if (error instanceof OnPremisesUnavailable) throw writebackUnavailable();
        throw error;
      }
    }
    const now = this.deps.clock().toISOString();
    const reason = requested ? 'Password set by the administrator' : 'Password generated by the service';
    await this.deps.users.update(
      user.id,
      {
        // No cloud hash for a synced user: sign-in checks the on-premises directory (see PasswordResetService).
        passwordHash: writeback ? null : await this.deps.passwords.hash(newPassword),
        passwordChangedAt: now,
        forceChangePassword: true,
        updatedAt: now,
      },
      auditDraft(context, {
        activity: 'Reset password (by admin)',
        category: 'UserManagement',
        service: 'Self-service Password Management',
        operationType: 'Update',
        targets: [userTarget(user)],
        resultReason: writeback ? `${reason}; written back to the on-premises directory` : reason,
      }),
    );
    return { operationId: resetOperationId(user.id, now), ...(requested ? {} : { newPassword }) };
  }

  /**
   * `GET .../authentication/operations/{id}`, where the 202 of a reset points: the reset finished before that answer,
   * so the operation of the user's latest password change is `succeeded`; any other id is not found.
   */
  async resetOperation(context: RequestContext, userRef: string, operationId: string): Promise<ResetOperation> {
    const { user } = await this.readable(context, userRef);
    const changedAt = await this.deps.users.findPasswordChangedAt(user.id);
    if (changedAt === null || resetOperationId(user.id, changedAt) !== operationId.toLowerCase()) {
      throw new DomainError('resource_not_found', { resource: operationId });
    }
    return {
      id: resetOperationId(user.id, changedAt),
      createdDateTime: changedAt,
      lastActionDateTime: changedAt,
      status: 'succeeded',
      statusDetail: null,
      resourceLocation: null,
    };
  }

  /** Which methods are usable for SSPR right now, and why not (the admin page and the report use it). */
  async readiness(context: RequestContext, userRef: string): Promise<SsprReadiness> {
    const { user } = await this.readable(context, userRef);
    const [methods, roles, policy] = await Promise.all([
      this.deps.methods.load(user.id),
      this.deps.roles.rolesOf(user.id),
      this.deps.policy.current(),
    ]);
    return evaluateSsprReadiness({ user, methods, tenantPolicy: policy, isAdministrator: roles.length > 0 });
  }

  /**
   * The admin portal's Authentication methods page in one read: the methods (phones masked for an Authentication
   * Administrator, as `listMethods`), what is usable for SSPR now and why not (values masked the same way), and
   * how many security questions are registered (never which ones).
   */
  async methodsOverview(context: RequestContext, userRef: string): Promise<MethodsOverview> {
    const { user, access } = await this.readable(context, userRef);
    const [methods, roles, policy] = await Promise.all([
      this.deps.methods.load(user.id),
      this.deps.roles.rolesOf(user.id),
      this.deps.policy.current(),
    ]);
    const readiness = evaluateSsprReadiness({ user, methods, tenantPolicy: policy, isAdministrator: roles.length > 0 });
    const maskValue = (method: string, value: string | null) =>
      value !== null && access === 'masked' && method !== 'email' ? maskPhoneNumber(value) : value;
    let writable = true;
    try {
      authorizeMethodWrite(context.principal, { id: user.id, isAdministrator: roles.length > 0 }, 'update');
    } catch {
      writable = false;
    }
    return {
      user,
      access,
      writable,
      isAdministrator: roles.length > 0,
      phones: phonesOf(methods, access),
      email: methods.email,
      securityQuestionCount: methods.securityQuestionCount,
      readiness: {
        ...readiness,
        methods: readiness.methods.map((entry) => ({
          ...entry,
          value: maskValue(entry.method, entry.value),
          suggestion: access === 'masked' ? null : entry.suggestion,
        })),
      },
    };
  }

  private audit(
    context: RequestContext,
    activity: string,
    operationType: AuditEventDraft['operationType'],
    user: DirectoryUser,
    method: string,
    before: string | null,
    after: string | null,
  ): AuditEventDraft {
    const change = {
      displayName: method,
      oldValue: before === null ? null : JSON.stringify(before),
      newValue: after === null ? null : JSON.stringify(after),
    };
    return auditDraft(context, {
      activity,
      category: 'UserManagement',
      service: 'Authentication Methods',
      operationType,
      targets: [userTarget(user, [change])],
    });
  }

  private async target(user: DirectoryUser): Promise<AuthorizationTarget> {
    return { id: user.id, isAdministrator: (await this.deps.roles.rolesOf(user.id)).length > 0 };
  }

  private async readable(
    context: RequestContext,
    userRef: string,
  ): Promise<{ user: DirectoryUser; access: MethodReadAccess }> {
    const user = await findUserOrFail(this.deps.users, userRef);
    return { user, access: authorizeMethodRead(context.principal, await this.target(user)) };
  }

  private async writable(
    context: RequestContext,
    userRef: string,
    operation: 'add' | 'update' | 'delete',
  ): Promise<{ user: DirectoryUser }> {
    const user = await findUserOrFail(this.deps.users, userRef);
    authorizeMethodWrite(context.principal, await this.target(user), operation);
    return { user };
  }
}

function phonesOf(methods: AuthenticationMethodSet, access: MethodReadAccess): PhoneMethod[] {
  // Graph lists mobile before alternateMobile before office.
  return phoneTypes.flatMap((type) => {
    const number = methods.phones[type];
    if (!number) return [];
    return [
      {
        id: phoneMethodIds[type],
        phoneNumber: access === 'masked' ? maskPhoneNumber(number) : number,
        phoneType: type,
        smsSignInState: 'notSupported' as const,
      },
    ];
  });
}

function emailsOf(methods: AuthenticationMethodSet): EmailMethod[] {
  return methods.email ? [{ id: emailMethodId, emailAddress: methods.email }] : [];
}

function passwordMethodOf(user: DirectoryUser): PasswordMethod {
  return { id: passwordMethodId, password: null, createdDateTime: user.createdDateTime };
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError('invalid_request', {}, 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

function parsePhoneBody(body: unknown, mode: 'add' | 'update'): { phoneNumber: string; phoneType?: PhoneType } {
  const { phoneNumber, phoneType, id, smsSignInState, '@odata.type': _type, ...rest } = asObject(body);
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined)
    throw new DomainError(
      'unknown_property',
      { property: unknown },
      `Property '${unknown}' does not exist on type 'microsoft.graph.phoneAuthenticationMethod'.`,
    );
  if (id !== undefined) throw new DomainError('read_only_property', { property: 'id' });
  if (smsSignInState !== undefined) throw new DomainError('read_only_property', { property: 'smsSignInState' });
  if (phoneNumber === undefined) throw new DomainError('property_required', { property: 'phoneNumber' });
  if (typeof phoneNumber !== 'string') throw new DomainError('invalid_property_value', { property: 'phoneNumber' });
  const problem = describePhoneNumberProblem(phoneNumber);
  if (problem)
    throw new DomainError(
      'invalid_property_value',
      { property: 'phoneNumber' },
      `Invalid value specified for property 'phoneNumber': ${problem.message}`,
    );
  if (phoneType === undefined) return { phoneNumber };
  if (typeof phoneType !== 'string' || !(phoneTypes as readonly string[]).includes(phoneType)) {
    throw new DomainError(
      'invalid_property_value',
      { property: 'phoneType' },
      "Invalid value specified for property 'phoneType': expected 'mobile', 'alternateMobile' or 'office'.",
    );
  }
  if (mode === 'add' || phoneType) return { phoneNumber, phoneType: phoneType as PhoneType };
  return { phoneNumber };
}

function parseEmailBody(body: unknown): string {
  const { emailAddress, id, '@odata.type': _type, ...rest } = asObject(body);
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined)
    throw new DomainError(
      'unknown_property',
      { property: unknown },
      `Property '${unknown}' does not exist on type 'microsoft.graph.emailAuthenticationMethod'.`,
    );
  if (id !== undefined) throw new DomainError('read_only_property', { property: 'id' });
  if (emailAddress === undefined) throw new DomainError('property_required', { property: 'emailAddress' });
  if (typeof emailAddress !== 'string' || !isValidAlternateEmail(emailAddress)) {
    throw new DomainError(
      'invalid_property_value',
      { property: 'emailAddress' },
      "Invalid value specified for property 'emailAddress'.",
    );
  }
  return emailAddress;
}

function parseResetBody(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  const { newPassword, ...rest } = asObject(body);
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined)
    throw new DomainError(
      'unknown_property',
      { property: unknown },
      `Property '${unknown}' is not a parameter of resetPassword.`,
    );
  if (newPassword === undefined || newPassword === null) return undefined;
  if (typeof newPassword !== 'string')
    throw new DomainError(
      'invalid_property_value',
      { property: 'newPassword' },
      "Invalid value specified for property 'newPassword'.",
    );
  return newPassword;
}

function writebackUnavailable(): DomainError {
  return new DomainError(
    'invalid_request',
    {},
    'This user is synced from the on-premises directory and password writeback is off or the directory is unavailable, so the password was not changed.',
  );
}
