import { type Command, Option } from 'commander';
import { RemoteGraph } from '../../connectors/remote/remote-graph.js';
import { emailMethodId, type PhoneType, phoneMethodIds, phoneTypes } from '../../domain/authentication-methods.js';
import { DomainError } from '../../domain/errors.js';
import { generateCompliantPassword } from '../../domain/password-policy.js';
import { allUserProperties, type DirectoryUser, parseUserChanges, type UserProperty } from '../../domain/user.js';
import { defaultPageSize, maxPageSize, type UserListQuery } from '../../domain/user-query.js';
import { parseSelect, parseUserFilter } from '../../http/graph/odata/index.js';
import {
  type CliIo,
  list,
  operatorContext,
  outputOption,
  type StoreFlags,
  withContainer,
  withStoreOptions,
} from '../command-context.js';
import { formatOutput, type OutputFormat } from '../output.js';

type UserRecord = Partial<Record<UserProperty, unknown>>;
type MethodRecord = Record<string, unknown>;
type MethodKind = 'phone' | 'email';

/**
 * Where `sspr user ...` reads and writes: the local store (default, as the local operator), or, with
 * `--remote`, the Graph API of the server `sspr login` signed in to (as the signed-in user).
 */
interface UserBackend {
  getUser(id: string, properties: readonly UserProperty[]): Promise<UserRecord>;
  listUsers(query: { filter?: string; limit: number; properties: readonly UserProperty[] }): Promise<UserRecord[]>;
  createUser(body: Record<string, unknown>): Promise<DirectoryUser>;
  updateUser(id: string, body: Record<string, unknown>): Promise<void>;
  deleteUser(id: string): Promise<void>;
  listMethods(kind: MethodKind, id: string): Promise<MethodRecord[]>;
  getMethod(kind: MethodKind, id: string, methodId: string): Promise<MethodRecord>;
  addMethod(kind: MethodKind, id: string, body: MethodRecord): Promise<MethodRecord>;
  updateMethod(kind: MethodKind, id: string, methodId: string, body: MethodRecord): Promise<void>;
  removeMethod(kind: MethodKind, id: string, methodId: string): Promise<void>;
}

interface BackendFlags extends StoreFlags {
  remote?: boolean;
}

async function withUserBackend<T>(
  flags: BackendFlags,
  io: CliIo,
  run: (backend: UserBackend) => Promise<T>,
): Promise<T> {
  if (flags.remote) {
    if (flags.config !== undefined || flags.dataDir !== undefined || flags.databaseUrl !== undefined)
      throw new DomainError('invalid_request', {}, '--remote works on the signed-in server, not on a local store');
    return run(remoteBackend(await RemoteGraph.open(io.env)));
  }
  return withContainer(flags, io, async (container) => {
    const context = operatorContext();
    const methods = container.authenticationMethods;
    return run({
      getUser: (id) => container.users.getUser(context, id),
      async listUsers({ filter, limit }) {
        const parsed = filter === undefined ? undefined : parseUserFilter(filter);
        const users: UserRecord[] = [];
        let query: UserListQuery = {
          top: Math.min(maxPageSize, limit, defaultPageSize * 5),
          ...(parsed && { filter: parsed }),
        };
        for (;;) {
          const page = await container.users.listUsers(context, query);
          for (const found of page.users) if (users.length < limit) users.push(found);
          if (!page.next || users.length >= limit) return users;
          query = { ...query, after: page.next };
        }
      },
      createUser: (body) => container.users.createUser(context, parseUserChanges(body, 'create')),
      updateUser: (id, body) => container.users.updateUser(context, id, parseUserChanges(body, 'update')),
      deleteUser: (id) => container.users.deleteUser(context, id),
      listMethods: async (kind, id) =>
        (kind === 'phone'
          ? await methods.listPhoneMethods(context, id)
          : await methods.listEmailMethods(context, id)) as unknown as MethodRecord[],
      getMethod: async (kind, id, methodId) =>
        (kind === 'phone'
          ? await methods.getPhoneMethod(context, id, methodId)
          : await methods.getEmailMethod(context, id, methodId)) as unknown as MethodRecord,
      addMethod: async (kind, id, body) =>
        (kind === 'phone'
          ? await methods.addPhoneMethod(context, id, body)
          : await methods.addEmailMethod(context, id, body)) as unknown as MethodRecord,
      updateMethod: (kind, id, methodId, body) =>
        kind === 'phone'
          ? methods.updatePhoneMethod(context, id, methodId, body)
          : methods.updateEmailMethod(context, id, methodId, body),
      removeMethod: (kind, id, methodId) =>
        kind === 'phone'
          ? methods.deletePhoneMethod(context, id, methodId)
          : methods.deleteEmailMethod(context, id, methodId),
    } satisfies UserBackend);
  });
}

