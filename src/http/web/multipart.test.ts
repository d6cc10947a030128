import { describe, expect, it } from 'vitest';
import { MultipartError, multipartBoundary, parseMultipart } from './multipart.js';

const boundary = '----formdata-test-7f3a';

function body(parts: string[], end = `--${boundary}--\r\n`): Buffer {
  return Buffer.from(parts.map((part) => `--${boundary}\r\n${part}\r\n`).join('') + end);
}

describe('multipart/form-data reader', () => {
  it('reads the boundary of a multipart content type only', () => {
    expect(multipartBoundary(`multipart/form-data; boundary=${boundary}`)).toBe(boundary);
    expect(multipartBoundary('multipart/form-data; boundary="a b:c"')).toBe('a b:c');
    expect(multipartBoundary('multipart/form-data')).toBeNull();
    expect(multipartBoundary('multipart/form-data; boundary=')).toBeNull();
    expect(multipartBoundary(`multipart/form-data; boundary=${'x'.repeat(71)}`)).toBeNull();
    expect(multipartBoundary('application/x-www-form-urlencoded')).toBeNull();
  });

  it('reads text fields and one file, keeping the file bytes as sent', () => {
    const csv = 'userPrincipalName,mobilePhone\r\nada@contoso.com,+1 4255550100\r\n';
    const parsed = parseMultipart(
      body([
        'Content-Disposition: form-data; name="csrf_token"\r\n\r\nabc',
        `Content-Disposition: form-data; name="file"; filename="users.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}`,
        'Content-Disposition: form-data; name="normalize"\r\n\r\non',
      ]),
      boundary,
    );
    expect(parsed.fields).toEqual({ csrf_token: 'abc', normalize: 'on' });
    expect(parsed.files).toHaveLength(1);
    expect(parsed.files[0]).toMatchObject({ field: 'file', filename: 'users.csv', contentType: 'text/csv' });
    expect(parsed.files[0]?.data.toString('utf8')).toBe(csv);
  });

  it('keeps binary content containing CRLF and dashes intact', () => {
    const data = Buffer.from([0xef, 0xbb, 0xbf, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0xff]);
    const raw = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n`),
      data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    expect(parseMultipart(raw, boundary).files[0]?.data.equals(data)).toBe(true);
  });

  it('treats an empty file input as no file', () => {
    const parsed = parseMultipart(
      body([
        'Content-Disposition: form-data; name="file"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n',
      ]),
      boundary,
    );
    expect(parsed.files).toEqual([]);
  });

  it('refuses malformed bodies, too many files, parts or long fields', () => {
    const file = (n: number) => `Content-Disposition: form-data; name="f${n}"; filename="${n}.csv"\r\n\r\nx`;
    expect(() => parseMultipart(Buffer.from('nothing here'), boundary)).toThrow(MultipartError);
    expect(() => parseMultipart(body([file(1)], ''), boundary)).toThrow('closing boundary');
    expect(() => parseMultipart(body([file(1), file(2)]), boundary)).toThrow('too many files');
    expect(() => parseMultipart(body(['Content-Disposition: form-data\r\n\r\nx']), boundary)).toThrow('no name');
    expect(() => parseMultipart(body(['Content-Disposition: attachment; name="a"\r\n\r\nx']), boundary)).toThrow(
      'not form-data',
    );
    expect(() => parseMultipart(body(['no colon here\r\n\r\nx']), boundary)).toThrow('malformed header');
    const many = Array.from({ length: 21 }, (_, n) => `Content-Disposition: form-data; name="f${n}"\r\n\r\nx`);
    expect(() => parseMultipart(body(many), boundary)).toThrow('too many parts');
    expect(() =>
      parseMultipart(body([`Content-Disposition: form-data; name="a"\r\n\r\n${'x'.repeat(4097)}`]), boundary),
    ).toThrow('too long');
  });
});
