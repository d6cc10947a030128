import { createHash } from 'node:crypto';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { PasswordResetService } from '../../services/self-service/password-reset-service.js';
import type { SecurityInfoService } from '../../services/self-service/security-info-service.js';
import { type AdminRouteOptions, adminRoutes } from './admin/admin-routes.js';
import { siteCss } from './assets/site-css.js';
import { pickLanguage } from './language.js';
import { type Branding, ErrorPage, sendPage } from './page.js';
import { resetRoutes } from './password-reset/reset-routes.js';
import { securityInfoRoutes } from './security-info/security-info-routes.js';

export interface WebRouteOptions {
  readonly resets: () => PasswordResetService;
  /** My Security Info (`/mysecurityinfo`). */
  readonly securityInfo: () => SecurityInfoService;
  readonly branding: () => Branding;
  readonly brandColor: string;
  readonly secureCookies: boolean;
  /** The admin portal (`/admin`); absent, it is not served. */
  readonly admin?: Omit<AdminRouteOptions, 'branding' | 'secureCookies'>;
}

/** The end-user pages: their form parser, their style sheet and each experience's routes. */
export async function webRoutes(app: FastifyInstance, options: WebRouteOptions): Promise<void> {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  // Unexpected failures in the pages answer with a page, never a JSON error body; the details go to the log.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'self-service page failed');
    const language = pickLanguage((request.query as { mkt?: unknown }).mkt, request.headers['accept-language']);
    return sendPage(reply, ErrorPage({ language, branding: options.branding(), requestId: request.id }), status);
  });

  const css = siteCss(options.brandColor);
  const etag = `"${createHash('sha256').update(css).digest('base64url').slice(0, 16)}"`;
  app.get('/assets/site.css', async (request, reply) => {
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .header('etag', etag)
      .header('x-content-type-options', 'nosniff')
      .send(css);
  });

  await app.register(resetRoutes, {
    resets: options.resets,
    branding: options.branding,
    secureCookies: options.secureCookies,
  });
  await app.register(securityInfoRoutes, {
    securityInfo: options.securityInfo,
    branding: options.branding,
    secureCookies: options.secureCookies,
  });
  if (options.admin) {
    await app.register(adminRoutes, {
      ...options.admin,
      brandColor: options.brandColor,
      branding: options.branding,
      secureCookies: options.secureCookies,
    });
  }
}
