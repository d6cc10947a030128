import { randomBytes } from 'node:crypto';
import type { ImportOptions } from '../../../domain/contact-import.js';

/** A CSV previewed (dry run) and waiting for "Apply", bound to the admin session that uploaded it. */
export interface PendingUpload {
  readonly id: string;
  readonly sessionIdHash: string;
  readonly filename: string;
  readonly data: Buffer;
  readonly options: ImportOptions;
  readonly expiresAt: number;
}

/**
 * The files between "Preview" and "Apply", kept in this process's memory: the apply re-plans and applies the very
 * bytes that were previewed, and nothing of the plan travels through the browser (only an unguessable id, posted with
 * the session's CSRF token, and honoured only for the session that uploaded it). One pending file per session (a new
 * preview replaces it), 30 minutes at most, 256 MB in all (the oldest go first). A restart or another instance behind
 * a load balancer forgets them: the page then asks for the file again.
 */
export class PendingUploads {
  private readonly uploads = new Map<string, PendingUpload>();

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly ttlMs = 30 * 60 * 1000,
    private readonly maxBytes = 256 * 1024 * 1024,
  ) {}

  add(sessionIdHash: string, filename: string, data: Buffer, options: ImportOptions): PendingUpload {
    this.sweep();
    for (const [id, upload] of this.uploads) if (upload.sessionIdHash === sessionIdHash) this.uploads.delete(id);
    const upload: PendingUpload = {
      id: randomBytes(18).toString('base64url'),
      sessionIdHash,
      filename,
      data,
      options,
      expiresAt: this.clock() + this.ttlMs,
    };
    this.uploads.set(upload.id, upload);
    let total = 0;
    for (const entry of this.uploads.values()) total += entry.data.length;
    for (const [id, entry] of this.uploads) {
      if (total <= this.maxBytes || id === upload.id) break;
      this.uploads.delete(id);
      total -= entry.data.length;
    }
    return upload;
  }

  /** The session's pending upload with this id, if it has not expired. */
  get(sessionIdHash: string, id: string): PendingUpload | undefined {
    this.sweep();
    const upload = this.uploads.get(id);
    return upload && upload.sessionIdHash === sessionIdHash ? upload : undefined;
  }

  remove(id: string): void {
    this.uploads.delete(id);
  }

  private sweep(): void {
    const now = this.clock();
    for (const [id, upload] of this.uploads) if (upload.expiresAt <= now) this.uploads.delete(id);
  }
}
