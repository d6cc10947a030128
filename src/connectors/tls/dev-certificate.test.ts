import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:https';
import { createServer, get } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServerIdentity } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevelopmentCertificatePaths } from './dev-certificate.js';
import { createDevelopmentCertificates, writeDevelopmentCertificates } from './dev-certificate.js';

let outDir: string;
let paths: DevelopmentCertificatePaths;
let server: Server;
let port: number;
let caPem: string;

beforeAll(async () => {
  outDir = join(await mkdtemp(join(tmpdir(), 'opensspr-tls-')), 'nested', 'certs');
  paths = await writeDevelopmentCertificates(outDir, { hosts: ['sspr.dev.test', '10.1.2.3'] });
  caPem = await readFile(paths.caPath, 'utf8');
  server = createServer(
    { cert: await readFile(paths.certPath), key: await readFile(paths.keyPath) },
    (_request, response) => {
      response.end('ok');
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  await rm(join(outDir, '..', '..'), { recursive: true, force: true });
});

function request(ca: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path: '/', servername: 'localhost', agent: false as const };
    const req = get(ca === undefined ? options : { ...options, ca }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}

describe('writeDevelopmentCertificates', () => {
  it('is trusted by the Node TLS client when the CA is given', async () => {
    await expect(request(caPem)).resolves.toBe('ok');
  });

  it('is rejected without the CA', async () => {
    await expect(request(undefined)).rejects.toMatchObject({
      code: expect.stringMatching(/CERT|SIGNATURE|ISSUER/),
    });
  });

  it('writes key files readable only by the owner', async () => {
    expect((await stat(paths.keyPath)).mode & 0o777).toBe(0o600);
    expect((await stat(paths.caKeyPath)).mode & 0o777).toBe(0o600);
    expect((await stat(paths.certPath)).mode & 0o777).toBe(0o644);
    expect(paths.caPath).toBe(join(outDir, 'ca.pem'));
  });

  it('restores 0600 when overwriting an existing key file', async () => {
    await chmod(paths.keyPath, 0o644);
    const again = await writeDevelopmentCertificates(outDir);
    expect((await stat(again.keyPath)).mode & 0o777).toBe(0o600);
    await expect(readFile(again.keyPath, 'utf8')).resolves.toContain('BEGIN PRIVATE KEY');
  });
});

describe('createDevelopmentCertificates', () => {
  const certificates = createDevelopmentCertificates({ hosts: ['[fd00::5]', 'Api.Example.Test'] });
  const ca = new X509Certificate(certificates.caCertPem);
  const leaf = new X509Certificate(certificates.certPem);

  it('makes a ten-year CA', () => {
    expect(ca.ca).toBe(true);
    expect(ca.subject).toContain('CN=OpenSSPR Development CA');
    const years = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / (365.25 * 24 * 3600 * 1000);
    expect(Math.round(years)).toBe(10);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('makes a server certificate signed by the CA with the default and extra names', () => {
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(leaf.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(leaf.subjectAltName?.split(', ').sort()).toEqual(
      [
        'DNS:localhost',
        'IP Address:127.0.0.1',
        'IP Address:0:0:0:0:0:0:0:1',
        'IP Address:FD00:0:0:0:0:0:0:5',
        'DNS:api.example.test',
      ].sort(),
    );
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('::1')).toBe('::1');
    const peer = { subject: {}, subjectaltname: leaf.subjectAltName } as Parameters<typeof checkServerIdentity>[1];
    expect(checkServerIdentity('127.0.0.1', peer)).toBeUndefined();
  });

  it('uses SHA-256, a positive serial and a 365-day default lifetime', () => {
    const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / (24 * 3600 * 1000);
    expect(days).toBe(365);
    expect(Number.parseInt(leaf.serialNumber.slice(0, 2), 16)).toBeLessThan(0x80);
    expect(leaf.serialNumber).not.toBe(ca.serialNumber);
    expect(leaf.toLegacyObject().raw.toString('hex')).toContain('2a864886f70d01010b'); // sha256WithRSAEncryption
    expect(leaf.checkPrivateKey(createPrivateKey(certificates.keyPem))).toBe(true);
  });

  it('refuses lifetimes over 397 days', () => {
    expect(() => createDevelopmentCertificates({ validDays: 398 })).toThrow(RangeError);
    expect(() => createDevelopmentCertificates({ validDays: 0 })).toThrow(RangeError);
  });
});
