import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Container } from '../container.js';
import { DomainError, formatErrorMessage } from '../domain/errors.js';
import { contactImportRoutes } from './admin-api/contact-import-routes.js';
import { directorySyncRoutes } from './admin-api/directory-sync-routes.js';
import { outboxRoutes } from './admin-api/outbox-routes.js';
import { policyRoutes } from './admin-api/policy-routes.js';
import { auditRoutes } from './graph/audit-routes.js';
import { authenticationMethodsRoutes } from './graph/authentication-methods-routes.js';
import { batchRoutes } from './graph/batch-routes.js';
import { graphErrorBody, graphErrors } from './graph/graph-errors.js';
import { reportRoutes } from './graph/report-routes.js';
import { usersRoutes } from './graph/users-routes.js';
import { identityRoutes } from './identity/identity-routes.js';
import { oauthErrorBody, oauthErrors } from './identity/oauth-errors.js';
import { legacyUsersRoutes } from './legacy-graph/legacy-users-routes.js';
import { bearerAuthentication } from './plugins/authentication.js';
import { graphThrottling } from './plugins/throttling.js';
import { clientRequestIdOf } from './request-context.js';
import { RequestLogController } from './request-logging.js';
import { webRoutes } from './web/web-routes.js';

export interface ServerOptions {
  readonly https?: { readonly cert: Buffer; readonly key: Buffer };
}

const graphVersions = ['v1.0', 'beta'] as const;

