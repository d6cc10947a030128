import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './0001-initial.js';
import * as authenticationMethods from './0002-authentication-methods.js';
import * as deviceCodes from './0003-device-codes.js';
import * as deviceCodeAttempts from './0004-device-code-attempts.js';
import * as selfService from './0005-self-service.js';
import * as directorySync from './0006-directory-sync.js';
import * as directorySyncRunMappings from './0007-directory-sync-run-mappings.js';
import * as usersSoftDeletedPartialIndex from './0008-users-soft-deleted-partial-index.js';

/** Numbered migrations, listed statically so they work from `src` (tsx) and `dist` alike. */
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-authentication-methods': authenticationMethods,
  '0003-device-codes': deviceCodes,
  '0004-device-code-attempts': deviceCodeAttempts,
  '0005-self-service': selfService,
  '0006-directory-sync': directorySync,
  '0007-directory-sync-run-mappings': directorySyncRunMappings,
  '0008-users-soft-deleted-partial-index': usersSoftDeletedPartialIndex,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