const methodPath = (kind: MethodKind) => (kind === 'phone' ? 'phoneMethods' : 'emailMethods');
const userPath = (id: string) => `/users/${encodeURIComponent(id)}`;

function remoteBackend(graph: RemoteGraph): UserBackend {
  const query = (params: Record<string, string | undefined>) => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) if (value !== undefined) search.set(name, value);
    return search.toString().replace(/%24/g, '$').replace(/%2C/g, ',');
  };
  return {
    async getUser(id, properties) {
      // Always `$select` what was asked for: v1.0 leaves otherMails out otherwise (the Get-MgUser trap).
      return (await graph.call('GET', `${userPath(id)}?${query({ $select: properties.join(',') })}`))
        .body as UserRecord;
    },
    async listUsers({ filter, limit, properties }) {
      const users: UserRecord[] = [];
      let next: string | undefined = `/users?${query({
        $select: properties.join(','),
        $filter: filter,
        $top: String(Math.min(maxPageSize, limit)),
      })}`;
      while (next !== undefined && users.length < limit) {
        const page = (await graph.call('GET', next)).body as { value?: UserRecord[]; '@odata.nextLink'?: string };
        for (const found of page.value ?? []) if (users.length < limit) users.push(found);
        next = page['@odata.nextLink'];
      }
      return users;
    },
    async createUser(body) {
      parseUserChanges(body, 'create');
      const created = (await graph.call('POST', '/users', body)).body as unknown as DirectoryUser;
      return created;
    },
    async updateUser(id, body) {
      parseUserChanges(body, 'update');
      await graph.call('PATCH', userPath(id), body);
    },
    async deleteUser(id) {
      await graph.call('DELETE', userPath(id));
    },
    async listMethods(kind, id) {
      const answer = await graph.call('GET', `${userPath(id)}/authentication/${methodPath(kind)}`);
      return ((answer.body as { value?: MethodRecord[] }).value ?? []).map(withoutODataKeys);
    },
    async getMethod(kind, id, methodId) {
      const path = `${userPath(id)}/authentication/${methodPath(kind)}/${encodeURIComponent(methodId)}`;
      return withoutODataKeys((await graph.call('GET', path)).body ?? {});
    },
    async addMethod(kind, id, body) {
      const answer = await graph.call('POST', `${userPath(id)}/authentication/${methodPath(kind)}`, body);
      return withoutODataKeys(answer.body ?? {});
    },
    async updateMethod(kind, id, methodId, body) {
      const path = `${userPath(id)}/authentication/${methodPath(kind)}/${encodeURIComponent(methodId)}`;
      await graph.call('PATCH', path, body);
    },
    async removeMethod(kind, id, methodId) {
      const path = `${userPath(id)}/authentication/${methodPath(kind)}/${encodeURIComponent(methodId)}`;
      await graph.call('DELETE', path);
    },
  };
}

function withoutODataKeys(record: MethodRecord): MethodRecord {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !key.startsWith('@odata.')));
}

/** AzureAD (Azure AD Graph) property names accepted in `--property`, shown under the name asked for. */
const legacyProperties: Readonly<Record<string, { property: UserProperty; value?: (user: UserRecord) => unknown }>> = {
  objectId: { property: 'id' },
  mobile: { property: 'mobilePhone' },
  telephoneNumber: {
    property: 'businessPhones',
    value: (user) => (Array.isArray(user.businessPhones) ? (user.businessPhones[0] ?? null) : null),
  },
  physicalDeliveryOfficeName: { property: 'officeLocation' },
  dirSyncEnabled: { property: 'onPremisesSyncEnabled' },
  immutableId: { property: 'onPremisesImmutableId' },
  lastDirSyncTime: { property: 'onPremisesLastSyncDateTime' },
};

