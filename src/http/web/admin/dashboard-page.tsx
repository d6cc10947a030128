import type { VNode } from 'preact';
import { AdminPage, type AdminView } from './admin-kit.js';

export interface DashboardWarnings {
  readonly outbox: boolean;
  readonly captchaOff: boolean;
}

/** `/admin`: who can reset, recent activity, the last sync run, and configuration warnings. */
export function DashboardPage({ view, warnings }: { view: AdminView; warnings: DashboardWarnings }): VNode {
  const { t } = view;
  return (
    <AdminPage view={view} title={t.dashboardHeading} current="dashboard">
      <h1>{t.dashboardHeading}</h1>
      {warnings.outbox ? (
        <p class="warning" role="status">
          Development outbox in use: codes and notices are stored and shown on the Outbox page, not delivered.
        </p>
      ) : null}
      {warnings.captchaOff ? (
        <p class="warning" role="status">
          CAPTCHA is off (SSPR_CAPTCHA=off): the password reset page asks for none. Use this only in test set-ups.
        </p>
      ) : null}
    </AdminPage>
  );
}
