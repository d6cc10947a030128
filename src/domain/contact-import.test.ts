import { describe, expect, it } from 'vitest';
import {
  csvLine,
  diffUserChanges,
  mapImportHeader,
  parseImportFile,
  readCsv,
  spreadsheetSafe,
} from './contact-import.js';
import { newCloudUser } from './user.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('readCsv', () => {
  it('reads a comma file with LF line ends', () => {
    const document = readCsv(bytes('userPrincipalName,mobilePhone\nada@contoso.com,+1 4251234567\n'));
    expect(document.delimiter).toBe(',');
    expect(document.header.fields).toEqual(['userPrincipalName', 'mobilePhone']);
    expect(document.records).toEqual([{ line: 2, fields: ['ada@contoso.com', '+1 4251234567'] }]);
  });

  it('strips a UTF-8 BOM and detects a semicolon delimiter with CRLF line ends', () => {
    const document = readCsv(bytes('\uFEFFuserPrincipalName;displayName\r\nada@contoso.com;Ada, Countess\r\n'));
    expect(document.delimiter).toBe(';');
    expect(document.header.fields[0]).toBe('userPrincipalName');
    expect(document.records[0]?.fields).toEqual(['ada@contoso.com', 'Ada, Countess']);
  });

  it('reads quoted fields with delimiters, doubled quotes and line breaks, and numbers records by their first line', () => {
    const text =
      'userPrincipalName,jobTitle\r\n"a@contoso.com","Head of ""Ops"", EMEA\r\nand more"\r\nb@contoso.com,x\n';
    const document = readCsv(bytes(text));
    expect(document.records).toEqual([
      { line: 2, fields: ['a@contoso.com', 'Head of "Ops", EMEA\r\nand more'] },
      { line: 4, fields: ['b@contoso.com', 'x'] },
    ]);
  });

  it('skips blank lines but keeps counting them', () => {
    const document = readCsv(bytes('userPrincipalName\n\na@contoso.com\n\n\nb@contoso.com'));
    expect(document.records.map((record) => record.line)).toEqual([3, 6]);
  });

  it('rejects only the record whose line is not valid UTF-8', () => {
    const head = bytes('userPrincipalName,displayName\na@contoso.com,Ren');
    const latin1 = Uint8Array.from([0xe9]); // "é" in Latin-1
    const tail = bytes('e\nb@contoso.com,Bob\n');
    const document = readCsv(Uint8Array.from([...head, ...latin1, ...tail]));
    expect(document.records[0]?.error).toMatch(/not valid UTF-8/);
    expect(document.records[1]).toEqual({ line: 3, fields: ['b@contoso.com', 'Bob'] });
  });

  it('reports an unclosed quote and text after a closing quote on the record', () => {
    expect(readCsv(bytes('a,b\n"x"y,z\n')).records[0]?.error).toMatch(/after the closing quote/);
    expect(readCsv(bytes('a,b\nx,"open\n')).records[0]?.error).toMatch(/not closed/);
  });

  it('refuses an empty file', () => {
    expect(() => readCsv(bytes(''))).toThrow(/empty/);
    expect(() => readCsv(bytes('\uFEFF'))).toThrow(/empty/);
  });
});

describe('mapImportHeader', () => {
  it('matches names case-insensitively and knows the aliases', () => {
    const columns = mapImportHeader([
      'UPN',
      'Mobile',
      'telephoneNumber',
      'AlternateEmailAddress',
      'JOBTITLE',
      'isSsprCapable',
    ]);
    expect(columns.properties).toEqual(['mobilePhone', 'businessPhones', 'otherMails', 'jobTitle']);
  });

  it('refuses unknown columns, naming them', () => {
    expect(() => mapImportHeader(['userPrincipalName', 'pager', 'fax'])).toThrow(/Unknown columns .*'pager', 'fax'/);
  });

  it('refuses two columns for one property, alias or not', () => {
    expect(() => mapImportHeader(['userPrincipalName', 'mobile', 'mobilePhone'])).toThrow(/'mobile' and 'mobilePhone'/);
  });

  it('needs a key column', () => {
    expect(() => mapImportHeader(['mobilePhone'])).toThrow(/key column/);
  });

  it('refuses read-only properties as unknown columns', () => {
    expect(() => mapImportHeader(['id', 'createdDateTime'])).toThrow(/'createdDateTime'/);
  });
});

