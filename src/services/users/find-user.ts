import { DomainError } from '../../domain/errors.js';
import type { DirectoryUser, SelectedUser, UserProperty, UserReference } from '../../domain/user.js';

export interface UserLookup {
  findById(id: string): Promise<DirectoryUser | undefined>;
  findByUserPrincipalName(userPrincipalName: string): Promise<DirectoryUser | undefined>;
}

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SelectedUserLookup {
  /** Reads only the columns behind `properties` (and the id). */
  findSelected(reference: UserReference, properties: readonly UserProperty[]): Promise<SelectedUser | undefined>;
}

/** Graph addresses a user by object id or by user principal name. */
export function userReference(idOrUserPrincipalName: string): UserReference {
  return guidPattern.test(idOrUserPrincipalName)
    ? { id: idOrUserPrincipalName.toLowerCase() }
    : { userPrincipalName: idOrUserPrincipalName };
}

/** The user by object id or user principal name; a miss is Graph's 404. */
export async function findUserOrFail(users: UserLookup, idOrUserPrincipalName: string): Promise<DirectoryUser> {
  const reference = userReference(idOrUserPrincipalName);
  const user =
    'id' in reference
      ? await users.findById(reference.id)
      : await users.findByUserPrincipalName(reference.userPrincipalName);
  return user ?? notFound(idOrUserPrincipalName);
}

/** `findUserOrFail` for a read that returns only `properties`. */
export async function findSelectedUserOrFail(
  users: SelectedUserLookup,
  idOrUserPrincipalName: string,
  properties: readonly UserProperty[],
): Promise<SelectedUser> {
  return (
    (await users.findSelected(userReference(idOrUserPrincipalName), properties)) ?? notFound(idOrUserPrincipalName)
  );
}

function notFound(idOrUserPrincipalName: string): never {
  throw new DomainError('resource_not_found', { resource: idOrUserPrincipalName });
}
