/**
 * The bare baseline of `bench/users-walk.mjs`: `node:http` and better-sqlite3 with nothing else, in a child process:
 *   node bench/walk-baseline-server.mjs <dataDir>
 *
 * GET /v1.0/users?$top=999[&$skiptoken=<last id>] streams the next 999 users (by id, like OpenSSPR's default order)
 * from one prepared SELECT with `iterate()`, the same columns OpenSSPR's v1.0 default set is made of, shaped as
 * the same JSON members in the same order, and a `@odata.nextLink` while rows remain. No authentication, no
 * routing, no query parsing beyond the skip token, no signed token.
 */
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';

const [dataDir] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: walk-baseline-server.mjs <dataDir>');

const sqlite = new Database(path.join(dataDir, 'sspr.db'));
sqlite.pragma('journal_mode = WAL');
sqlite.pragma('synchronous = NORMAL');
sqlite.pragma('busy_timeout = 5000');

const pageSize = 999;
const columns =
  'id, user_principal_name, display_name, given_name, surname, mail, job_title, office_location, ' +
  'preferred_language, mobile_phone, business_phone';
const firstPage = sqlite.prepare(
  `select ${columns} from users where soft_deleted_at is null order by id limit ${pageSize + 1}`,
);
const nextPage = sqlite.prepare(
  `select ${columns} from users where soft_deleted_at is null and id > ? order by id limit ${pageSize + 1}`,
);

function handler(request, response) {
  const url = new URL(request.url, `http://${request.headers.host}`);
  if (url.pathname !== '/v1.0/users') {
    response.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': 2 });
    return response.end('{}');
  }
  const after = url.searchParams.get('$skiptoken');
  const rows = after === null ? firstPage.iterate() : nextPage.iterate(after);
  const base = `http://${request.headers.host}`;
  let count = 0;
  let last;
  let chunk = '';
  for (const row of rows) {
    count += 1;
    if (count > pageSize) break;
    last = row.id;
    chunk += `${count === 1 ? '' : ','}${JSON.stringify({
      businessPhones: row.business_phone === null ? [] : [row.business_phone],
      displayName: row.display_name,
      givenName: row.given_name,
      jobTitle: row.job_title,
      mail: row.mail,
      mobilePhone: row.mobile_phone,
      officeLocation: row.office_location,
      preferredLanguage: row.preferred_language,
      surname: row.surname,
      userPrincipalName: row.user_principal_name,
      id: row.id,
    })}`;
  }
  const head = `{"@odata.context":${JSON.stringify(`${base}/v1.0/$metadata#users`)},`;
  const link =
    count > pageSize
      ? `"@odata.nextLink":${JSON.stringify(`${base}/v1.0/users?$top=${pageSize}&$skiptoken=${last}`)},`
      : '';
  // `@odata.nextLink` comes before `value` (as Graph and OpenSSPR send it), so the page is sent whole.
  const body = `${head}${link}"value":[${chunk}]}`;
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

const server = http.createServer(handler);
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
