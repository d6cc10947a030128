import type { ErrorCode } from '../../domain/errors.js';

export interface LegacyGraphErrorShape {
  readonly status: number;
  readonly code: string;
}

/**
 * How each domain error looks on the legacy Azure AD Graph surface (`/{tenant}/users?api-version=1.6`):
 * the status and `odata.error.code` Azure AD Graph used (its "Error codes and error handling" page).
 */
export const legacyGraphErrors = {
  resource_not_found: { status: 404, code: 'Request_ResourceNotFound' },
  invalid_request: { status: 400, code: 'Request_BadRequest' },
  invalid_json: { status: 400, code: 'Request_BadRequest' },
  unknown_property: { status: 400, code: 'Request_BadRequest' },
  read_only_property: { status: 400, code: 'Request_BadRequest' },
  invalid_property_value: { status: 400, code: 'Request_BadRequest' },
  property_required: { status: 400, code: 'Request_BadRequest' },
  on_premises_mastered: { status: 400, code: 'Request_BadRequest' },
  duplicate_value: { status: 400, code: 'Request_BadRequest' },
  unsupported_query: { status: 400, code: 'Request_UnsupportedQuery' },
  invalid_query: { status: 400, code: 'Request_BadRequest' },
  invalid_page_size: { status: 400, code: 'Request_BadRequest' },
  invalid_skip_token: { status: 400, code: 'Directory_ExpiredPageToken' },
  consistency_level_required: { status: 400, code: 'Request_UnsupportedQuery' },
  authentication_required: { status: 401, code: 'Authentication_MissingOrMalformed' },
  invalid_token: { status: 401, code: 'Authentication_MissingOrMalformed' },
  expired_token: { status: 401, code: 'Authentication_ExpiredToken' },
  permission_denied: { status: 403, code: 'Authorization_RequestDenied' },
  invalid_client: { status: 401, code: 'Authentication_Unauthorized' },
  unknown_client: { status: 401, code: 'Authentication_Unauthorized' },
  // Only an authenticated caller gets this far (the token is checked first); one tenant per server.
  unknown_tenant: { status: 404, code: 'Request_ResourceNotFound' },
  invalid_scope: { status: 400, code: 'Request_BadRequest' },
  unsupported_grant_type: { status: 400, code: 'Request_BadRequest' },
  missing_parameter: { status: 400, code: 'Request_BadRequest' },
  method_already_exists: { status: 400, code: 'Request_BadRequest' },
  method_prerequisite_missing: { status: 400, code: 'Request_BadRequest' },
  method_type_immutable: { status: 400, code: 'Request_BadRequest' },
  password_policy_violation: { status: 400, code: 'Request_BadRequest' },
  invalid_configuration: { status: 500, code: 'Service_InternalServerError' },
  authorization_pending: { status: 400, code: 'Request_BadRequest' },
  slow_down: { status: 400, code: 'Request_BadRequest' },
  device_code_expired: { status: 400, code: 'Request_BadRequest' },
  authorization_declined: { status: 403, code: 'Authorization_RequestDenied' },
  invalid_grant: { status: 400, code: 'Request_BadRequest' },
  sync_run_in_progress: { status: 409, code: 'Request_Conflict' },
  sync_deletion_threshold_exceeded: { status: 409, code: 'Request_Conflict' },
} as const satisfies Record<ErrorCode, LegacyGraphErrorShape>;

/** Azure AD Graph's error body: `{"odata.error":{"code","message":{"lang":"en","value"}}}`. */
export function legacyGraphErrorBody(code: string, message: string) {
  return { 'odata.error': { code, message: { lang: 'en', value: message } } };
}
