import { DomainError } from '../../domain/errors.js';
import type { DirectoryUser } from '../../domain/user.js';

export interface UserLookup {
  findById(id: string): Promise<DirectoryUser | undefined>;
  findByUserPrincipalName(userPrincipalName: string): Promise<DirectoryUser | undefined>;
}

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Graph addresses a user by object id or by user principal name; a miss is Graph's 404. */
export async function findUserOrFail(users: UserLookup, idOrUserPrincipalName: string): Promise<DirectoryUser> {
  const user = guidPattern.test(idOrUserPrincipalName)
    ? await users.findById(idOrUserPrincipalName.toLowerCase())
    : await users.findByUserPrincipalName(idOrUserPrincipalName);
  if (!user) throw new DomainError('resource_not_found', { resource: idOrUserPrincipalName });
  return user;
}
