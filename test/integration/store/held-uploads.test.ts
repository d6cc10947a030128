import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayableFilename, HeldContactUploads } from '../../../src/services/users/held-contact-uploads.js';
import { SqlHeldUploadRepository } from '../../../src/store/held-upload-repository.js';
import { dialectsUnderTest, type TestDatabase } from '../../support/databases.js';

const options = { normalize: true, defaultRegion: 'US' };

describe.each(dialectsUnderTest)('held contact uploads on $name', (dialect) => {
  let database: TestDatabase;
  let now = new Date('2026-11-25T08:00:00.000Z');
  const uploads = (limits: { maxTotalBytes?: number } = {}) =>
    new HeldContactUploads({
      store: new SqlHeldUploadRepository(database.store.db),
      clock: () => now,
      ttlMs: 60_000,
      ...limits,
    });

  beforeAll(async () => {
    database = await dialect.create();
  });
  afterAll(async () => {
    await database.dispose();
  });

  it('gives a file back, byte for byte, only to its owner and only until it expires', async () => {
    // A Latin-1 'é' and a NUL: the preview and the apply must see the very bytes uploaded.
    const data = Buffer.from([0x55, 0x50, 0x4e, 0x0a, 0xe9, 0x00, 0x2c]);
    const held = await uploads().hold('session-a', 'contacts.csv', data, options);
    expect(held.id).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await uploads().find('session-a', held.id)).toMatchObject({ filename: 'contacts.csv', options });
    expect((await uploads().find('session-a', held.id))?.data.equals(data)).toBe(true);
    expect(await uploads().find('session-b', held.id)).toBeUndefined();
    expect(await uploads().find('session-a', 'guessed-id-guessed-id-12')).toBeUndefined();
    // Only hashes are stored: neither the id nor the session appears in the table.
    const rows = await database.store.db.selectFrom('held_contact_uploads').select(['id_hash', 'owner_hash']).execute();
    expect(JSON.stringify(rows)).not.toContain(held.id);
    expect(JSON.stringify(rows)).not.toContain('session-a');
    now = new Date(now.getTime() + 60_001);
    expect(await uploads().find('session-a', held.id)).toBeUndefined();
    // The server's periodic purge removes the bytes themselves.
    expect(await new SqlHeldUploadRepository(database.store.db).purgeExpired(now.toISOString())).toBe(1);
  });

  it('is taken once: the second click, or a second instance, finds nothing', async () => {
    const held = await uploads().hold('session-a', 'a.csv', Buffer.from('x'), options);
    // Another server instance (its own service and repository on the same database) can apply it.
    const takes = await Promise.all([uploads().take('session-a', held.id), uploads().take('session-a', held.id)]);
    expect(takes.filter((take) => take !== undefined)).toHaveLength(1);
    expect(await uploads().take('session-a', held.id)).toBeUndefined();
    expect(await uploads().take('session-b', held.id)).toBeUndefined();
  });

  it('forgets what a session held when it ends, and keeps a displayable file name', async () => {
    const held = await uploads().hold(
      'session-d',
      `C:\\Users\\adele\\${'x'.repeat(8000)}\u0000.csv`,
      Buffer.from('x'),
      options,
    );
    expect(held.filename).toHaveLength(200);
    expect((await uploads().find('session-d', held.id))?.filename).toBe(held.filename);
    await uploads().release('session-d');
    expect(await uploads().find('session-d', held.id)).toBeUndefined();
    expect(displayableFilename('/tmp/contacts\u0007.csv')).toBe('contacts.csv');
    expect(displayableFilename('\u0001')).toBe('upload.csv');
    expect(displayableFilename('report\u202Evsc.exe')).toBe('reportvsc.exe');
  });

  it('keeps one file per owner, and forgets the oldest beyond the size limit', async () => {
    const limited = uploads({ maxTotalBytes: 10 });
    const first = await limited.hold('session-a', '1.csv', Buffer.alloc(4), options);
    const second = await limited.hold('session-a', '2.csv', Buffer.alloc(4), options);
    expect(await limited.find('session-a', first.id)).toBeUndefined();
    expect(await limited.find('session-a', second.id)).toBeDefined();
    const other = await limited.hold('session-b', '3.csv', Buffer.alloc(8), options);
    expect(await limited.find('session-a', second.id)).toBeUndefined();
    expect(await limited.find('session-b', other.id)).toBeDefined();
    // A file larger than the limit on its own is still kept: it is the one being previewed.
    const large = await limited.hold('session-c', '4.csv', Buffer.alloc(12), options);
    expect(await limited.find('session-c', large.id)).toBeDefined();
    expect(await limited.find('session-b', other.id)).toBeUndefined();
  });
});
