import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './0001-initial.js';
import * as authenticationMethods from './0002-authentication-methods.js';
import * as deviceCodes from './0003-device-codes.js';
import * as deviceCodeAttempts from './0004-device-code-attempts.js';
import * as selfService from './0005-self-service.js';
import * as directorySync from './0006-directory-sync.js';
import * as directorySyncRunMappings from './0007-directory-sync-run-mappings.js';
import * as contactImports from './0008-contact-imports.js';
import * as throttleBuckets from './0009-throttle-buckets.js';
import * as usersSoftDeletedPartialIndex from './0010-users-soft-deleted-partial-index.js';
import * as directorySyncDeletionThreshold from './0011-directory-sync-deletion-threshold.js';
import * as heldContactUploads from './0012-held-contact-uploads.js';

/** Numbered migrations, listed statically so they work from `src` (tsx) and `dist` alike. */
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-authentication-methods': authenticationMethods,
  '0003-device-codes': deviceCodes,
  '0004-device-code-attempts': deviceCodeAttempts,
  '0005-self-service': selfService,
  '0006-directory-sync': directorySync,
  '0007-directory-sync-run-mappings': directorySyncRunMappings,
  '0008-contact-imports': contactImports,
  '0009-throttle-buckets': throttleBuckets,
  '0010-users-soft-deleted-partial-index': usersSoftDeletedPartialIndex,
  '0011-directory-sync-deletion-threshold': directorySyncDeletionThreshold,
  '0012-held-contact-uploads': heldContactUploads,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
