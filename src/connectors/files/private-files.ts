import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DomainError } from '../../domain/errors.js';

/** Writes a file only its owner can read (0600), whatever the umask and even if it existed. */
export async function writePrivateFile(file: string, content: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, content, { mode: 0o600 });
  await chmod(file, 0o600);
}

/** The master key file of the data folder: read it, or create it on first start. */
export async function loadOrCreateMasterKey(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'master.key');
  try {
    return decodeMasterKey((await readFile(file, 'utf8')).trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    // Exclusive create: when two first starts race, one key wins and both use it.
    await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return decodeMasterKey((await readFile(file, 'utf8')).trim());
  }
  await chmod(file, 0o600);
  return key;
}

export function decodeMasterKey(text: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new DomainError('invalid_configuration', {
      detail: 'the master key must be 32 bytes, base64-encoded (openssl rand -base64 32)',
    });
  }
  return key;
}

/** Where the first Global Administrator's one-time password is left for the operator. */
export function initialPasswordFile(dataDir: string) {
  return {
    async write(userPrincipalName: string, password: string): Promise<string> {
      const file = path.resolve(dataDir, 'initial-admin-password.txt');
      await writePrivateFile(
        file,
        `# One-time password of ${userPrincipalName}; change it at first sign-in, then delete this file.\n${password}\n`,
      );
      return file;
    },
  };
}
