import { describe, expect, it } from 'vitest';
import { formatCsv, formatOutput, formatTable } from './output.js';

const users = [
  { displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', mobilePhone: '+1 4251234567' },
  { displayName: 'Al', userPrincipalName: 'alan.turing@contoso.com', mobilePhone: null },
];
const columns = ['displayName', 'userPrincipalName', 'mobilePhone'];

describe('formatTable', () => {
  it('aligns columns under a header and a dashed rule', () => {
    expect(formatTable(users, columns).split('\n')).toEqual([
      'displayName   userPrincipalName        mobilePhone',
      '------------  -----------------------  -------------',
      'Ada Lovelace  ada@contoso.com          +1 4251234567',
      'Al            alan.turing@contoso.com',
    ]);
  });

  it('makes a column as wide as its header when the values are shorter', () => {
    const lines = formatTable([{ id: '1', displayName: 'X' }], ['id', 'displayName']).split('\n');
    expect(lines).toEqual(['id  displayName', '--  -----------', '1   X']);
  });

  it('starts every column at the same offset on every line', () => {
    const lines = formatTable(users, columns).split('\n');
    const header = lines[0] ?? '';
    const [, upnOffset, phoneOffset] = columns.map((column) => header.indexOf(column));
    expect(lines[1]?.indexOf('-', (upnOffset ?? 0) - 1)).toBe(upnOffset);
    expect(lines[2]?.indexOf('ada@')).toBe(upnOffset);
    expect(lines[3]?.indexOf('alan.turing@')).toBe(upnOffset);
    expect(lines[2]?.indexOf('+1')).toBe(phoneOffset);
  });

  it('joins a collection with commas and leaves missing values blank', () => {
    const table = formatTable(
      [{ otherMails: ['a@example.org', 'b@example.org'], businessPhones: [] }],
      ['otherMails', 'businessPhones', 'jobTitle'],
    );
    expect(table.split('\n')[2]).toBe('a@example.org, b@example.org');
  });

  it('prints only the header and rule when there are no rows', () => {
    expect(formatTable([], ['id', 'displayName'])).toBe('id  displayName\n--  -----------');
  });
});

describe('formatCsv', () => {
  it('writes a header and one line per row', () => {
    expect(formatCsv(users, columns)).toBe(
      'displayName,userPrincipalName,mobilePhone\n' +
        'Ada Lovelace,ada@contoso.com,+1 4251234567\n' +
        'Al,alan.turing@contoso.com,',
    );
  });

  it.each([
    ['a comma', 'Lovelace, Ada', '"Lovelace, Ada"'],
    ['a double quote', 'Ada "the Countess"', '"Ada ""the Countess"""'],
    ['a newline', 'line one\nline two', '"line one\nline two"'],
    ['a carriage return', 'one\r\ntwo', '"one\r\ntwo"'],
    ['a leading space', ' Ada', '" Ada"'],
    ['a trailing space', 'Ada ', '"Ada "'],
    ['nothing special', 'Ada Lovelace', 'Ada Lovelace'],
  ])('quotes a value containing %s', (_label, value, cell) => {
    expect(formatCsv([{ displayName: value }], ['displayName'])).toBe(`displayName\n${cell}`);
  });

  it('joins a collection into one cell separated by semicolons', () => {
    expect(formatCsv([{ otherMails: ['a@example.org', 'b@example.org'] }], ['otherMails'])).toBe(
      'otherMails\na@example.org;b@example.org',
    );
  });

  it('quotes a joined collection when a value needs it', () => {
    expect(formatCsv([{ businessPhones: ['+1 425, ext 1', 'x'] }], ['businessPhones'])).toBe(
      'businessPhones\n"+1 425, ext 1;x"',
    );
  });

  it('writes booleans and numbers as text and null as an empty cell', () => {
    expect(
      formatCsv([{ accountEnabled: false, count: 3, jobTitle: null }], ['accountEnabled', 'count', 'jobTitle']),
    ).toBe('accountEnabled,count,jobTitle\nfalse,3,');
  });

  it('keeps the columns in the order asked for', () => {
    expect(formatCsv(users.slice(0, 1), ['mobilePhone', 'displayName'])).toBe(
      'mobilePhone,displayName\n+1 4251234567,Ada Lovelace',
    );
  });
});

describe('formatOutput', () => {
  it('prints a list as a JSON array', () => {
    expect(JSON.parse(formatOutput('json', users, columns))).toEqual(users);
  });

  it('prints one object, not an array, for a single result', () => {
    const row = { mobilePhone: '+1 4251234567', businessPhones: ['+1 4252345678'], otherMails: [] };
    expect(JSON.parse(formatOutput('json', [row], Object.keys(row), true))).toEqual(row);
  });

  it('keeps collections as JSON arrays and null as null', () => {
    const parsed = JSON.parse(formatOutput('json', [{ otherMails: ['a@example.org'], mobilePhone: null }], []));
    expect(parsed).toEqual([{ otherMails: ['a@example.org'], mobilePhone: null }]);
  });

  it('prints a single result as aligned "name : value" lines', () => {
    const row = { displayName: 'Ada Lovelace', otherMails: ['a@example.org', 'b@example.org'], mobilePhone: null };
    expect(formatOutput('table', [row], ['displayName', 'otherMails', 'mobilePhone'], true).split('\n')).toEqual([
      'displayName : Ada Lovelace',
      'otherMails  : a@example.org, b@example.org',
      'mobilePhone : ',
    ]);
  });

  it('prints a list as a table and as CSV', () => {
    expect(formatOutput('table', users, columns)).toBe(formatTable(users, columns));
    expect(formatOutput('csv', users, columns)).toBe(formatCsv(users, columns));
  });
});
