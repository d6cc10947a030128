import type { UserChanges } from '../../src/domain/user.js';
import { FormClient } from './form-client.js';
import { operator, type TestServer } from './test-container.js';

/** The password every portal test account gets. */
export const adminTestPassword = 'Quiet-Lantern-Orbit-42';

/**
 * A cloud user, optionally holding a directory role (by display name, e.g. 'Global Administrator'); `fields`
 * add to or override the defaults (e.g. `{ displayName: 'Adele Vance', mobilePhone: '+1 4255550100' }`).
 */
export async function createPortalUser(server: TestServer, upn: string, role?: string, fields: UserChanges = {}) {
  const name = upn.split('@')[0] as string;
  const user = await server.container.users.createUser(operator, {
    userPrincipalName: upn,
    displayName: name,
    accountEnabled: true,
    mailNickname: name,
    passwordProfile: { password: adminTestPassword, forceChangePasswordNextSignIn: false },
    ...fields,
  });
  if (role) await server.container.roles.assign(operator, upn, role);
  return user;
}

/** A `FormClient` signed in to `/admin` as `upn` (created first with `role` when given). */
export async function signedInAdmin(server: TestServer, upn: string, role?: string): Promise<FormClient> {
  if (role) await createPortalUser(server, upn, role);
  const client = new FormClient(server.app);
  await client.get('/admin/signin');
  const page = await client.submit('/admin/signin', { username: upn, password: adminTestPassword });
  if (page.url !== '/admin') throw new Error(`sign-in as ${upn} failed: ${page.status} ${page.url}`);
  return client;
}

/** The session's CSRF token, read from the last page's forms (for hand-made POSTs). */
export function csrfTokenOf(client: FormClient): string {
  const match = /name="csrf_token" value="([^"]+)"/.exec(client.last?.html ?? '');
  if (!match) throw new Error('no CSRF token on the last page');
  return match[1] as string;
}

/** Posts `fields` with the session's CSRF token to `url`, as a form on the last page would. */
export async function postForm(client: FormClient, url: string, fields: Record<string, string>) {
  return client.request('POST', url, new URLSearchParams({ csrf_token: csrfTokenOf(client), ...fields }).toString());
}

/**
 * The first data table of a page: its caption, its column headers (`th scope="col"`) and, row by row, the
 * `data-label` of each body cell (what a narrow screen shows before the cell).
 */
export function dataTableLabels(html: string): { caption: string; headers: string[]; rows: string[][] } {
  const table = /<table class="data"[^>]*>([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  const caption = /<caption[^>]*>([\s\S]*?)<\/caption>/.exec(table)?.[1] ?? '';
  const head = /<thead>([\s\S]*?)<\/thead>/.exec(table)?.[1] ?? '';
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? '';
  return {
    caption,
    headers: [...head.matchAll(/<th scope="col"[^>]*>([\s\S]*?)<\/th>/g)].map((match) => match[1] as string),
    rows: [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
      [...(row[1] as string).matchAll(/<t[dh] [^>]*data-label="([^"]*)"/g)].map((match) => match[1] as string),
    ),
  };
}
