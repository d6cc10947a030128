/** `$orderby`: Graph sorts users by `displayName` or `userPrincipalName` only, one key. */
import { DomainError } from '../../../domain/errors.js';
import type { UserOrder, UserOrderProperty } from '../../../domain/user-query.js';

const orderPropertyByLowerName: ReadonlyMap<string, UserOrderProperty> = new Map([
  ['displayname', 'displayName'],
  ['userprincipalname', 'userPrincipalName'],
]);

/** `displayName`, `userPrincipalName desc`, ...; absent or blank → `undefined`. */
export function parseOrderBy(text: string | undefined): UserOrder | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const words = text.trim().split(/\s+/);
  const [propertyName = '', directionName = 'asc', ...rest] = words;
  const property = orderPropertyByLowerName.get(propertyName.toLowerCase());
  const direction = directionName.toLowerCase();
  if (property === undefined) {
    // Also covers several keys (`displayName,mail`): Graph sorts users by one key only.
    throw unsupportedOrder(`Unsupported sort property '${propertyName}' for 'User'.`);
  }
  if ((direction !== 'asc' && direction !== 'desc') || rest.length > 0) {
    throw unsupportedOrder(`Unsupported $orderby clause '${text.trim()}' for 'User'.`);
  }
  return { property, direction };
}

function unsupportedOrder(message: string): DomainError {
  return new DomainError('unsupported_query', {}, message);
}
