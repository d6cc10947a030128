/**
 * Bench-only seeding, run as a child process by `bench/run.mjs`:
 *   node --import tsx bench/seed.ts <dataDir> <userCount> [--password]
 * The real container creates the schema, the tenant and an app with client credentials; the users are then
 * inserted straight into the SQLite file in one transaction with one prepared statement (argon2 per user
 * would take hours and measures nothing the benchmark is about). With `--password` (`bench/reset-flow.mjs`),
 * every user gets the same argon2id hash, made once by the real hasher; without it, no password.
 * Prints one JSON line on stdout.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { Argon2PasswordHasher } from '../src/connectors/crypto/argon2-password-hasher.js';
import { createContainer } from '../src/container.js';
import type { RequestContext } from '../src/domain/audit.js';

const [dataDir, countText, passwordFlag] = process.argv.slice(2);
if (!dataDir || !countText || (passwordFlag !== undefined && passwordFlag !== '--password'))
  throw new Error('usage: seed.ts <dataDir> <userCount> [--password]');
const userCount = Number(countText);

const config = loadConfig({ env: {}, flags: { dataDir, tenantDomain: 'bench.example.com', logLevel: 'silent' } });
const container = await createContainer(config, { logger: pino({ level: 'silent' }) });
const sqlite = container.database.sqlite;
if (!sqlite) throw new Error('the benchmark seeds a SQLite store');

const operator: RequestContext = {
  principal: { kind: 'operator', name: 'bench' },
  correlationId: 'bench-seed',
  ipAddress: null,
};
const created = await container.apps.createApp(operator, {
  displayName: 'bench script',
  permissions: ['User.ReadWrite.All'],
});

const insertUser = sqlite.prepare(`insert into users (
  id, user_principal_name, upn_key, display_name, given_name, surname, mail, mail_nickname, job_title,
  office_location, preferred_language, account_enabled, mobile_phone, business_phone, other_mails,
  created_at, updated_at, password_hash, password_changed_at, force_change_password
) values (?, ?, ?, ?, ?, ?, ?, ?, null, null, 'en-US', 1, ?, ?, ?, ?, ?, ?, ?, 0)`);
const insertOtherMail = sqlite.prepare('insert into user_other_mails (user_id, address_key) values (?, ?)');
const domain = config.tenantDomain;
const now = new Date().toISOString();
const passwordHash = passwordFlag ? await new Argon2PasswordHasher().hash(`Seed-${randomUUID()}`) : null;
const started = performance.now();
sqlite.transaction(() => {
  for (let i = 0; i < userCount; i += 1) {
    const id = randomUUID();
    const nickname = `user${i}`;
    const upn = `${nickname}@${domain}`;
    const otherMail = `${nickname}.home@example.org`;
    const digits = String(i).padStart(6, '0');
    insertUser.run(
      id,
      upn,
      upn.toLowerCase(),
      `User ${i}`,
      'User',
      String(i),
      upn,
      nickname,
      `+1 425${digits}0`,
      `+1 206${digits}1`,
      JSON.stringify([otherMail]),
      now,
      now,
      passwordHash,
      passwordHash ? now : null,
    );
    insertOtherMail.run(id, otherMail.toLowerCase());
  }
})();
const seedMs = performance.now() - started;
sqlite.pragma('wal_checkpoint(TRUNCATE)');
await container.close();

process.stdout.write(
  `${JSON.stringify({
    tenantId: container.tenant.tenantId,
    domain,
    userCount,
    clientId: created.app.appId,
    clientSecret: created.clientSecret,
    seedMs: Math.round(seedMs),
  })}\n`,
);
