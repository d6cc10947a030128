/**
 * A parsed, validated query over directory users, independent of OData syntax and of SQL.
 * The Graph surface parses `$filter`/`$orderby`/`$search` into this; the store turns it into SQL.
 */

/** Scalar user properties that can be filtered and compared. */
export type FilterableScalarProperty =
  | 'id'
  | 'userPrincipalName'
  | 'displayName'
  | 'givenName'
  | 'surname'
  | 'mail'
  | 'jobTitle'
  | 'officeLocation'
  | 'preferredLanguage'
  | 'mobilePhone'
  | 'accountEnabled'
  | 'onPremisesSyncEnabled'
  | 'onPremisesImmutableId'
  | 'createdDateTime';

/** Collection properties usable in `any` lambdas. */
export type FilterableCollectionProperty = 'otherMails' | 'businessPhones';

export type FilterValue = string | boolean | null;

export type UserFilter =
  | { readonly kind: 'and'; readonly clauses: readonly UserFilter[] }
  | { readonly kind: 'or'; readonly clauses: readonly UserFilter[] }
  | { readonly kind: 'not'; readonly clause: UserFilter }
  | { readonly kind: 'eq' | 'ne'; readonly property: FilterableScalarProperty; readonly value: FilterValue }
  /** Range comparison: Graph allows it on `createdDateTime` only. `value` is an instant in `Date#toISOString()` form. */
  | { readonly kind: 'ge' | 'gt' | 'le' | 'lt'; readonly property: 'createdDateTime'; readonly value: string }
  | { readonly kind: 'startsWith'; readonly property: FilterableScalarProperty; readonly value: string }
  | { readonly kind: 'in'; readonly property: FilterableScalarProperty; readonly values: readonly FilterValue[] }
  | {
      readonly kind: 'any';
      readonly property: FilterableCollectionProperty;
      readonly operator: 'eq' | 'startsWith';
      readonly value: string;
    };

export type UserOrderProperty = 'displayName' | 'userPrincipalName';

export interface UserOrder {
  readonly property: UserOrderProperty;
  readonly direction: 'asc' | 'desc';
}

/** `$search="displayName:ada"`: tokens ANDed together, each a prefix match on one property. */
export interface UserSearchTerm {
  readonly property: 'displayName' | 'userPrincipalName' | 'mail' | 'givenName' | 'surname' | 'mobilePhone';
  readonly text: string;
}

/** Where the previous page stopped: the last row's sort key and id. */
export interface UserPageCursor {
  readonly sortValue: string | null;
  readonly id: string;
}

export interface UserListQuery {
  readonly filter?: UserFilter;
  readonly search?: readonly UserSearchTerm[];
  readonly orderBy?: UserOrder;
  readonly top: number;
  readonly after?: UserPageCursor;
}

export const defaultPageSize = 100;
export const maxPageSize = 999;
