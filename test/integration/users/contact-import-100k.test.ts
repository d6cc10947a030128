import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowOutcome } from '../../../src/domain/contact-import.js';
import { createSqliteDatabase } from '../../support/databases.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

/**
 * Issue 6's import acceptance at full size: 100,000 rows, 2% of them bad in each of the seven ways a real file goes
 * wrong, give exactly the expected report, every rejected line with its reason; the dry run leaves the database
 * file's bytes as they were. SQLite only: here the applied import of 98,000 audited updates alone takes 6-25 s on
 * SQLite (an in-process file), and over PostgreSQL's socket, with 100,000 users to seed first, the file would not
 * stay near the ~60 s budget (not measured); the per-row rules are the same code on both dialects, and
 * `contact-import.test.ts` covers every kind of bad row on PostgreSQL too.
 */
const userCount = 100_000;
const domain = 'contoso.com';

/** Every 50th row (from the 8th) is bad, the seven kinds taking turns: 2,000 bad rows, about 286 of each kind. */
const badKinds = [
  'bad phone',
  'bad email',
  'unknown user',
  'two office phones',
  "synced user's office phone",
  'duplicate row',
  'wrong encoding',
] as const;
type BadKind = (typeof badKinds)[number];
const badKindOf = (i: number): BadKind | undefined =>
  i % 50 === 7 ? badKinds[Math.floor(i / 50) % badKinds.length] : undefined;

const upnOf = (i: number) => `user${i}@${domain}`;
const digits = (i: number) => String(i).padStart(6, '0');
const lineOf = (i: number) => i + 2;

/** The file: `;`-separated with Entra's aliases and a BOM, as Excel writes it; row i is about user i. */
function buildFile(): Buffer {
  const parts: Buffer[] = [Buffer.from('\uFEFFuserPrincipalName;mobile;telephoneNumber;alternateEmail\r\n')];
  let text = '';
  const rowText = (i: number) => `${upnOf(i)};+1 555${digits(i)}2;;`;
  for (let i = 0; i < userCount; i += 1) {
    switch (badKindOf(i)) {
      case 'bad phone':
        text += `${upnOf(i)};not a phone;;\r\n`;
        break;
      case 'bad email':
        text += `${upnOf(i)};;;not-an-address\r\n`;
        break;
      case 'unknown user':
        text += `nobody${i}@${domain};+1 555${digits(i)}2;;\r\n`;
        break;
      case 'two office phones':
        text += `${upnOf(i)};;+1 206${digits(i)}3,+1 206${digits(i)}4;\r\n`;
        break;
      case "synced user's office phone":
        text += `${upnOf(i)};+1 555${digits(i)}2;+1 206${digits(i)}3;\r\n`;
        break;
      case 'duplicate row':
        text += `${rowText(i - 1)}\r\n`;
        break;
      case 'wrong encoding':
        parts.push(Buffer.from(`${text}${upnOf(i)};;;Ren`), Buffer.from([0xe9]), Buffer.from('@fabrikam.com\r\n'));
        text = '';
        break;
      default:
        text += `${rowText(i)}\r\n`;
    }
  }
  parts.push(Buffer.from(text));
  return Buffer.concat(parts);
}

const syncedReason =
  'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.';

/** Every rejected row: line, key, column and reason, exactly. */
function expectedRejections(): Pick<RowOutcome, 'line' | 'key' | 'outcome' | 'column' | 'reason'>[] {
  const rejected = [];
  for (let i = 0; i < userCount; i += 1) {
    const kind = badKindOf(i);
    if (kind === undefined) continue;
    const line = lineOf(i);
    const row = { line, key: upnOf(i), outcome: 'rejected' as const };
    switch (kind) {
      case 'bad phone':
        rejected.push({ ...row, column: 'mobile', reason: REASONS.badPhone });
        break;
      case 'bad email':
        rejected.push({ ...row, column: 'alternateEmail', reason: REASONS.badEmail });
        break;
      case 'unknown user':
        rejected.push({ ...row, key: `nobody${i}@${domain}`, column: 'userPrincipalName', reason: 'User not found.' });
        break;
      case 'two office phones':
        rejected.push({ ...row, column: 'telephoneNumber', reason: REASONS.twoOfficePhones });
        break;
      case "synced user's office phone":
        rejected.push({ ...row, column: 'businessPhones', reason: syncedReason });
        break;
      case 'duplicate row':
        rejected.push({ ...row, key: upnOf(i - 1), reason: `The same user is already on line ${line - 1}.` });
        break;
      case 'wrong encoding':
        rejected.push({ ...row, reason: REASONS.wrongEncoding });
        break;
    }
  }
  return rejected;
}

