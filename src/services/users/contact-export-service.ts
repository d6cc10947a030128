import type { RequestContext } from '../../domain/audit.js';
import {
  type AuthenticationMethodSet,
  evaluateSsprReadiness,
  noAuthenticationMethods,
} from '../../domain/authentication-methods.js';
import { authorizeContactExport, csvLine, exportColumns, spreadsheetSafe } from '../../domain/contact-import.js';
import { registrationDetailsOf } from '../../domain/registration-report.js';
import type { SsprPolicy } from '../../domain/sspr-policy.js';
import type { DirectoryUser } from '../../domain/user.js';
import type { UserFilter, UserListQuery } from '../../domain/user-query.js';

export interface ContactExportDependencies {
  readonly users: { list(query: UserListQuery): Promise<DirectoryUser[]> };
  readonly methods: { loadMany(userIds: readonly string[]): Promise<Map<string, AuthenticationMethodSet>> };
  readonly roles: { administratorIds(): Promise<Set<string>> };
  readonly policy: { current(): Promise<SsprPolicy> };
}

const pageSize = 500;

/**
 * `sspr user export` and `GET /api/admin/v1/users/export`: every user's importable columns plus registration status,
 * as CSV lines (header first, each line ending in CRLF), one page of users at a time so that no directory is ever
 * held in memory. Cells are spreadsheet-safe (a leading `'` before `=`, `+`, `-`, `@`); no secret is in any column.
 */
export class ContactExportService {
  constructor(private readonly deps: ContactExportDependencies) {}

  authorize(context: RequestContext): void {
    authorizeContactExport(context.principal);
  }

  async *exportCsv(context: RequestContext, options: { readonly filter?: UserFilter } = {}): AsyncGenerator<string> {
    this.authorize(context);
    const [admins, policy] = await Promise.all([this.deps.roles.administratorIds(), this.deps.policy.current()]);
    yield `${csvLine(exportColumns)}\r\n`;
    let afterId: string | undefined;
    for (;;) {
      const users = await this.deps.users.list({
        top: pageSize,
        ...(options.filter && { filter: options.filter }),
        ...(afterId !== undefined && { after: { sortValue: null, id: afterId } }),
      });
      const page = users.slice(0, pageSize);
      const methods = await this.deps.methods.loadMany(page.map((user) => user.id));
      const lines: string[] = [];
      for (const user of page) {
        const isAdmin = admins.has(user.id);
        const readiness = evaluateSsprReadiness({
          user,
          methods: methods.get(user.id) ?? noAuthenticationMethods,
          tenantPolicy: policy,
          isAdministrator: isAdmin,
        });
        const details = registrationDetailsOf(user, readiness, isAdmin);
        const cells: Record<(typeof exportColumns)[number], string | null> = {
          userPrincipalName: user.userPrincipalName,
          id: user.id,
          displayName: user.displayName,
          givenName: user.givenName,
          surname: user.surname,
          mail: user.mail,
          mailNickname: user.mailNickname,
          jobTitle: user.jobTitle,
          officeLocation: user.officeLocation,
          preferredLanguage: user.preferredLanguage,
          mobilePhone: user.mobilePhone,
          businessPhones: user.businessPhones.join(';'),
          otherMails: user.otherMails.join(';'),
          onPremisesSyncEnabled: user.onPremisesSyncEnabled ? 'true' : 'false',
          isSsprRegistered: String(details.isSsprRegistered),
          isSsprEnabled: String(details.isSsprEnabled),
          isSsprCapable: String(details.isSsprCapable),
          isAdmin: String(details.isAdmin),
          methodsRegistered: details.methodsRegistered.join(';'),
        };
        lines.push(`${csvLine(exportColumns.map((column) => spreadsheetSafe(cells[column] ?? '')))}\r\n`);
        afterId = user.id;
      }
      if (lines.length > 0) yield lines.join('');
      if (users.length <= pageSize) return;
    }
  }
}
