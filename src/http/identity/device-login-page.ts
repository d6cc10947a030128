import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DeviceCodeService } from '../../services/identity/device-code-service.js';

export interface DeviceLoginOptions {
  readonly deviceCodes: () => DeviceCodeService;
}

const csrfCookie = 'sspr_devicelogin_csrf';
const genericFailure =
  'We could not sign you in. Check the code, your user name and your password, then try again. ' +
  'If the code has expired, start the sign-in on your device again.';

interface FormState {
  readonly userCode?: string;
  readonly userPrincipalName?: string;
  readonly error?: string;
}

/**
 * `/devicelogin`: where a user approves a device code (RFC 8628 section 3.3). A server-rendered form, no script;
 * CSRF protection by a per-form random token in a hidden field matched (in constant time) against a
 * SameSite=Strict cookie. The form is registered inside the identity routes so it shares their form parser.
 */
export async function deviceLoginRoutes(app: FastifyInstance, options: DeviceLoginOptions): Promise<void> {
  app.get('/devicelogin', async (request, reply) => {
    const { otc } = request.query as { otc?: unknown };
    return sendForm(request, reply, 200, typeof otc === 'string' ? { userCode: otc.slice(0, 32) } : {});
  });

  app.post('/devicelogin', async (request, reply) => {
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<
      string,
      unknown
    >;
    const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
    const userCode = field('user_code').slice(0, 32);
    const userPrincipalName = field('username').slice(0, 256);
    if (!csrfMatches(cookieValue(request, csrfCookie), field('csrf_token'))) {
      return sendForm(request, reply, 403, {
        userCode,
        userPrincipalName,
        error: 'This form has expired or did not come from this site. Please enter your details again.',
      });
    }
    const outcome = await options.deviceCodes().signIn({
      userCode,
      userPrincipalName,
      password: field('password').slice(0, 256),
      decision: field('action') === 'deny' ? 'deny' : 'approve',
    });
    if (!outcome.ok) return sendForm(request, reply, 400, { userCode, userPrincipalName, error: genericFailure });
    const message =
      outcome.decision === 'approve'
        ? `You have signed in to ${outcome.clientName} on your device. You may now close this window.`
        : `You have declined to sign in to ${outcome.clientName}. You may now close this window.`;
    return sendPage(reply, 200, 'Signed in', `<p role="status">${escapeHtml(message)}</p>`);
  });
}

function sendForm(request: FastifyRequest, reply: FastifyReply, status: number, state: FormState) {
  const token = randomBytes(32).toString('base64url');
  const secure = request.protocol === 'https' ? '; Secure' : '';
  reply.header(
    'set-cookie',
    `${csrfCookie}=${token}; Path=/devicelogin; HttpOnly; SameSite=Strict${secure}; Max-Age=900`,
  );
  const error = state.error ? `<p id="form-error" role="alert" class="error">${escapeHtml(state.error)}</p>` : '';
  const describedBy = state.error ? ' aria-describedby="form-error"' : '';
  const body = `${error}
<form method="post" action="/devicelogin"${describedBy}>
  <input type="hidden" name="csrf_token" value="${token}">
  <p><label for="user_code">Code shown on your device</label><br>
  <input id="user_code" name="user_code" required autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" maxlength="32" value="${escapeHtml(state.userCode ?? '')}"></p>
  <p><label for="username">User name (for example, someone@contoso.com)</label><br>
  <input id="username" name="username" type="email" required autocomplete="username" maxlength="256" value="${escapeHtml(state.userPrincipalName ?? '')}"></p>
  <p><label for="password">Password</label><br>
  <input id="password" name="password" type="password" required autocomplete="current-password" maxlength="256"></p>
  <p><button type="submit" name="action" value="approve">Sign in</button>
  <button type="submit" name="action" value="deny" formnovalidate>Cancel sign-in</button></p>
</form>`;
  return sendPage(reply, status, 'Enter code', body);
}

function sendPage(reply: FastifyReply, status: number, title: string, main: string) {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - Sign in to your account</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
input{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}button{font-size:1rem;padding:.4rem 1rem}
.error{color:#a4262c;border-left:4px solid #a4262c;padding-left:.5rem}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${main}
</main>
</body>
</html>
`;
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    )
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(html);
}

function cookieValue(request: FastifyRequest, name: string): string {
  const header = request.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return '';
}

function csrfMatches(cookie: string, field: string): boolean {
  const a = Buffer.from(cookie);
  const b = Buffer.from(field);
  return a.length >= 32 && a.length === b.length && timingSafeEqual(a, b);
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