interface Column {
  readonly label: string;
  readonly property: UserProperty;
  readonly value: (user: UserRecord) => unknown;
}

/** `--property` / `--select`: Graph names and AzureAD names, any case; each column is what was asked for. */
function columnsFor(text: string | undefined, fallback: readonly UserProperty[]): Column[] {
  // `*` is every Graph property, once; the AzureAD names are spellings for some of them.
  const names =
    text?.trim() === '*'
      ? allUserProperties
      : (parseSelect(text, [...allUserProperties, ...Object.keys(legacyProperties)]) ?? fallback);
  return names.map((name) => {
    const legacy = legacyProperties[name];
    if (legacy)
      return { label: name, property: legacy.property, value: legacy.value ?? ((user) => user[legacy.property]) };
    const property = name as UserProperty;
    return { label: name, property, value: (user) => user[property] ?? null };
  });
}

const rowOf = (user: UserRecord, columns: readonly Column[]) =>
  Object.fromEntries(columns.map((column) => [column.label, column.value(user)]));
const propertiesOf = (columns: readonly Column[]) => [...new Set(columns.map((column) => column.property))];

/**
 * One value from several spellings of the same parameter (Graph PowerShell's and AzureAD's names, or the
 * positional argument): giving two different ones is a mistake worth saying.
 */
function oneOf(values: Readonly<Record<string, string | undefined>>, what: string): string | undefined {
  const given = Object.entries(values).filter(([, value]) => value !== undefined) as [string, string][];
  const distinct = new Set(given.map(([, value]) => value));
  if (distinct.size > 1)
    throw new DomainError(
      'invalid_request',
      {},
      `${given.map(([name]) => name).join(' and ')} both give ${what}: use one`,
    );
  return given[0]?.[1];
}

function userIdFrom(positional: string | undefined, flags: { userId?: string; objectId?: string }): string {
  const id = oneOf(
    { 'the argument': positional, '--user-id': flags.userId, '--object-id': flags.objectId },
    'the user',
  );
  if (id === undefined)
    throw new DomainError('invalid_request', {}, 'which user? give it as an argument, --user-id or --object-id');
  return id;
}

const userOptions = (command: Command) =>
  command
    .argument('[user]', 'user principal name or id')
    .option('--user-id <user>', 'user principal name or id (Graph PowerShell -UserId)')
    .option('--object-id <user>', 'user principal name or object id (AzureAD -ObjectId)');

const remoteOption = (command: Command) =>
  command.option('--remote', 'act on the server `sspr login` signed in to, through its Graph API');

const nullIfEmpty = (value: string) => (value === '' ? null : value);

/** Contact and profile changes from the cmdlets' parameter names; `""` clears. */
function changesFrom(flags: Record<string, string | undefined>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const mobile = oneOf({ '--mobile-phone': flags.mobilePhone, '--mobile': flags.mobile }, 'the mobile phone');
  const office = oneOf(
    { '--business-phones': flags.businessPhones, '--telephone-number': flags.telephoneNumber },
    'the office phone',
  );
  const location = oneOf(
    { '--office-location': flags.officeLocation, '--physical-delivery-office-name': flags.physicalDeliveryOfficeName },
    'the office location',
  );
  if (mobile !== undefined) body.mobilePhone = nullIfEmpty(mobile);
  if (office !== undefined) body.businessPhones = list(office);
  if (flags.otherMails !== undefined) body.otherMails = list(flags.otherMails);
  if (flags.displayName !== undefined) body.displayName = flags.displayName;
  if (flags.jobTitle !== undefined) body.jobTitle = nullIfEmpty(flags.jobTitle);
  if (location !== undefined) body.officeLocation = nullIfEmpty(location);
  return body;
}

const printResult = (io: CliIo, format: OutputFormat, text: string, json: Record<string, unknown>) =>
  io.stdout(format === 'json' ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);

