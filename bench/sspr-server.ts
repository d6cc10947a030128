/**
 * The server under test, as `sspr serve` runs it, in a child process of `bench/run.mjs`:
 *   node --import tsx bench/sspr-server.ts <dataDir> <logLevel>
 * The real container and Fastify app on the seeded data folder, listening on a free loopback port.
 * Logs go to stdout, which the parent points at a file (as a service manager would).
 * Tells the parent the port over the IPC channel and stops on SIGTERM.
 */
import { loadConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';
import { buildServer } from '../src/http/server.js';

const [dataDir, logLevel] = process.argv.slice(2);
if (!dataDir || !logLevel) throw new Error('usage: sspr-server.ts <dataDir> <logLevel>');

const config = loadConfig({
  env: {},
  // Throttling off: the benchmark measures what the server can serve, not the per-app limits it enforces.
  flags: { dataDir, tenantDomain: 'bench.example.com', host: '127.0.0.1', port: 0, logLevel, throttle: 'off' },
});
const container = await createContainer(config);
const app = await buildServer(container);
const address = await app.listen({ host: config.host, port: config.port });
process.send?.({ port: Number(new URL(address).port) });
process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => container.close())
    .then(() => process.exit(0));
});
