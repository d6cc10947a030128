import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { dialectsUnderTest } from '../../support/databases.js';

const postgres = dialectsUnderTest.find((dialect) => dialect.name === 'postgres');

// Several applications (or parallel test files) share one PostgreSQL server, each in its schema. Kysely's own table
// listing failed ("schema ... does not exist") when another schema was dropped while it read the catalog.
describe('migrations on a shared PostgreSQL server', () => {
  if (postgres === undefined) {
    it('needs PostgreSQL', () => {
      throw new Error(
        'This test needs a PostgreSQL server: set SSPR_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test ' +
          '(npm test sets it when PostgreSQL answers there; apt-get install -y postgresql, database "test", trust auth).',
      );
    });
    return;
  }
  it('migrate fresh schemas while other schemas are created and dropped all the time', {
    timeout: 60_000,
  }, async () => {
    const churn = new pg.Client({ connectionString: process.env.SSPR_TEST_POSTGRES_URL });
    await churn.connect();
    let stop = false;
    let dropped = 0;
    const churning = (async () => {
      while (!stop) {
        const schema = `sspr_churn_${process.pid}_${dropped}`;
        await churn.query(`create schema ${schema}; create table ${schema}.t (id serial primary key, name text)`);
        await churn.query(`drop schema ${schema} cascade`);
        dropped += 1;
      }
    })();
    try {
      for (let round = 0; round < 8; round++) {
        const database = await (postgres as NonNullable<typeof postgres>).create();
        // Migrated to the end: the latest tables are there (read directly, not through Kysely's listing).
        const users = await database.store.db.selectFrom('users').select('id').execute();
        expect(users).toEqual([]);
        await database.dispose();
      }
    } finally {
      stop = true;
      await churning;
      await churn.end();
    }
    expect(dropped).toBeGreaterThan(8);
  });
});