/**
 * `sspr user get|list|update|create|delete` and the authentication method commands, with the parameter
 * names of the cmdlets they replace (docs/cli.md has the side-by-side table).
 */
export function registerUserCommands(user: Command, io: CliIo): void {
  remoteOption(
    userOptions(
      withStoreOptions(
        user.command('get').description('show one user (Get-MgUser -UserId, Get-AzureADUser -ObjectId)'),
      ),
    ),
  )
    .option('--property <list>', 'properties to show, comma-separated (Get-MgUser -Property; AzureAD names too)')
    .option('--select <list>', 'same as --property')
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (positional: string | undefined, flags) => {
      const id = userIdFrom(positional, flags);
      const selection = oneOf({ '--property': flags.property, '--select': flags.select }, 'the properties');
      const columns = columnsFor(selection, [
        'businessPhones',
        'displayName',
        'givenName',
        'jobTitle',
        'mail',
        'mobilePhone',
        'officeLocation',
        'preferredLanguage',
        'surname',
        'userPrincipalName',
        'id',
      ]);
      await withUserBackend(flags, io, async (backend) => {
        const found = await backend.getUser(id, propertiesOf(columns));
        const labels = columns.map((column) => column.label);
        io.stdout(`${formatOutput(flags.output, [rowOf(found, columns)], labels, true)}\n`);
      });
    });

  remoteOption(
    withStoreOptions(user.command('list').description('list users (Get-MgUser -All / -Filter, Get-AzureADUser -All)')),
  )
    .option('--property <list>', 'properties to show, comma-separated (Get-MgUser -Property; AzureAD names too)')
    .option('--select <list>', 'same as --property')
    .option('--filter <odata>', 'OData filter, e.g. "startswith(displayName,\'A\')"')
    .option('--top <n>', 'stop after n users', (value) => Number(value))
    .option('--all', 'every user (the default without --top)')
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (flags) => {
      const selection = oneOf({ '--property': flags.property, '--select': flags.select }, 'the properties');
      const columns = columnsFor(selection, ['displayName', 'userPrincipalName', 'id']);
      if (flags.all && flags.top !== undefined)
        throw new DomainError('invalid_request', {}, '--all and --top contradict each other: use one');
      const limit = flags.top === undefined ? Number.POSITIVE_INFINITY : flags.top;
      if (!(limit >= 1)) throw new DomainError('invalid_request', {}, '--top must be a positive number');
      // A bad filter is refused before any store is opened or request sent.
      if (flags.filter !== undefined) parseUserFilter(flags.filter);
      await withUserBackend(flags, io, async (backend) => {
        const users = await backend.listUsers({
          ...(flags.filter !== undefined && { filter: flags.filter }),
          limit,
          properties: propertiesOf(columns),
        });
        const rows = users.map((found) => rowOf(found, columns));
        io.stdout(
          `${formatOutput(
            flags.output,
            rows,
            columns.map((column) => column.label),
          )}\n`,
        );
      });
    });

  remoteOption(
    userOptions(
      withStoreOptions(
        user.command('update').alias('set').description('change contact info (Update-MgUser, Set-AzureADUser)'),
      ),
    ),
  )
    .option('--mobile-phone <value>', 'Mobile phone (Update-MgUser -MobilePhone); "" clears it')
    .option('--mobile <value>', 'same as --mobile-phone (Set-AzureADUser -Mobile)')
    .option('--business-phones <value>', 'Office phone, at most one (Update-MgUser -BusinessPhones); "" clears it')
    .option('--telephone-number <value>', 'same as --business-phones (Set-AzureADUser -TelephoneNumber)')
    .option('--other-mails <list>', 'Alternate email addresses, comma-separated (-OtherMails); "" clears them')
    .option('--display-name <value>', 'display name')
    .option('--job-title <value>', 'job title; "" clears it')
    .option('--office-location <value>', 'office location; "" clears it')
    .option('--physical-delivery-office-name <value>', 'same as --office-location (AzureAD name)')
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (positional: string | undefined, flags) => {
      const id = userIdFrom(positional, flags);
      const body = changesFrom(flags);
      if (Object.keys(body).length === 0)
        throw new DomainError('invalid_request', {}, 'nothing to change: give at least one property option');
      parseUserChanges(body, 'update');
      await withUserBackend(flags, io, async (backend) => {
        await backend.updateUser(id, body);
        printResult(io, flags.output, `updated ${id}: ${Object.keys(body).join(', ')}`, {
          updated: id,
          properties: Object.keys(body),
        });
      });
    });

  remoteOption(withStoreOptions(user.command('create').description('create a cloud user (New-MgUser)')))
    .requiredOption('--user-principal-name <upn>', 'sign-in name, e.g. ada@example.com')
    .requiredOption('--display-name <name>', 'display name')
    .option('--password <password>', 'initial password (default: generated and printed once)')
    .option('--mobile-phone <value>', 'Mobile phone')
    .option('--mobile <value>', 'same as --mobile-phone (AzureAD name)')
    .option('--business-phones <value>', 'Office phone')
    .option('--telephone-number <value>', 'same as --business-phones (AzureAD name)')
    .option('--other-mails <list>', 'Alternate email addresses, comma-separated')
    .option('--json', 'print the created user as JSON (same as --output json)')
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (flags) => {
      const generated = flags.password === undefined ? generateCompliantPassword() : undefined;
      const { displayName: _ignored, ...contact } = changesFrom({ ...flags, displayName: undefined });
      const body = {
        userPrincipalName: flags.userPrincipalName,
        displayName: flags.displayName,
        accountEnabled: true,
        mailNickname:
          String(flags.userPrincipalName)
            .split('@')[0]
            ?.replace(/[^A-Za-z0-9._-]/g, '') || 'user',
        passwordProfile: { password: flags.password ?? generated, forceChangePasswordNextSignIn: true },
        ...contact,
      };
      parseUserChanges(body, 'create');
      await withUserBackend(flags, io, async (backend) => {
        const created = await backend.createUser(body);
        if (flags.json || flags.output === 'json')
          io.stdout(`${JSON.stringify({ ...created, ...(generated && { initialPassword: generated }) }, null, 2)}\n`);
        else {
          io.stdout(`created ${created.userPrincipalName} (${created.id})\n`);
          if (generated) io.stdout(`initial password (shown once, must be changed at first sign-in): ${generated}\n`);
        }
      });
    });

  remoteOption(
    userOptions(
      withStoreOptions(user.command('delete').description('delete a user (Remove-MgUser, Remove-AzureADUser)')),
    ),
  )
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (positional: string | undefined, flags) => {
      const id = userIdFrom(positional, flags);
      await withUserBackend(flags, io, async (backend) => {
        await backend.deleteUser(id);
        printResult(io, flags.output, `deleted ${id}`, { deleted: id });
      });
    });

  registerMethodCommands(user, io, 'phone');
  registerMethodCommands(user, io, 'email');
}

