import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';

export interface DevelopmentCertificateOptions {
  /** Extra subject alternative names; IP addresses and DNS names are told apart automatically. */
  hosts?: string[];
  /** Server certificate lifetime; at most 397 days, which browsers and Apple clients require. */
  validDays?: number;
}

export interface DevelopmentCertificates {
  caCertPem: string;
  caKeyPem: string;
  certPem: string;
  keyPem: string;
}

export interface DevelopmentCertificatePaths {
  caPath: string;
  caKeyPath: string;
  certPath: string;
  keyPath: string;
}

const CA_COMMON_NAME = 'OpenSSPR Development CA';
const CA_VALID_YEARS = 10;
const DEFAULT_SERVER_VALID_DAYS = 365;
const MAX_SERVER_VALID_DAYS = 397;
const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '::1'];
const DAY_MS = 24 * 60 * 60 * 1000;
/** Backdated so a client whose clock runs slightly behind still accepts a fresh certificate. */
const BACKDATE_MS = 60 * 60 * 1000;

export function createDevelopmentCertificates(options: DevelopmentCertificateOptions = {}): DevelopmentCertificates {
  const validDays = options.validDays ?? DEFAULT_SERVER_VALID_DAYS;
  if (!Number.isInteger(validDays) || validDays < 1 || validDays > MAX_SERVER_VALID_DAYS) {
    throw new RangeError(`validDays must be an integer from 1 to ${MAX_SERVER_VALID_DAYS}`);
  }
  const hosts = normaliseHosts([...DEFAULT_HOSTS, ...(options.hosts ?? [])]);
  const notBefore = new Date(Date.now() - BACKDATE_MS);

  const caKeys = generateRsaKeyPair();
  const caCert = forge.pki.createCertificate();
  caCert.publicKey = caKeys.forgePublicKey;
  caCert.serialNumber = randomPositiveSerial();
  caCert.validity.notBefore = notBefore;
  caCert.validity.notAfter = new Date(notBefore);
  caCert.validity.notAfter.setUTCFullYear(notBefore.getUTCFullYear() + CA_VALID_YEARS);
  const caSubject = [
    { name: 'commonName', value: CA_COMMON_NAME },
    { name: 'organizationName', value: 'OpenSSPR' },
  ];
  caCert.setSubject(caSubject);
  caCert.setIssuer(caSubject);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(caKeys.forgePrivateKey, forge.md.sha256.create());

  const serverKeys = generateRsaKeyPair();
  const serverCert = forge.pki.createCertificate();
  serverCert.publicKey = serverKeys.forgePublicKey;
  serverCert.serialNumber = randomPositiveSerial();
  serverCert.validity.notBefore = notBefore;
  serverCert.validity.notAfter = new Date(notBefore.getTime() + validDays * DAY_MS);
  serverCert.setSubject([{ name: 'commonName', value: hosts[0] ?? 'localhost' }]);
  serverCert.setIssuer(caSubject);
  serverCert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: hosts.map(toAltName) },
    { name: 'subjectKeyIdentifier' },
    // forge would otherwise derive the identifier from the leaf's own key.
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  serverCert.sign(caKeys.forgePrivateKey, forge.md.sha256.create());

  return {
    caCertPem: forge.pki.certificateToPem(caCert),
    caKeyPem: caKeys.privateKeyPem,
    certPem: forge.pki.certificateToPem(serverCert),
    keyPem: serverKeys.privateKeyPem,
  };
}

export async function writeDevelopmentCertificates(
  outDir: string,
  options: DevelopmentCertificateOptions = {},
): Promise<DevelopmentCertificatePaths> {
  const certificates = createDevelopmentCertificates(options);
  await mkdir(outDir, { recursive: true });
  const paths: DevelopmentCertificatePaths = {
    caPath: join(outDir, 'ca.pem'),
    caKeyPath: join(outDir, 'ca-key.pem'),
    certPath: join(outDir, 'cert.pem'),
    keyPath: join(outDir, 'key.pem'),
  };
  await writeWithMode(paths.caPath, certificates.caCertPem, 0o644);
  await writeWithMode(paths.certPath, certificates.certPem, 0o644);
  await writeWithMode(paths.caKeyPath, certificates.caKeyPem, 0o600);
  await writeWithMode(paths.keyPath, certificates.keyPem, 0o600);
  return paths;
}

async function writeWithMode(path: string, contents: string, mode: number): Promise<void> {
  await writeFile(path, contents, { mode });
  // writeFile's mode only applies when it creates the file (and is masked by umask).
  await chmod(path, mode);
}

interface RsaKeyPair {
  privateKeyPem: string;
  forgePrivateKey: forge.pki.rsa.PrivateKey;
  forgePublicKey: forge.pki.rsa.PublicKey;
}

/** Node's native generator is orders of magnitude faster than forge's pure-JS one. */
function generateRsaKeyPair(): RsaKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    privateKeyPem: privateKey,
    forgePrivateKey: forge.pki.privateKeyFromPem(privateKey),
    forgePublicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
  };
}

/** 128 random bits with the top bit clear (positive) and a non-zero first byte (minimal DER). */
function randomPositiveSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  return bytes.toString('hex');
}

function normaliseHosts(hosts: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const raw of hosts) {
    // Accept the bracketed IPv6 form people copy from URLs.
    const host = raw.trim().replace(/^\[(.*)\]$/, '$1');
    if (host === '' || /\s/.test(host)) throw new TypeError(`Invalid host name: ${JSON.stringify(raw)}`);
    seen.add(isIP(host) === 0 ? host.toLowerCase() : host);
  }
  return [...seen];
}

function toAltName(host: string): { type: number; value?: string; ip?: string } {
  // GeneralName tags from RFC 5280: 2 = dNSName, 7 = iPAddress.
  return isIP(host) === 0 ? { type: 2, value: host } : { type: 7, ip: host };
}
