import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The development certificate made by `npm test` (test/support/run-tests.mjs). Node reads NODE_EXTRA_CA_CERTS only
 * at start-up, so it cannot be set from here: without it, MSAL and fetch would refuse the server's certificate.
 */
export function testCertificates(): { cert: Buffer; key: Buffer } {
  const certDir = process.env.SSPR_TEST_CERT_DIR;
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  if (!certDir || !extraCa) {
    throw new Error(
      'The contract tests talk HTTPS to a server whose certificate comes from a development CA. ' +
        'Run them with `npm test` (or `npm test -- test/contract`), which makes the CA and sets ' +
        'NODE_EXTRA_CA_CERTS and SSPR_TEST_CERT_DIR; plain `npx vitest` sets neither.',
    );
  }
  const certFile = path.join(certDir, 'cert.pem');
  const keyFile = path.join(certDir, 'key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile) || !existsSync(extraCa)) {
    throw new Error(
      `SSPR_TEST_CERT_DIR (${certDir}) must hold cert.pem and key.pem and NODE_EXTRA_CA_CERTS (${extraCa}) must ` +
        'exist. Run the tests with `npm test`, which makes them.',
    );
  }
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}
