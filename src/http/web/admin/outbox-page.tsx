import type { FastifyInstance } from 'fastify';
import type { VNode } from 'preact';
import type { OutboxMessage, OutboxService } from '../../../services/delivery/outbox-service.js';
import { sendPage } from '../page.js';
import { type AdminGuardOptions, AdminPage, type AdminView, adminBasePath, DataTable, DateTime } from './admin-kit.js';
import { requireAdminPage } from './admin-page-guard.js';

export interface OutboxPageServices {
  readonly outbox: OutboxService;
}

const outboxTop = 100;

/**
 * `/admin/outbox`: what the development delivery mode stored instead of sending, newest first. Only Global
 * Administrators see it (the outbox service's rule: the messages hold live codes); never cached.
 */
export function registerOutboxPage(
  app: FastifyInstance,
  guard: AdminGuardOptions,
  services: () => OutboxPageServices,
): void {
  app.get(
    `${adminBasePath}/outbox`,
    requireAdminPage(
      guard,
      async (_request, reply, view) => {
        reply.header('cache-control', 'no-store');
        const messages = await services().outbox.list(view.session.context, { top: outboxTop });
        return sendPage(reply, <OutboxPage view={view} messages={messages} />);
      },
      (t) => t.outboxDenied,
    ),
  );
}

export function OutboxPage({ view, messages }: { view: AdminView; messages: readonly OutboxMessage[] }): VNode {
  const { t } = view;
  return (
    <AdminPage view={view} title={t.outboxHeading} current="outbox">
      <h1>{t.outboxHeading}</h1>
      <p>{t.outboxIntro}</p>
      <DataTable
        caption={t.outboxHeading}
        empty={t.outboxNone}
        rows={messages}
        columns={[
          {
            header: t.outboxColTime,
            cell: (message) => <DateTime iso={message.createdDateTime} />,
          },
          { header: t.outboxColChannel, cell: (message) => message.channel },
          { header: t.outboxColRecipient, cell: (message) => message.recipient },
          {
            header: t.outboxColMessage,
            cell: (message) => (
              <>
                {message.subject ? <strong>{message.subject}</strong> : null}
                <pre class="message">{message.body}</pre>
              </>
            ),
          },
        ]}
      />
    </AdminPage>
  );
}
