/**
 * A small `multipart/form-data` reader (RFC 7578) for the portal's one upload form (`/admin/bulk`): text fields and
 * at most one file, from a body Fastify has already read into a buffer under its `bodyLimit`. No dependency: the
 * project does not ship `@fastify/multipart`. Strict on purpose: a body that is not what a browser sends is refused
 * with a `MultipartError` (400) rather than guessed at.
 */

export interface UploadedFile {
  /** The form field's name. */
  readonly field: string;
  /** The name the browser gave (for display only; never used as a path). */
  readonly filename: string;
  readonly contentType: string;
  readonly data: Buffer;
}

export interface MultipartBody {
  /** Text fields by name (the last value wins, as the urlencoded parser does). */
  readonly fields: Record<string, string>;
  /** The file parts (at most `maxFiles`). */
  readonly files: readonly UploadedFile[];
}

export interface MultipartLimits {
  /** Parts in all (fields and files). */
  readonly maxParts: number;
  /** Characters of one text field. */
  readonly maxFieldLength: number;
  readonly maxFiles: number;
  /** Bytes of one part's header block. */
  readonly maxHeaderBytes: number;
}

export const defaultMultipartLimits: MultipartLimits = {
  maxParts: 20,
  maxFieldLength: 4096,
  maxFiles: 1,
  maxHeaderBytes: 8 * 1024,
};

export class MultipartError extends Error {
  readonly statusCode = 400;
}

const crlf = Buffer.from('\r\n');
const headerEnd = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data` content type, or null when it is not one (or has no valid boundary). */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType) return null;
  const [type = '', ...parameters] = contentType.split(';');
  if (type.trim().toLowerCase() !== 'multipart/form-data') return null;
  for (const parameter of parameters) {
    const separator = parameter.indexOf('=');
    if (separator === -1) continue;
    if (parameter.slice(0, separator).trim().toLowerCase() !== 'boundary') continue;
    let value = parameter.slice(separator + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    // RFC 2046: 1 to 70 characters from a restricted set, not ending in a space.
    return /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/.test(value) ? value : null;
  }
  return null;
}

/** A Content-Disposition parameter: quoted (browsers percent-escape `"`, CR and LF in it) or a token. */
function dispositionParameter(header: string, name: string): string | undefined {
  const pattern = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s"]+))`, 'i');
  const match = pattern.exec(header);
  if (!match) return undefined;
  return match[1] ?? match[2];
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError('A part of the form has a malformed header.');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** Reads a whole `multipart/form-data` body. */
export function parseMultipart(
  body: Buffer,
  boundary: string,
  limits: MultipartLimits = defaultMultipartLimits,
): MultipartBody {
  const delimiter = Buffer.from(`--${boundary}`);
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`);
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  const files: UploadedFile[] = [];

  // The first delimiter: at the start, or after a preamble that ends in CRLF.
  let position: number;
  if (body.subarray(0, delimiter.length).equals(delimiter)) position = delimiter.length;
  else {
    const found = body.indexOf(nextDelimiter);
    if (found === -1) throw new MultipartError('The form body has no part.');
    position = found + nextDelimiter.length;
  }

  for (let parts = 0; ; parts++) {
    // After a delimiter: `--` closes the body, CRLF opens a part (transport padding is not expected from browsers).
    if (body[position] === 0x2d && body[position + 1] === 0x2d) break;
    if (!body.subarray(position, position + 2).equals(crlf)) {
      throw new MultipartError('The form body is malformed.');
    }
    if (parts >= limits.maxParts) throw new MultipartError('The form has too many parts.');
    const headersStart = position + 2;
    const headersEnd = body.indexOf(headerEnd, headersStart);
    if (headersEnd === -1 || headersEnd - headersStart > limits.maxHeaderBytes) {
      throw new MultipartError('A part of the form has no end to its headers.');
    }
    const headers = parseHeaders(body.subarray(headersStart, headersEnd).toString('utf8'));
    const contentStart = headersEnd + headerEnd.length;
    const contentEnd = body.indexOf(nextDelimiter, contentStart);
    if (contentEnd === -1) throw new MultipartError('The form body ends before its closing boundary.');
    position = contentEnd + nextDelimiter.length;

    const disposition = headers.get('content-disposition') ?? '';
    if (!/^form-data\s*(;|$)/i.test(disposition)) {
      throw new MultipartError('A part of the form is not form-data.');
    }
    const name = dispositionParameter(disposition, 'name');
    if (name === undefined || name === '') throw new MultipartError('A part of the form has no name.');
    const filename = dispositionParameter(disposition, 'filename');
    const content = body.subarray(contentStart, contentEnd);
    if (filename !== undefined) {
      // A file input left empty is sent as a part with an empty filename and no content: no file.
      if (filename === '' && content.length === 0) continue;
      if (files.length >= limits.maxFiles) throw new MultipartError('The form has too many files.');
      files.push({
        field: name,
        filename,
        contentType: headers.get('content-type') ?? 'application/octet-stream',
        data: content,
      });
    } else {
      if (content.length > limits.maxFieldLength * 4) throw new MultipartError(`The field ${name} is too long.`);
      const text = content.toString('utf8');
      if (text.length > limits.maxFieldLength) throw new MultipartError(`The field ${name} is too long.`);
      fields[name] = text;
    }
  }
  return { fields, files };
}
