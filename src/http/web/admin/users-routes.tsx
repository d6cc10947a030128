import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../../../domain/errors.js';
import { generateCompliantPassword } from '../../../domain/password-policy.js';
import { type RegistrationFilterClause, unusableDataReasons } from '../../../domain/registration-report.js';
import { isValidUserPrincipalName, parseUserChanges, type UserChanges } from '../../../domain/user.js';
import type { UserFilter, UserPageCursor } from '../../../domain/user-query.js';
import { sendPage } from '../page.js';
import {
  type AdminGuardOptions,
  type AdminServices,
  adminBasePath,
  queryText,
  requireAdmin,
  seeOther,
} from './admin-kit.js';
import {
  type ContactFields,
  type NewUserErrors,
  NewUserPage,
  UserCreatedPage,
  UserDetailPage,
  type UserListFilters,
  type UserListRow,
  UsersPage,
  userPath,
} from './users-pages.js';

export const usersPageSize = 25;

export interface UsersRouteOptions {
  readonly guard: AdminGuardOptions;
  readonly services: () => AdminServices;
  readonly verifiedDomains: () => readonly string[];
}

/**
 * Where a page of the list starts: the last row's display name and id (the store's keyset cursor; never OFFSET),
 * as base64url JSON in the link. Anything malformed starts from the top.
 */
export function encodeCursor(cursor: UserPageCursor): string {
  return Buffer.from(JSON.stringify([cursor.sortValue, cursor.id])).toString('base64url');
}

export function decodeCursor(text: string): UserPageCursor | undefined {
  if (!text || text.length > 1024) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      (value[0] === null || typeof value[0] === 'string') &&
      typeof value[1] === 'string'
    ) {
      return { sortValue: value[0], id: value[1] };
    }
  } catch {
    // Not a cursor of ours.
  }
  return undefined;
}

/**
 * The search box: one text matched as a case-insensitive prefix, through the Graph list query's `startsWith`
 * clauses ORed, on the properties its shape can match (fewer comparisons per row over a large directory):
 * - with an `@`: user ID, mail, an alternate email;
 * - starting with `+`, `(` or a digit: mobile phone, office phone;
 * - anything else: display name, given name, surname, user ID, mail.
 */
export function searchFilter(q: string): UserFilter {
  const startsWith = (
    property: 'displayName' | 'givenName' | 'surname' | 'userPrincipalName' | 'mail' | 'mobilePhone',
  ) => ({ kind: 'startsWith', property, value: q }) as const;
  if (q.includes('@')) {
    return {
      kind: 'or',
      clauses: [
        startsWith('userPrincipalName'),
        startsWith('mail'),
        { kind: 'any', property: 'otherMails', operator: 'startsWith', value: q },
      ],
    };
  }
  if (/^[+(\d]/.test(q)) {
    return {
      kind: 'or',
      clauses: [
        startsWith('mobilePhone'),
        { kind: 'any', property: 'businessPhones', operator: 'startsWith', value: q },
      ],
    };
  }
  return {
    kind: 'or',
    clauses: [
      startsWith('displayName'),
      startsWith('givenName'),
      startsWith('surname'),
      startsWith('userPrincipalName'),
      startsWith('mail'),
    ],
  };
}

function filtersOf(request: FastifyRequest): UserListFilters {
  const pick = <T extends string>(name: string, allowed: readonly T[]): T | '' => {
    const value = queryText(request, name, 32);
    return (allowed as readonly string[]).includes(value) ? (value as T) : '';
  };
  return {
    q: queryText(request, 'q', 128).trim(),
    source: pick('source', ['cloud', 'synced']),
    capable: pick('capable', ['yes', 'no']),
    registered: pick('registered', ['yes', 'no']),
    unusable: pick('unusable', ['any', ...unusableDataReasons]),
  };
}

function listHref(filters: UserListFilters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filters, ...extra })) if (value) params.set(key, value);
  const text = params.toString();
  return `${adminBasePath}/users${text ? `?${text}` : ''}`;
}

function contactOf(user: {
  businessPhones: readonly string[];
  mobilePhone: string | null;
  otherMails: readonly string[];
}): ContactFields {
  return {
    officePhone: user.businessPhones[0] ?? '',
    mobilePhone: user.mobilePhone ?? '',
    alternateEmails: user.otherMails.join('\n'),
  };
}

