/**
 * The bare baselines: `node:http` and better-sqlite3 with nothing else, in a child process of `bench/run.mjs`:
 *   node bench/baseline-server.mjs <dataDir> <read-bytes | read-select | write>
 *
 * - read-bytes: answers GET /v1.0/users/{upn}?$select=businessPhones,mobilePhone,otherMails with the very
 *   bytes OpenSSPR returns (same body, same content-type), built from a map loaded into memory at start:
 *   no authentication, no routing, no query parsing, no database work per request.
 * - read-select: the same response built from one prepared SELECT per request (for context: the cost of
 *   the look-up itself).
 * - write: PATCH /v1.0/users/{upn}: reads the JSON body and runs one prepared UPDATE per request on the
 *   same users table (same file, same pragmas as OpenSSPR's SQLite store), answers 204.
 */
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';

const [dataDir, mode] = process.argv.slice(2);
if (!dataDir || !['read-bytes', 'read-select', 'write'].includes(mode ?? '')) {
  throw new Error('usage: baseline-server.mjs <dataDir> <read-bytes|read-select|write>');
}

const sqlite = new Database(path.join(dataDir, 'sspr.db'));
sqlite.pragma('journal_mode = WAL');
sqlite.pragma('synchronous = NORMAL');
sqlite.pragma('foreign_keys = ON');
sqlite.pragma('busy_timeout = 5000');

const prefix = '/v1.0/users/';
const selectSuffix = '?$select=businessPhones,mobilePhone,otherMails';
const contextPath = '/v1.0/$metadata#users(businessPhones,mobilePhone,otherMails)/$entity';

/** The JSON after the `@odata.context` member, exactly as Graph orders the selected properties. */
function restOf(row) {
  return JSON.stringify({
    businessPhones: row.business_phone === null ? [] : [row.business_phone],
    mobilePhone: row.mobile_phone,
    otherMails: JSON.parse(row.other_mails),
  }).slice(1);
}

function sendJson(request, response, rest) {
  const body = `{"@odata.context":${JSON.stringify(`http://${request.headers.host}${contextPath}`)},${rest}`;
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

function notFound(response) {
  response.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': 2 });
  response.end('{}');
}

function upnOf(url, suffix) {
  if (!url.startsWith(prefix)) return undefined;
  const end = suffix === '' ? url.length : url.indexOf(suffix);
  if (end < 0) return undefined;
  return decodeURIComponent(url.slice(prefix.length, end)).toLowerCase();
}

let handler;
if (mode === 'read-bytes') {
  const bodies = new Map();
  for (const row of sqlite.prepare('select upn_key, business_phone, mobile_phone, other_mails from users').iterate()) {
    bodies.set(row.upn_key, restOf(row));
  }
  handler = (request, response) => {
    const upn = upnOf(request.url, selectSuffix);
    const rest = upn === undefined ? undefined : bodies.get(upn);
    if (rest === undefined) return notFound(response);
    sendJson(request, response, rest);
  };
} else if (mode === 'read-select') {
  const select = sqlite.prepare('select business_phone, mobile_phone, other_mails from users where upn_key = ?');
  handler = (request, response) => {
    const upn = upnOf(request.url, selectSuffix);
    const row = upn === undefined ? undefined : select.get(upn);
    if (row === undefined) return notFound(response);
    sendJson(request, response, restOf(row));
  };
} else {
  const update = sqlite.prepare('update users set mobile_phone = ?, updated_at = ? where upn_key = ?');
  handler = (request, response) => {
    const upn = upnOf(request.url, '');
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const result = upn === undefined ? { changes: 0 } : update.run(body.mobilePhone, new Date().toISOString(), upn);
      if (result.changes === 0) return notFound(response);
      response.writeHead(204);
      response.end();
    });
  };
}

const server = http.createServer(handler);
// Node's default keep-alive timeout (5 s) is shorter than Fastify's (72 s); autocannon keeps its sockets busy.
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: server.address().port });
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  sqlite.close();
  process.exit(0);
});
