import { createHash, randomBytes } from 'node:crypto';
import type { HeldUploadRecord, ImportOptions } from '../../domain/contact-import.js';

export type { HeldUploadRecord } from '../../domain/contact-import.js';

/** A CSV previewed (dry run) and waiting for "Apply", bound to whoever uploaded it (an admin session). */
export interface HeldUpload {
  /** The bearer value the portal's form carries; stored only as a hash. */
  readonly id: string;
  readonly filename: string;
  readonly data: Buffer;
  readonly options: ImportOptions;
  readonly expiresAt: string;
}

export interface HeldUploadStore {
  /**
   * In one transaction: forgets expired uploads and the owner's earlier ones, stores this one, then forgets the oldest
   * others while all of them together exceed `maxTotalBytes` (never this one).
   */
  hold(upload: HeldUploadRecord, maxTotalBytes: number): Promise<void>;
  /** The owner's unexpired upload with this id hash. */
  find(idHash: string, ownerHash: string, now: string): Promise<HeldUploadRecord | undefined>;
  /** The same, removed in the same statement: of two concurrent takes, one gets it. */
  take(idHash: string, ownerHash: string, now: string): Promise<HeldUploadRecord | undefined>;
  /** Removes whatever the owner holds. */
  release(ownerHash: string): Promise<void>;
}

export interface HeldContactUploadsDependencies {
  readonly store: HeldUploadStore;
  readonly clock: () => Date;
  /** How long a preview can be applied (default 30 minutes). */
  readonly ttlMs?: number;
  /** All held files together (default 256 MB): beyond it the oldest are forgotten. */
  readonly maxTotalBytes?: number;
}

/**
 * The files between the portal's "Preview" and "Apply" (docs/admin-portal.md): the apply re-plans and applies the
 * very bytes that were previewed, and nothing of the plan travels through the browser, only an unguessable id posted
 * with the session's CSRF token and honoured only for the session that uploaded it. One held file per session (a new
 * preview replaces it), 30 minutes at most. Kept in the store, so any server instance can apply it.
 */
export class HeldContactUploads {
  constructor(private readonly deps: HeldContactUploadsDependencies) {}

  async hold(owner: string, filename: string, data: Buffer, options: ImportOptions): Promise<HeldUpload> {
    const id = randomBytes(18).toString('base64url');
    filename = displayableFilename(filename);
    const now = this.deps.clock();
    const expiresAt = new Date(now.getTime() + (this.deps.ttlMs ?? 30 * 60 * 1000)).toISOString();
    await this.deps.store.hold(
      {
        idHash: hashOf(id),
        ownerHash: hashOf(owner),
        filename,
        data,
        options,
        createdAt: now.toISOString(),
        expiresAt,
      },
      this.deps.maxTotalBytes ?? 256 * 1024 * 1024,
    );
    return { id, filename, data, options, expiresAt };
  }

  /** The owner's held upload with this id, if it has not expired. */
  async find(owner: string, id: string): Promise<HeldUpload | undefined> {
    const record = await this.deps.store.find(hashOf(id), hashOf(owner), this.deps.clock().toISOString());
    return record && heldUploadOf(id, record);
  }

  /** Takes the owner's held upload out for applying: a second click (or a second instance) finds nothing. */
  async take(owner: string, id: string): Promise<HeldUpload | undefined> {
    const record = await this.deps.store.take(hashOf(id), hashOf(owner), this.deps.clock().toISOString());
    return record && heldUploadOf(id, record);
  }

  /** Forgets the owner's held file (its session ended): contact data does not wait 30 minutes for nobody. */
  async release(owner: string): Promise<void> {
    await this.deps.store.release(hashOf(owner));
  }
}

/**
 * The name a browser sent, as shown back: its last path segment, without control or format characters, at most 200
 * characters (the column holds 260; a multipart header may carry 8 kB).
 */
export function displayableFilename(sent: string): string {
  const name = [...(sent.split(/[\\/]/).pop() ?? '')]
    // Control and format characters out: a right-to-left override could make a name ending ".exe" display as ".csv".
    .filter((character) => !/[\p{Cc}\p{Cf}]/u.test(character))
    .join('')
    .trim();
  return [...name].slice(0, 200).join('') || 'upload.csv';
}

function heldUploadOf(id: string, record: HeldUploadRecord): HeldUpload {
  return { id, filename: record.filename, data: record.data, options: record.options, expiresAt: record.expiresAt };
}

function hashOf(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
