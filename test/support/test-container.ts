import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { type ConfigInput, loadConfig } from '../../src/config.js';
import { type Container, createContainer } from '../../src/container.js';
import type { RequestContext } from '../../src/domain/audit.js';
import { buildServer } from '../../src/http/server.js';
import type { TestDatabase } from './databases.js';
import { createSqliteDatabase } from './databases.js';

/** Hash formats, stored-secret column names and security question material. */
const forbiddenInResponses =
  /\$argon2|password_?hash|secret_?hash|answer_?hash|"questionId"|"answer"|client_?secret"?\s*:/i;

export interface TestServer {
  readonly container: Container;
  readonly app: FastifyInstance;
  readonly dataDir: string;
  readonly database: TestDatabase;
  /** A bearer token for a new app with the given application permissions. */
  tokenFor(permissions: readonly string[]): Promise<string>;
  close(): Promise<void>;
}

export const operator: RequestContext = {
  principal: { kind: 'operator', name: 'test' },
  correlationId: 'test-correlation',
  ipAddress: null,
};

/** The real container and Fastify app on a private database (SQLite unless one is given). */
export async function createTestServer(
  options: { database?: TestDatabase; clock?: () => Date; config?: Partial<ConfigInput> } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-data-'));
  const database = options.database ?? (await createSqliteDatabase());
  const config = loadConfig({
    env: {},
    flags: { dataDir, tenantDomain: 'contoso.com', logLevel: 'silent', ...options.config },
  });
  const container = await createContainer(config, {
    database: database.store,
    logger: pino({ level: 'silent' }),
    ...(options.clock && { clock: options.clock }),
  });
  const app = await buildServer(container);
  const leaks: string[] = [];
  // Every response of every HTTP test passes this check: no hash or secret material ever leaves the server.
  app.addHook('onSend', async (request, _reply, payload) => {
    if (typeof payload === 'string' && forbiddenInResponses.test(payload))
      leaks.push(`${request.method} ${request.url}: ${payload.slice(0, 200)}`);
    return payload;
  });
  await app.ready();
  return {
    container,
    app,
    dataDir,
    database,
    async tokenFor(permissions) {
      const created = await container.apps.createApp(operator, {
        displayName: `test app ${permissions.join(' ')}`,
        permissions,
      });
      const response = await app.inject({
        method: 'POST',
        url: `/${container.tenant.tenantId}/oauth2/v2.0/token`,
        payload: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: created.app.appId,
          client_secret: created.clientSecret,
          scope: 'https://graph.microsoft.com/.default',
        }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      if (response.statusCode !== 200) throw new Error(`token request failed: ${response.body}`);
      return (response.json() as { access_token: string }).access_token;
    },
    async close() {
      await app.close();
      if (leaks.length > 0) throw new Error(`responses leaked secret material:\n${leaks.join('\n')}`);
      await database.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
