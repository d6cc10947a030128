import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortalUser, signedInAdmin } from '../../support/admin-session.js';
import { visibleText } from '../../support/form-client.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

let server: TestServer;

beforeEach(async () => {
  server = await createTestServer({ config: { captcha: 'off' } });
});
afterEach(async () => {
  await server.close();
});

/** The display names the users list shows (links to each user). */
function listedNames(html: string): string[] {
  return [...html.matchAll(/<a href="\/admin\/users\/[0-9a-f-]{36}">([^<]+)<\/a>/g)].map((match) => match[1] as string);
}

describe('admin users list: the "Unusable data" filter', () => {
  it('lists the users with a present but unusable method, for any reason or one, linked from the dashboard', async () => {
    const phones: Array<[string, string]> = [
      ['ready@contoso.com', '+1 4255550100'],
      ['dashes@contoso.com', '425-555-0100'],
      ['london@contoso.com', '+44 7700900123'],
    ];
    for (const [upn, mobilePhone] of phones) {
      const user = await createPortalUser(server, upn);
      await server.container.users.updateUser(operator, user.id, { mobilePhone });
    }
    await createPortalUser(server, 'nothing@contoso.com');
    await server.container.policies.change(operator, { blockedCountryCodes: ['44'] });
    // Signing in lands on the dashboard, which computes (and keeps) its totals then: after the policy change.
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');

    const names = async (query: string) => {
      const page = await client.get(`/admin/users?${query}`);
      expect(page.status).toBe(200);
      return listedNames(page.html).sort();
    };
    expect(await names('unusable=any')).toEqual(['dashes', 'london']);
    expect(await names('unusable=not_in_sspr_format')).toEqual(['dashes']);
    expect(await names('unusable=country_code_blocked')).toEqual(['london']);
    expect(await names('unusable=invalid_email_address')).toEqual([]);
    // Combined with another computed filter: both must hold.
    expect(await names('unusable=any&capable=no')).toEqual(['dashes', 'london']);
    expect(await names('unusable=any&capable=yes')).toEqual([]);
    // An unknown value is ignored, as the other filters' are: the whole list.
    expect(await names('unusable=bogus')).toContain('ready');

    const filtered = await client.get('/admin/users?unusable=country_code_blocked');
    expect(filtered.html).toMatch(/<option value="country_code_blocked" selected/);
    expect(visibleText(filtered.html)).toContain('filters are computed per user');

    // The dashboard's counts by reason lead to the same lists.
    const dashboard = await client.get('/admin');
    expect(visibleText(dashboard.html)).toContain('Phone number not in the SSPR format: 1');
    expect(dashboard.html).toContain('href="/admin/users?unusable=not_in_sspr_format"');
    expect(dashboard.html).toContain('href="/admin/users?unusable=country_code_blocked"');
  });
});
