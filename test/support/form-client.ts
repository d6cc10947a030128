import type { FastifyInstance } from 'fastify';

export interface PageResponse {
  readonly status: number;
  readonly html: string;
  readonly url: string;
  readonly headers: Record<string, unknown>;
}

/**
 * A cookie-keeping, redirect-following client for the server-rendered pages over `inject()`: what a browser
 * without JavaScript does, for HTTP-level tests (the Chromium suite covers the real browser).
 */
export class FormClient {
  readonly cookies = new Map<string, string>();
  last: PageResponse | null = null;

  constructor(
    private readonly app: FastifyInstance,
    private readonly headers: Record<string, string> = {},
  ) {}

  async get(url: string): Promise<PageResponse> {
    return this.request('GET', url);
  }

  /** Posts the form whose action starts with `actionPrefix` on the last page, with its hidden fields plus `fields`. */
  async submit(actionPrefix: string, fields: Record<string, string> = {}): Promise<PageResponse> {
    const { action, hidden } = this.findForm(actionPrefix);
    return this.request('POST', action, new URLSearchParams({ ...hidden, ...fields }).toString());
  }

  /**
   * Posts the form whose action starts with `actionPrefix` as `multipart/form-data`, as a browser does for a form
   * with `enctype="multipart/form-data"`: its hidden fields, `fields`, and `file` in the named file input.
   */
  async submitMultipart(
    actionPrefix: string,
    fields: Record<string, string>,
    file?: { field: string; filename: string; content: string | Buffer; contentType?: string },
  ): Promise<PageResponse> {
    const { action, hidden } = this.findForm(actionPrefix);
    const { body, contentType } = multipartBody({ ...hidden, ...fields }, file);
    return this.request('POST', action, body, contentType);
  }

  private findForm(actionPrefix: string): { action: string; hidden: Record<string, string> } {
    const html = this.last?.html ?? '';
    const forms = [...html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = forms.find((match) => decode(match[1] ?? '').startsWith(actionPrefix));
    if (!form) throw new Error(`no form with action ${actionPrefix} on the page:\n${html.slice(0, 2000)}`);
    const hidden = Object.fromEntries(
      [...(form[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [
        m[1] ?? '',
        decode(m[2] ?? ''),
      ]),
    );
    return { action: decode(form[1] ?? ''), hidden };
  }

  async request(
    method: 'GET' | 'POST',
    url: string,
    body?: string | Buffer,
    contentType = 'application/x-www-form-urlencoded',
  ): Promise<PageResponse> {
    let current = url;
    let response = await this.send(method, current, body, contentType);
    for (let hops = 0; response.statusCode >= 300 && response.statusCode < 400 && hops < 5; hops++) {
      current = String(response.headers.location);
      response = await this.send('GET', current);
    }
    this.last = { status: response.statusCode, html: response.body, url: current, headers: response.headers };
    return this.last;
  }

  private async send(method: 'GET' | 'POST', url: string, body?: string | Buffer, contentType?: string) {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await this.app.inject({
      method,
      url,
      headers: {
        ...this.headers,
        ...(cookie ? { cookie } : {}),
        ...(body !== undefined ? { 'content-type': contentType ?? 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body !== undefined ? { payload: body } : {}),
    });
    const setCookie = response.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair = ''] = line.split(';');
      const [name = '', ...value] = pair.split('=');
      this.cookies.set(name, value.join('='));
    }
    return response;
  }
}

/** A `multipart/form-data` body as browsers build it. */
export function multipartBody(
  fields: Record<string, string>,
  file?: { field: string; filename: string; content: string | Buffer; contentType?: string },
): { body: Buffer; contentType: string } {
  const boundary = '----OpenSSPRFormBoundary7MA4YWxkTrZu0gW';
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\n` +
          `Content-Type: ${file.contentType ?? 'text/csv'}\r\n\r\n`,
      ),
      Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content),
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

function decode(text: string): string {
  return text
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

/** The visible text of a page, for assertions on what a user reads. */
export function visibleText(html: string): string {
  return html
    .replace(/<(script|style|head)[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