/** Builds the Fastify app on a container; `inject()` it in tests, `listen()` it in `serve`. */
export async function buildServer(container: Container, options: ServerOptions = {}): Promise<FastifyInstance> {
  const { config } = container;
  const app = Fastify({
    loggerInstance: container.logger,
    logController: new RequestLogController(),
    genReqId: () => randomUUID(),
    ...(config.trustedProxies ? { trustProxy: config.trustedProxies.split(',').map((entry) => entry.trim()) } : {}),
    // Graph ids and UPNs may contain characters Fastify would otherwise reject in a path parameter.
    routerOptions: { maxParamLength: 512 },
    bodyLimit: 1024 * 1024,
    ...(options.https ? { https: { cert: options.https.cert, key: options.https.key } } : {}),
  }) as unknown as FastifyInstance;

  app.decorateRequest('clientRequestId', '');
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    request.clientRequestId = clientRequestIdOf(request);
    reply.header('request-id', request.id).header('client-request-id', request.clientRequestId);
  });

  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new DomainError('invalid_json'), undefined);
    }
  });

  app.setErrorHandler((error: FastifyError | DomainError, request, reply) =>
    sendError(error, request, reply, container),
  );
  app.setNotFoundHandler((request, reply) => {
    const segment = request.url.split('?')[0]?.split('/').filter(Boolean).pop() ?? '';
    const message = `Resource not found for the segment '${segment}'.`;
    sendGraphError(
      reply,
      request,
      isGraphUrl(request.url) ? 400 : 404,
      isGraphUrl(request.url) ? 'BadRequest' : 'NotFound',
      message,
      container,
    );
  });

  const authenticate = bearerAuthentication(container.tokens, config.publicUrl);
  for (const version of graphVersions) {
    await app.register(
      async (graph) => {
        // onRequest, not preHandler: an anonymous caller is refused before its body is parsed or its query checked.
        graph.addHook('onRequest', authenticate);
        graph.addHook(
          'onRequest',
          graphThrottling(() => container.throttle, `/${version}`, container.clock),
        );
        // Sub-requests go through this same server in-process (inject), so each is authenticated and throttled alone.
        await graph.register(batchRoutes, {
          version,
          dispatch: (request) => app.inject(request),
          publicUrl: config.publicUrl,
          clock: container.clock,
        });
        await graph.register(usersRoutes, {
          version,
          users: () => container.users,
          pageTokenKey: container.tenant.serverKeys.pageToken,
          publicUrl: config.publicUrl,
        });
        await graph.register(authenticationMethodsRoutes, {
          version,
          methods: () => container.authenticationMethods,
          publicUrl: config.publicUrl,
        });
        const pageTokenKey = container.tenant.serverKeys.pageToken;
        await graph.register(auditRoutes, {
          version,
          audit: () => container.auditLog,
          pageTokenKey,
          publicUrl: config.publicUrl,
        });
        await graph.register(reportRoutes, {
          version,
          reports: () => container.reports,
          pageTokenKey,
          publicUrl: config.publicUrl,
        });
      },
      { prefix: `/${version}` },
    );
  }
  await app.register(
    async (admin) => {
      admin.addHook('onRequest', authenticate);
      await admin.register(policyRoutes, { policies: () => container.policies });
      await admin.register(outboxRoutes, { outbox: () => container.outbox });
      await admin.register(directorySyncRoutes, { directorySync: () => container.directorySync });
      await admin.register(contactImportRoutes, {
        imports: () => container.contactImports,
        export: () => container.contactExport,
      });
    },
    { prefix: '/api/admin/v1' },
  );
  // Legacy Azure AD Graph (`/{tenant}/users?api-version=1.6`): its own token check and error shape.
  await app.register(legacyUsersRoutes, {
    users: () => container.users,
    tokens: () => container.tokens,
    tenant: container.tenant,
    pageTokenKey: container.tenant.serverKeys.pageToken,
    publicUrl: config.publicUrl,
  });
  await app.register(identityRoutes, {
    tokens: () => container.tokens,
    deviceCodes: () => container.deviceCodes,
    tenant: container.tenant,
    publicUrl: config.publicUrl,
  });
  await app.register(webRoutes, {
    resets: () => container.passwordResets,
    securityInfo: () => container.securityInfo,
    branding: () => ({
      tenantName: container.tenant.displayName,
      logoUrl: config.brandLogoUrl ?? null,
      helpdesk: null,
    }),
    brandColor: config.brandColor,
    secureCookies: Boolean(options.https) || (config.publicUrl?.startsWith('https:') ?? false),
    admin: {
      services: () => container,
      captchaOff: config.captcha === 'off',
      verifiedDomains: () => container.tenant.verifiedDomains,
    },
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  return app;
}

function isGraphUrl(url: string): boolean {
  return url.startsWith('/v1.0/') || url.startsWith('/beta/') || url === '/v1.0' || url === '/beta';
}

/** Token, discovery and key endpoints answer errors in the OAuth shape, as Entra's do. */
function isOAuthUrl(url: string): boolean {
  return /^\/[^/]+\/(oauth2|v2\.0|discovery)\//.test(url);
}

function sendError(
  error: FastifyError | DomainError,
  request: FastifyRequest,
  reply: FastifyReply,
  container: Container,
): void {
  const now = container.clock();
  if (error instanceof DomainError) {
    if (isOAuthUrl(request.url)) {
      const shape = oauthErrors[error.code];
      reply
        .code(shape.status)
        .header('cache-control', 'no-store')
        .send(oauthErrorBody(shape, error.message, request.id, request.clientRequestId, now));
      return;
    }
    const shape = graphErrors[error.code];
    if (shape.status === 401) reply.header('www-authenticate', 'Bearer realm="", error="invalid_token"');
    sendGraphError(reply, request, shape.status, shape.code, error.message, container);
    return;
  }
  // Fastify's own 4xx (unsupported media type, body too large, bad URL...) keep their status.
  const status =
    typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) {
    request.log.error({ err: error }, 'unhandled error');
    if (isOAuthUrl(request.url)) {
      const shape = { status, error: 'server_error', aadsts: 90033 };
      reply
        .code(500)
        .send(
          oauthErrorBody(
            shape,
            `An internal error occurred. Request id: ${request.id}.`,
            request.id,
            request.clientRequestId,
            now,
          ),
        );
      return;
    }
    sendGraphError(
      reply,
      request,
      500,
      'InternalServerError',
      `An internal error occurred. Request id: ${request.id}.`,
      container,
    );
    return;
  }
  if (isOAuthUrl(request.url)) {
    const shape = { status, error: 'invalid_request', aadsts: 900144 };
    reply
      .code(status)
      .send(
        oauthErrorBody(
          shape,
          formatErrorMessage('invalid_request', {}) + ` ${error.message}`,
          request.id,
          request.clientRequestId,
          now,
        ),
      );
    return;
  }
  sendGraphError(
    reply,
    request,
    status,
    status === 415 ? 'UnsupportedMediaType' : 'BadRequest',
    error.message,
    container,
  );
}

function sendGraphError(
  reply: FastifyReply,
  request: FastifyRequest,
  status: number,
  code: string,
  message: string,
  container: Container,
): void {
  reply
    .code(status)
    .type('application/json')
    .send(graphErrorBody(code, message, request.id, request.clientRequestId || request.id, container.clock()));
}