const REASONS = {
  badPhone: 'The value could not be read as a phone number.',
  badEmail: "Invalid value specified for property 'otherMails' of resource 'User'.",
  twoOfficePhones:
    "Invalid value specified for property 'businessPhones' of resource 'User': at most one value is allowed.",
  wrongEncoding: 'The line is not valid UTF-8 text: save the file as UTF-8.',
};

describe('bulk contact import of 100,000 rows on sqlite', { timeout: 120_000 }, () => {
  let server: TestServer;
  let dbFile: string;
  const file = buildFile();
  const expectedRejected = expectedRejections();
  const expectedCounts = { changed: userCount - 2000, unchanged: 0, rejected: 2000, warnings: 0 };

  beforeAll(async () => {
    const database = await createSqliteDatabase();
    dbFile = database.url.slice('sqlite:'.length);
    server = await createTestServer({ database });
    const sqlite = database.store.sqlite;
    if (!sqlite) throw new Error('expected a SQLite store');
    // Straight SQL in one transaction (as bench/seed.ts does): the user service would hash 100,000 passwords.
    const insertUser = sqlite.prepare(`insert into users (
      id, user_principal_name, upn_key, display_name, given_name, surname, mail, mail_nickname, job_title,
      office_location, preferred_language, account_enabled, mobile_phone, business_phone, other_mails,
      created_at, updated_at, password_hash, password_changed_at, force_change_password,
      on_premises_sync_enabled, on_premises_immutable_id
    ) values (?, ?, ?, ?, 'User', ?, ?, ?, null, null, 'en-US', 1, null, null, '[]', ?, ?, null, null, 0, ?, ?)`);
    const now = new Date().toISOString();
    sqlite.transaction(() => {
      for (let i = 0; i < userCount; i += 1) {
        const upn = upnOf(i);
        const synced = badKindOf(i) === "synced user's office phone";
        insertUser.run(
          randomUUID(),
          upn,
          upn,
          `User ${i}`,
          String(i),
          upn,
          `user${i}`,
          now,
          now,
          synced ? 1 : null,
          synced ? Buffer.from(upn).toString('base64') : null,
        );
      }
    })();
  }, 120_000);
  afterAll(async () => server?.close());

  /** The database file and its write-ahead log, byte for byte. */
  const fileDigest = () =>
    [dbFile, `${dbFile}-wal`].map((name) =>
      existsSync(name) ? createHash('sha256').update(readFileSync(name)).digest('hex') : 'absent',
    );

  it('dry run: the exact report, every rejected line with its reason, and the database file unchanged', async () => {
    // Everything written so far copied into the file first: the background checkpoints then have nothing to change.
    server.container.database.sqlite?.pragma('wal_checkpoint(TRUNCATE)');
    const before = fileDigest();
    const report = await server.container.contactImports.import(operator, file, {
      normalize: true,
      defaultRegion: 'US',
      dryRun: true,
    });
    expect(report.totalRows).toBe(userCount);
    expect(report.counts).toEqual(expectedCounts);
    const rejected = (report.rows ?? [])
      .filter((row) => row.outcome === 'rejected')
      .map(({ line, key, outcome, column, reason }) => ({
        line,
        key,
        outcome,
        ...(column !== undefined && { column }),
        reason,
      }));
    expect(rejected).toEqual(expectedRejected);
    expect(fileDigest()).toEqual(before);
  });

  it('applied: the same counts and rejections, and the good rows stored', async () => {
    const report = await server.container.contactImports.import(operator, file, {
      normalize: true,
      defaultRegion: 'US',
    });
    expect(report.counts).toEqual(expectedCounts);
    expect(report.job?.status).toBe('succeeded');
    const rejected: unknown[] = [];
    for await (const row of server.container.contactImports.results(operator, report.job?.id ?? '')) {
      if (row.outcome === 'rejected') {
        const { line, key, outcome, column, reason } = row;
        rejected.push({ line, key, outcome, ...(column !== undefined && { column }), reason });
      }
    }
    expect(rejected).toEqual(expectedRejected);
    expect((await server.container.users.getUser(operator, upnOf(userCount - 1))).mobilePhone).toBe(
      `+1 555${digits(userCount - 1)}2`,
    );
    expect((await server.container.users.getUser(operator, upnOf(207))).businessPhones).toEqual([]);
  });
});
