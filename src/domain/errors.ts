/**
 * The one registry of domain error codes. Every surface (Graph, OAuth, CLI, web)
 * maps each code exhaustively with `satisfies Record<ErrorCode, ...>`, so adding a
 * code here fails the type check until every surface knows how to show it.
 */
export const errorCatalog = {
  resource_not_found:
    "Resource '{resource}' does not exist or one of its queried reference-property objects are not present.",
  invalid_request: 'The request is invalid.',
  invalid_json:
    'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
  unknown_property: "Property '{property}' does not exist on type 'microsoft.graph.user'.",
  read_only_property: "Property '{property}' is read-only and cannot be set.",
  invalid_property_value: "Invalid value specified for property '{property}' of resource 'User'.",
  property_required: "A value is required for property '{property}' of resource 'User'.",
  on_premises_mastered:
    'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.',
  duplicate_value: 'Another object with the same value for property {property} already exists.',
  unsupported_query: 'Unsupported Query.',
  invalid_query: 'Invalid query: {detail}',
  invalid_page_size: "Invalid page size specified: '{value}'. Must be between 1 and 999 inclusive.",
  invalid_skip_token: 'The specified page token value has expired or is invalid.',
  consistency_level_required:
    "Request with {option} query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
  authentication_required: 'Access token is empty.',
  invalid_token: 'Access token validation failure. {detail}',
  expired_token: 'Lifetime validation failed, the token is expired.',
  permission_denied: 'Insufficient privileges to complete the operation.',
  invalid_client:
    'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
  unknown_client: "Application with identifier '{clientId}' was not found in the directory '{tenant}'.",
  unknown_tenant:
    "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
  invalid_scope: "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid.",
  unsupported_grant_type: "The provided value '{grantType}' for the input parameter 'grant_type' is not valid.",
  missing_parameter: "The request body must contain the following parameter: '{parameter}'.",
  method_already_exists: "An authentication method of type '{type}' already exists for this user.",
  method_prerequisite_missing: 'An alternate mobile phone method requires a mobile phone method first.',
  method_type_immutable: 'The phoneType of an existing phone method cannot be changed; delete it and add a new one.',
  password_policy_violation:
    'The specified password does not comply with password complexity requirements. Please provide a different password.',
  invalid_configuration: 'Invalid configuration: {detail}',
  authorization_pending: 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
  slow_down: 'OAuth 2.0 device flow error. The client is polling too often; wait the interval between requests.',
  device_code_expired: 'The device code has expired. Start the sign-in again.',
  authorization_declined: 'The end user denied the authorization request.',
  invalid_grant: 'The provided value for the input parameter {parameter} is not valid or has already been used.',
  sync_run_in_progress:
    'A directory synchronization run is already in progress ({runId}); wait for it to finish before starting another.',
  sync_deletion_threshold_exceeded:
    'Directory synchronization stopped: it would soft-delete {count} users, more than the deletion threshold ({threshold}). No user was deleted; check the scope (base DNs, filter, group), then allow the deletions once or raise the threshold.',
} as const;

export type ErrorCode = keyof typeof errorCatalog;
export const errorCodes = Object.keys(errorCatalog) as ErrorCode[];

export type ErrorParams = Readonly<Record<string, string | number>>;

/** A failure the user (or client) can act on. Anything else is a bug and becomes a 500. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly params: ErrorParams;

  constructor(code: ErrorCode, params: ErrorParams = {}, message?: string) {
    super(message ?? formatErrorMessage(code, params));
    this.name = 'DomainError';
    this.code = code;
    this.params = params;
  }
}

export function formatErrorMessage(code: ErrorCode, params: ErrorParams): string {
  return errorCatalog[code].replace(/\{(\w+)\}/g, (whole, key: string) => {
    const value = params[key];
    return value === undefined ? whole : String(value);
  });
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