/** `/admin/users`, `/admin/users/new`, `/admin/users/{id}` and its contact form. */
export async function usersRoutes(app: FastifyInstance, options: UsersRouteOptions): Promise<void> {
  const { guard } = options;

  app.get(
    `${adminBasePath}/users`,
    requireAdmin(guard, async (request, reply, view) => {
      const services = options.services();
      const filters = filtersOf(request);
      const context = view.session.context;
      const paged = queryText(request, 'after', 1024) !== '';
      let rows: UserListRow[];
      let nextHref: string | null = null;
      let note: string | null = null;
      if (filters.capable || filters.registered || filters.unusable) {
        // Readiness is computed per user, not stored: the registration report scans users in id order, at most
        // 5,000 per request, and returns what matched (possibly fewer than a page) with where to go on.
        const clauses: RegistrationFilterClause[] = [];
        if (filters.capable)
          clauses.push({ kind: 'flag', property: 'isSsprCapable', value: filters.capable === 'yes' });
        if (filters.registered)
          clauses.push({ kind: 'flag', property: 'isSsprRegistered', value: filters.registered === 'yes' });
        if (filters.unusable) clauses.push({ kind: 'unusableData', reason: filters.unusable });
        const after = queryText(request, 'after', 64);
        const page = await services.reports.userRegistrationDetails(context, {
          filter: clauses,
          top: usersPageSize,
          ...(after && { afterId: after }),
        });
        rows = page.value.map((entry) => ({
          id: entry.id,
          displayName: entry.userDisplayName,
          userPrincipalName: entry.userPrincipalName,
          synced: null,
          accountEnabled: null,
          mobilePhone: null,
        }));
        if (page.nextAfterId) nextHref = listHref(filters, { after: page.nextAfterId });
        note =
          'The "Can reset now", "Registered" and "Unusable data" filters are computed per user: each page scans at most 5,000 users, so a page may hold fewer matches. Search and source are not applied with them.';
      } else {
        const clauses: UserFilter[] = [];
        if (filters.q) clauses.push(searchFilter(filters.q));
        if (filters.source === 'synced') clauses.push({ kind: 'eq', property: 'onPremisesSyncEnabled', value: true });
        if (filters.source === 'cloud') clauses.push({ kind: 'ne', property: 'onPremisesSyncEnabled', value: true });
        const after = decodeCursor(queryText(request, 'after', 1024));
        const page = await services.users.listUsers(context, {
          top: usersPageSize,
          orderBy: { property: 'displayName', direction: 'asc' },
          ...(clauses.length > 0 && {
            filter: clauses.length === 1 ? (clauses[0] as UserFilter) : { kind: 'and', clauses },
          }),
          ...(after && { after }),
        });
        rows = page.users.map((user) => ({
          id: user.id,
          displayName: user.displayName,
          userPrincipalName: user.userPrincipalName,
          synced: user.onPremisesSyncEnabled === true,
          accountEnabled: user.accountEnabled,
          mobilePhone: user.mobilePhone,
        }));
        if (page.next) nextHref = listHref(filters, { after: encodeCursor(page.next) });
      }
      return sendPage(
        reply,
        <UsersPage
          view={view}
          filters={filters}
          rows={rows}
          nextHref={nextHref}
          firstHref={paged ? listHref(filters) : null}
          note={note}
        />,
      );
    }),
  );

  const domain = () => options.verifiedDomains()[0] ?? 'contoso.com';

  app.get(
    `${adminBasePath}/users/new`,
    requireAdmin(guard, async (_request, reply, view) =>
      sendPage(
        reply,
        <NewUserPage
          view={view}
          fields={{ displayName: '', userPrincipalName: '', passwordMode: 'generate', forceChange: true }}
          errors={{}}
          domain={domain()}
        />,
      ),
    ),
  );

  app.post(
    `${adminBasePath}/users/new`,
    requireAdmin(guard, async (_request, reply, view, form) => {
      const fields = {
        displayName: form.text('displayName', 256).trim(),
        userPrincipalName: form.text('userPrincipalName', 256).trim(),
        passwordMode: form.text('passwordMode', 16) === 'type' ? ('type' as const) : ('generate' as const),
        forceChange: form.text('forceChange', 4) === '1',
      };
      const typed = form.text('password', 256);
      const errors: NewUserErrors = {};
      if (!fields.displayName) errors.displayName = 'Enter a display name.';
      if (!isValidUserPrincipalName(fields.userPrincipalName))
        errors.userPrincipalName = `Enter a user principal name like adele@${domain()}.`;
      if (fields.passwordMode === 'type' && typed.length === 0)
        errors.password = 'Type a password, or choose to generate one.';
      const showForm = (status: number) =>
        sendPage(reply, <NewUserPage view={view} fields={fields} errors={errors} domain={domain()} />, status);
      if (Object.keys(errors).length > 0) return showForm(400);
      const password = fields.passwordMode === 'type' ? typed : generateCompliantPassword();
      const changes: UserChanges = {
        accountEnabled: true,
        displayName: fields.displayName,
        userPrincipalName: fields.userPrincipalName,
        mailNickname: (fields.userPrincipalName.split('@')[0] ?? '').slice(0, 64),
        passwordProfile: { password, forceChangePasswordNextSignIn: fields.forceChange },
      };
      try {
        const user = await options
          .services()
          .users.createUser(view.session.context, parseUserChanges(changes, 'create'));
        return sendPage(
          reply,
          <UserCreatedPage
            view={view}
            user={user}
            password={fields.passwordMode === 'generate' ? password : null}
            forceChange={fields.forceChange}
          />,
          201,
        );
      } catch (error) {
        if (!(error instanceof DomainError) || error.code === 'permission_denied') throw error;
        if (error.code === 'duplicate_value')
          errors.userPrincipalName = 'Another user already has this user principal name.';
        else if (error.code === 'password_policy_violation') errors.password = error.message;
        else if (error.params.property === 'userPrincipalName') errors.userPrincipalName = error.message;
        else errors.form = error.message;
        return showForm(400);
      }
    }),
  );

  app.get(
    `${adminBasePath}/users/:id`,
    requireAdmin(guard, async (request, reply, view) => {
      const { id } = request.params as { id: string };
      const user = await options.services().users.getUser(view.session.context, id);
      return sendPage(
        reply,
        <UserDetailPage
          view={view}
          user={user}
          contact={contactOf(user)}
          error={null}
          saved={queryText(request, 'saved') === '1'}
        />,
      );
    }),
  );

  app.post(
    `${adminBasePath}/users/:id/contact`,
    requireAdmin(guard, async (request, reply, view, form) => {
      const { id } = request.params as { id: string };
      const services = options.services();
      const user = await services.users.getUser(view.session.context, id);
      const submitted: ContactFields = {
        officePhone: form.text('officePhone', 64).trim(),
        mobilePhone: form.text('mobilePhone', 64).trim(),
        alternateEmails: form.text('alternateEmails', 4096),
      };
      const otherMails = submitted.alternateEmails
        .split(/[\s,;]+/)
        .map((entry) => entry.trim())
        .filter(Boolean);
      // Only what changed is sent: an unchanged on-premises field is never written (nor refused).
      const changes: UserChanges = {};
      if (!user.onPremisesSyncEnabled && submitted.officePhone !== (user.businessPhones[0] ?? ''))
        changes.businessPhones = submitted.officePhone ? [submitted.officePhone] : [];
      if (submitted.mobilePhone !== (user.mobilePhone ?? '')) changes.mobilePhone = submitted.mobilePhone || null;
      if (otherMails.join('\n') !== user.otherMails.join('\n')) changes.otherMails = otherMails;
      if (Object.keys(changes).length === 0) return seeOther(reply, `${userPath(user.id)}?saved=1`);
      try {
        await services.users.updateUser(view.session.context, user.id, parseUserChanges(changes, 'update'));
      } catch (error) {
        if (!(error instanceof DomainError) || error.code === 'permission_denied') throw error;
        return sendPage(
          reply,
          <UserDetailPage
            view={view}
            user={user}
            contact={{
              ...submitted,
              officePhone: user.onPremisesSyncEnabled ? (user.businessPhones[0] ?? '') : submitted.officePhone,
            }}
            error={error.message}
            saved={false}
          />,
          400,
        );
      }
      return seeOther(reply, `${userPath(user.id)}?saved=1`);
    }),
  );
}
