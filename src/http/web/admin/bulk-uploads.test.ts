import { describe, expect, it } from 'vitest';
import { PendingUploads } from './bulk-uploads.js';

const options = { normalize: true };

describe('pending bulk uploads', () => {
  it('gives an upload back only to the session that made it, until it expires', () => {
    let now = 0;
    const uploads = new PendingUploads(() => now, 1000);
    const upload = uploads.add('session-a', 'a.csv', Buffer.from('x'), options);
    expect(upload.id).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(uploads.get('session-a', upload.id)?.data.toString()).toBe('x');
    expect(uploads.get('session-b', upload.id)).toBeUndefined();
    expect(uploads.get('session-a', 'guess')).toBeUndefined();
    now = 1000;
    expect(uploads.get('session-a', upload.id)).toBeUndefined();
  });

  it('keeps one upload per session, and drops the oldest beyond the byte budget', () => {
    const uploads = new PendingUploads(() => 0, 1000, 10);
    const first = uploads.add('a', '1.csv', Buffer.alloc(4), options);
    const second = uploads.add('a', '2.csv', Buffer.alloc(4), options);
    expect(uploads.get('a', first.id)).toBeUndefined();
    expect(uploads.get('a', second.id)).toBeDefined();
    const other = uploads.add('b', '3.csv', Buffer.alloc(8), options);
    expect(uploads.get('a', second.id)).toBeUndefined();
    expect(uploads.get('b', other.id)).toBeDefined();
    uploads.remove(other.id);
    expect(uploads.get('b', other.id)).toBeUndefined();
  });
});
