/**
 * The server under test, as `sspr serve` runs it, in a child process of `bench/run.mjs`:
 *   node --import tsx bench/sspr-server.ts <dataDir> <logLevel> [sqlTraceFile]
 * The real container and Fastify app on the seeded data folder, listening on a free loopback port.
 * Logs go to stdout, which the parent points at a file (as a service manager would).
 * Tells the parent the port over the IPC channel and stops on SIGTERM.
 * With `sqlTraceFile` (`bench/admin-portal.mjs`), every SQLite statement run is appended to it as a JSON line
 * (SQL text, method, parameters), so a baseline can replay exactly the store's queries; never when measuring.
 */
import { appendFileSync } from 'node:fs';
import { loadConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';
import { buildServer } from '../src/http/server.js';

const [dataDir, logLevel, sqlTraceFile] = process.argv.slice(2);
if (!dataDir || !logLevel) throw new Error('usage: sspr-server.ts <dataDir> <logLevel>');

const config = loadConfig({
  env: {},
  // Throttling off: the benchmark measures what the server can serve, not the per-app limits it enforces.
  flags: { dataDir, tenantDomain: 'bench.example.com', host: '127.0.0.1', port: 0, logLevel, throttle: 'off' },
});
const container = await createContainer(config);
const sqlite = container.database.sqlite;
if (sqlTraceFile && sqlite) {
  // The repositories prepare lazily (on first use, after this), through this handle.
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((text: string) => {
    const statement = prepare(text);
    for (const method of ['all', 'get', 'run', 'iterate'] as const) {
      const run = statement[method].bind(statement) as (...parameters: unknown[]) => unknown;
      Object.defineProperty(statement, method, {
        value: (...parameters: unknown[]) => {
          appendFileSync(sqlTraceFile, `${JSON.stringify({ sql: text, method, parameters })}\n`);
          return run(...parameters);
        },
      });
    }
    return statement;
  }) as typeof sqlite.prepare;
}
const app = await buildServer(container);
const address = await app.listen({ host: config.host, port: config.port });
process.send?.({ port: Number(new URL(address).port) });
process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => container.close())
    .then(() => process.exit(0));
});
