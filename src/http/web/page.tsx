import type { FastifyReply } from 'fastify';
import type { ComponentChildren, VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { PageLanguage } from './language.js';

/** What every self-service page shows of the tenant (name, logo, colour, helpdesk link). */
export interface Branding {
  readonly tenantName: string;
  readonly logoUrl: string | null;
  readonly helpdesk: string | null;
}

export interface PageProps {
  readonly language: PageLanguage;
  readonly title: string;
  readonly branding: Branding;
  readonly children: ComponentChildren;
  readonly footerLinks?: ComponentChildren;
  /** Shown under the banner (the admin portal's navigation and signed-in user). */
  readonly nav?: ComponentChildren;
  /** A wider main column (the admin portal's tables). */
  readonly wide?: boolean;
}

/** The layout shared by the reset, security-info and admin pages: landmarks, skip link, one `h1` per page. */
export function Page({ language, title, branding, children, footerLinks, nav, wide }: PageProps): VNode {
  const helpdeskHref = branding.helpdesk
    ? branding.helpdesk.includes('@') && !branding.helpdesk.includes('://')
      ? `mailto:${branding.helpdesk}`
      : branding.helpdesk
    : null;
  return (
    <html lang={language}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${title} - ${branding.tenantName}`}</title>
        <link rel="stylesheet" href="/assets/site.css" />
      </head>
      <body>
        <a class="skip" href="#main">
          {language === 'fr' ? 'Aller au contenu' : 'Skip to content'}
        </a>
        <header class="brand">
          {branding.logoUrl ? <img src={branding.logoUrl} alt="" /> : null}
          <span class="tenant">{branding.tenantName}</span>
        </header>
        {nav}
        <main id="main" class={wide ? 'wide' : undefined}>
          {children}
        </main>
        <footer class={wide ? 'wide' : undefined}>
          {footerLinks}
          {helpdeskHref ? (
            <p>
              <a href={helpdeskHref}>
                {language === 'fr' ? 'Contacter votre administrateur' : 'Contact your administrator'}
              </a>
            </p>
          ) : null}
          <p>
            <a href="?mkt=en-US" lang="en">
              English
            </a>
            {' · '}
            <a href="?mkt=fr-FR" lang="fr">
              Français
            </a>
          </p>
        </footer>
      </body>
    </html>
  );
}

/** Strict headers for every self-service page: no script, no inline style, no framing, nothing cached. */
export const pageSecurityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function sendPage(reply: FastifyReply, page: VNode, status = 200): FastifyReply {
  return reply
    .code(status)
    .headers(pageSecurityHeaders)
    .type('text/html; charset=utf-8')
    .send(`<!doctype html>${renderToString(page)}`);
}

/**
 * Cookie attributes for self-service cookies: HttpOnly, SameSite=Strict unless said otherwise, and over HTTPS
 * `Secure` (with the `__Host-` name prefix where the path is `/`, so no sibling host can plant it).
 */
export function cookie(
  name: string,
  value: string,
  options: { path: string; maxAgeSeconds: number; secure: boolean; sameSite?: 'Strict' | 'Lax' },
): string {
  return `${name}=${value}; Path=${options.path}; HttpOnly; SameSite=${options.sameSite ?? 'Strict'}${options.secure ? '; Secure' : ''}; Max-Age=${options.maxAgeSeconds}`;
}

export function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

/** What an unexpected failure shows: no details, the request id to quote to the helpdesk, a way back. */
export function ErrorPage({
  language,
  branding,
  requestId,
}: {
  language: PageLanguage;
  branding: Branding;
  requestId: string;
}): VNode {
  const french = language === 'fr';
  const title = french ? 'Un problème est survenu' : 'Something went wrong';
  return (
    <Page language={language} title={title} branding={branding}>
      <h1>{title}</h1>
      <p>
        {french
          ? 'Nous n’avons pas pu traiter votre demande. Réessayez dans un instant.'
          : 'We couldn’t process your request. Try again in a moment.'}
      </p>
      <p>
        {french ? 'Identifiant de la demande : ' : 'Request ID: '}
        <code>{requestId}</code>
      </p>
      <p>
        <a href="/passwordreset">{french ? 'Recommencer' : 'Start over'}</a>
      </p>
    </Page>
  );
}