const methodColumns: Readonly<Record<MethodKind, readonly string[]>> = {
  phone: ['id', 'phoneNumber', 'phoneType', 'smsSignInState'],
  email: ['id', 'emailAddress'],
};

/**
 * `sspr user phone-method list|get|add|update|remove` (Get-/New-/Update-/Remove-MgUserAuthenticationPhoneMethod)
 * and the same for `email-method` (…-MgUserAuthenticationEmailMethod).
 */
function registerMethodCommands(user: Command, io: CliIo, kind: MethodKind): void {
  const noun = kind === 'phone' ? 'Phone' : 'Email';
  const idOption = kind === 'phone' ? '--phone-authentication-method-id' : '--email-authentication-method-id';
  const idKey = kind === 'phone' ? 'phoneAuthenticationMethodId' : 'emailAuthenticationMethodId';
  const group = user
    .command(`${kind}-method`)
    .description(`authentication ${kind} methods (…-MgUserAuthentication${noun}Method)`);
  const base = (command: Command) =>
    remoteOption(userOptions(withStoreOptions(command))).addOption(outputOption(['table', 'json', 'csv'], 'table'));
  const methodIdOf = (flags: Record<string, string | undefined>, required: boolean) => {
    const value = flags[idKey];
    if (value === undefined && required) {
      // One phone per type: the type names the method as well as its fixed id does.
      if (kind === 'phone' && flags.phoneType !== undefined) return phoneMethodIdOfType(flags.phoneType);
      throw new DomainError(
        'invalid_request',
        {},
        `which method? give ${idOption}${kind === 'phone' ? ' or --phone-type' : ''}`,
      );
    }
    return value;
  };
  const show = (flags: { output: OutputFormat }, rows: MethodRecord[], single = false) =>
    io.stdout(`${formatOutput(flags.output, rows, methodColumns[kind], single)}\n`);

  base(group.command('list').description(`list the ${kind} methods (Get-MgUserAuthentication${noun}Method -UserId)`))
    .option(`${idOption} <id>`, 'show only this method')
    .action(async (positional: string | undefined, flags) => {
      const id = userIdFrom(positional, flags);
      const methodId = methodIdOf(flags, false);
      await withUserBackend(flags, io, async (backend) => {
        if (methodId !== undefined) show(flags, [await backend.getMethod(kind, id, methodId)], true);
        else show(flags, await backend.listMethods(kind, id));
      });
    });

  const add = base(group.command('add').description(`add a ${kind} method (New-MgUserAuthentication${noun}Method)`));
  if (kind === 'phone')
    add
      .requiredOption('--phone-number <number>', 'in the SSPR format, e.g. "+1 4251234567"')
      .addOption(new Option('--phone-type <type>', 'phone type').choices([...phoneTypes]).makeOptionMandatory());
  else add.requiredOption('--email-address <address>', 'the authentication email address');
  add.action(async (positional: string | undefined, flags) => {
    const id = userIdFrom(positional, flags);
    const body =
      kind === 'phone'
        ? { phoneNumber: flags.phoneNumber, phoneType: flags.phoneType }
        : { emailAddress: flags.emailAddress };
    await withUserBackend(flags, io, async (backend) => show(flags, [await backend.addMethod(kind, id, body)], true));
  });

  const update = base(
    group.command('update').description(`change a ${kind} method (Update-MgUserAuthentication${noun}Method)`),
  ).option(`${idOption} <id>`, 'the method id');
  if (kind === 'phone')
    update
      .requiredOption('--phone-number <number>', 'in the SSPR format, e.g. "+1 4251234567"')
      .addOption(new Option('--phone-type <type>', 'names the method when no id is given').choices([...phoneTypes]));
  else update.requiredOption('--email-address <address>', 'the authentication email address');
  update.action(async (positional: string | undefined, flags) => {
    const id = userIdFrom(positional, flags);
    // One email method per user, with a fixed id: it may be left out.
    const methodId =
      kind === 'email' ? (methodIdOf(flags, false) ?? emailMethodId) : (methodIdOf(flags, true) as string);
    const body = kind === 'phone' ? { phoneNumber: flags.phoneNumber } : { emailAddress: flags.emailAddress };
    await withUserBackend(flags, io, async (backend) => {
      await backend.updateMethod(kind, id, methodId, body);
      printResult(io, flags.output, `updated ${kind} method ${methodId} of ${id}`, { updated: methodId, user: id });
    });
  });

  const remove = base(
    group.command('remove').description(`delete a ${kind} method (Remove-MgUserAuthentication${noun}Method)`),
  ).option(`${idOption} <id>`, 'the method id');
  if (kind === 'phone')
    remove.addOption(
      new Option('--phone-type <type>', 'names the method when no id is given').choices([...phoneTypes]),
    );
  remove.action(async (positional: string | undefined, flags) => {
    const id = userIdFrom(positional, flags);
    const methodId =
      kind === 'email' ? (methodIdOf(flags, false) ?? emailMethodId) : (methodIdOf(flags, true) as string);
    await withUserBackend(flags, io, async (backend) => {
      await backend.removeMethod(kind, id, methodId);
      printResult(io, flags.output, `removed ${kind} method ${methodId} of ${id}`, { removed: methodId, user: id });
    });
  });
}

/** One phone per type, with the fixed id Entra gives it (SPEC section 4): the type names the method. */
function phoneMethodIdOfType(type: string): string {
  return phoneMethodIds[type as PhoneType];
}
