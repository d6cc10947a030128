import { allUserProperties, defaultUserProperties, type SelectedUser, type UserProperty } from '../../domain/user.js';

export type GraphVersion = 'v1.0' | 'beta';

/** Properties returned when the client gave no `$select`: v1.0's default set, or everything on beta. */
export function defaultPropertiesFor(version: GraphVersion): readonly UserProperty[] {
  return version === 'v1.0' ? defaultUserProperties : allUserProperties;
}

export function selectUserProperties(user: SelectedUser, properties: readonly UserProperty[]): Record<string, unknown> {
  const shaped: Record<string, unknown> = {};
  for (const property of properties) shaped[property] = user[property];
  return shaped;
}

export function usersContextUrl(
  baseUrl: string,
  version: GraphVersion,
  select: readonly string[] | undefined,
  entity: boolean,
): string {
  const projection = select ? `(${select.join(',')})` : '';
  return `${baseUrl}/${version}/$metadata#users${projection}${entity ? '/$entity' : ''}`;
}
