import type { ErrorCode } from '../../domain/errors.js';

export interface GraphErrorShape {
  readonly status: number;
  readonly code: string;
}

/** How each domain error looks on the Graph surface: Graph's own status and code. */
export const graphErrors = {
  resource_not_found: { status: 404, code: 'Request_ResourceNotFound' },
  invalid_request: { status: 400, code: 'Request_BadRequest' },
  invalid_json: { status: 400, code: 'BadRequest' },
  unknown_property: { status: 400, code: 'Request_BadRequest' },
  read_only_property: { status: 400, code: 'Request_BadRequest' },
  invalid_property_value: { status: 400, code: 'Request_BadRequest' },
  property_required: { status: 400, code: 'Request_BadRequest' },
  on_premises_mastered: { status: 400, code: 'Request_BadRequest' },
  duplicate_value: { status: 400, code: 'Request_BadRequest' },
  unsupported_query: { status: 400, code: 'Request_UnsupportedQuery' },
  invalid_query: { status: 400, code: 'BadRequest' },
  invalid_page_size: { status: 400, code: 'Request_BadRequest' },
  invalid_skip_token: { status: 400, code: 'Request_BadRequest' },
  consistency_level_required: { status: 400, code: 'Request_UnsupportedQuery' },
  authentication_required: { status: 401, code: 'InvalidAuthenticationToken' },
  invalid_token: { status: 401, code: 'InvalidAuthenticationToken' },
  expired_token: { status: 401, code: 'InvalidAuthenticationToken' },
  permission_denied: { status: 403, code: 'Authorization_RequestDenied' },
  invalid_client: { status: 401, code: 'InvalidAuthenticationToken' },
  unknown_client: { status: 401, code: 'InvalidAuthenticationToken' },
  unknown_tenant: { status: 400, code: 'Request_BadRequest' },
  invalid_scope: { status: 400, code: 'Request_BadRequest' },
  unsupported_grant_type: { status: 400, code: 'Request_BadRequest' },
  missing_parameter: { status: 400, code: 'Request_BadRequest' },
  method_already_exists: { status: 400, code: 'Request_BadRequest' },
  method_prerequisite_missing: { status: 400, code: 'Request_BadRequest' },
  method_type_immutable: { status: 400, code: 'Request_BadRequest' },
  password_policy_violation: { status: 400, code: 'Request_BadRequest' },
  invalid_configuration: { status: 500, code: 'InternalServerError' },
  authorization_pending: { status: 400, code: 'Request_BadRequest' },
  slow_down: { status: 400, code: 'Request_BadRequest' },
  device_code_expired: { status: 400, code: 'Request_BadRequest' },
  authorization_declined: { status: 403, code: 'Authorization_RequestDenied' },
  invalid_grant: { status: 400, code: 'Request_BadRequest' },
  sync_run_in_progress: { status: 409, code: 'Request_Conflict' },
  sync_deletion_threshold_exceeded: { status: 409, code: 'Request_Conflict' },
} as const satisfies Record<ErrorCode, GraphErrorShape>;

/** Graph's error body. `date` has no fractional seconds, as Graph writes it. */
export function graphErrorBody(code: string, message: string, requestId: string, clientRequestId: string, now: Date) {
  return {
    error: {
      code,
      message,
      innerError: {
        date: now.toISOString().replace(/\.\d{3}Z$/, ''),
        'request-id': requestId,
        'client-request-id': clientRequestId,
      },
    },
  };
}