describe('parseImportFile', () => {
  const parse = (text: string, options: { normalize?: boolean; defaultRegion?: string } = {}) =>
    parseImportFile(readCsv(bytes(text)), { normalize: options.normalize ?? false, ...options }).rows;

  it('leaves empty cells alone and clears with <clear>', () => {
    const [row] = parse('userPrincipalName,mobilePhone,otherMails,jobTitle\na@contoso.com,<clear>,<CLEAR>,\n');
    expect(row).toMatchObject({ ok: true, changes: { mobilePhone: null, otherMails: [] } });
    expect(row?.ok && 'jobTitle' in row.changes).toBe(false);
  });

  it('splits multi-valued cells on ";" or ","', () => {
    const [comma] = parse('userPrincipalName,otherMails\na@contoso.com,"x@fabrikam.com; y@fabrikam.com"\n');
    const [semicolon] = parse('userPrincipalName;otherMails\na@contoso.com;x@fabrikam.com,y@fabrikam.com\n');
    for (const row of [comma, semicolon]) {
      expect(row).toMatchObject({ ok: true, changes: { otherMails: ['x@fabrikam.com', 'y@fabrikam.com'] } });
    }
  });

  it('keeps a non-SSPR phone verbatim with a warning that offers the normalised form', () => {
    const [row] = parse('userPrincipalName,mobilePhone\na@contoso.com,+14251234567\n');
    expect(row).toMatchObject({ ok: true, changes: { mobilePhone: '+14251234567' } });
    expect(row?.ok && row.warnings[0]).toMatch(/mobilePhone: stored as given.*"\+1 4251234567"/);
  });

  it('normalises with --normalize and a default region, and shows old and new', () => {
    const [row] = parse('userPrincipalName,mobile\na@contoso.com,(425) 123-4567\n', {
      normalize: true,
      defaultRegion: 'US',
    });
    expect(row).toMatchObject({
      ok: true,
      changes: { mobilePhone: '+1 4251234567' },
      normalizations: [{ column: 'mobile', from: '(425) 123-4567', to: '+1 4251234567' }],
      warnings: [],
    });
  });

  it('rejects a row whose phone cannot be normalised, with line, column and reason', () => {
    const [row] = parse('userPrincipalName,telephoneNumber\na@contoso.com,not a phone\n', { normalize: true });
    expect(row).toMatchObject({ ok: false, line: 2, column: 'telephoneNumber' });
    expect(row?.ok === false && row.reason).toMatch(/could not be read as a phone number/);
  });

  it("rejects Graph's bad values: a bad alternate email, two office phones", () => {
    const rows = parse(
      'userPrincipalName,otherMails,businessPhones\na@contoso.com,not-an-address,\nb@contoso.com,,+1 4251234567;+1 4251234568\n',
    );
    expect(rows[0]).toMatchObject({ ok: false, line: 2, column: 'otherMails' });
    expect(rows[1]).toMatchObject({ ok: false, line: 3, column: 'businessPhones' });
    expect(rows[1]?.ok === false && rows[1].reason).toMatch(/at most one value/);
  });

  it('rejects the later of two rows for the same user, and rows with the wrong number of fields', () => {
    const rows = parse('userPrincipalName,jobTitle\na@contoso.com,x\nA@Contoso.com,y\nb@contoso.com\n');
    expect(rows[1]).toMatchObject({ ok: false, line: 3, reason: 'The same user is already on line 2.' });
    expect(rows[2]).toMatchObject({ ok: false, line: 4 });
    expect(rows[2]?.ok === false && rows[2].reason).toMatch(/1 field, the header has 2/);
  });

  it('refuses an unknown default region for the whole file', () => {
    expect(() => parse('userPrincipalName,mobilePhone\na@contoso.com,4251234567\n', { defaultRegion: 'XX' })).toThrow(
      /'XX' is not a known ISO 3166/,
    );
  });

  it("strips the export's spreadsheet-safety quote", () => {
    const [row] = parse(`userPrincipalName,mobilePhone\na@contoso.com,${spreadsheetSafe('+1 4251234567')}\n`);
    expect(row).toMatchObject({ ok: true, changes: { mobilePhone: '+1 4251234567' } });
  });
});

describe('export helpers', () => {
  it('quotes cells that need it and protects formula-like cells', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', null])).toBe('a,"b,c","say ""hi""",');
    expect(spreadsheetSafe('=HYPERLINK("x")')).toBe('\'=HYPERLINK("x")');
    expect(spreadsheetSafe('@SUM(1)')).toBe("'@SUM(1)");
    expect(spreadsheetSafe('plain')).toBe('plain');
  });
});

describe('diffUserChanges', () => {
  it('keeps only what differs', () => {
    const user = newCloudUser(
      { id: 'x', userPrincipalName: 'a@contoso.com', createdDateTime: '2026-01-01T00:00:00Z' },
      { displayName: 'A', mobilePhone: '+1 4251234567', otherMails: ['x@fabrikam.com'] },
    );
    expect(
      diffUserChanges(user, { mobilePhone: '+1 4251234567', otherMails: ['x@fabrikam.com'], jobTitle: 'CEO' }),
    ).toEqual({ jobTitle: 'CEO' });
  });
});
