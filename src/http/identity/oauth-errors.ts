import type { ErrorCode } from '../../domain/errors.js';

export interface OAuthErrorShape {
  readonly status: number;
  /** RFC 6749 error. */
  readonly error: string;
  /** Entra's AADSTS number, also in `error_codes`. */
  readonly aadsts: number;
}

/** How each domain error looks on the OAuth endpoints (RFC 6749 body plus Entra's extra fields). */
export const oauthErrors = {
  resource_not_found: { status: 400, error: 'invalid_request', aadsts: 90002 },
  invalid_request: { status: 400, error: 'invalid_request', aadsts: 900144 },
  invalid_json: { status: 400, error: 'invalid_request', aadsts: 900144 },
  unknown_property: { status: 400, error: 'invalid_request', aadsts: 900144 },
  read_only_property: { status: 400, error: 'invalid_request', aadsts: 900144 },
  invalid_property_value: { status: 400, error: 'invalid_request', aadsts: 900144 },
  property_required: { status: 400, error: 'invalid_request', aadsts: 900144 },
  on_premises_mastered: { status: 400, error: 'invalid_request', aadsts: 900144 },
  duplicate_value: { status: 400, error: 'invalid_request', aadsts: 900144 },
  unsupported_query: { status: 400, error: 'invalid_request', aadsts: 900144 },
  invalid_query: { status: 400, error: 'invalid_request', aadsts: 900144 },
  invalid_page_size: { status: 400, error: 'invalid_request', aadsts: 900144 },
  invalid_skip_token: { status: 400, error: 'invalid_request', aadsts: 900144 },
  consistency_level_required: { status: 400, error: 'invalid_request', aadsts: 900144 },
  authentication_required: { status: 401, error: 'invalid_client', aadsts: 7000215 },
  invalid_token: { status: 400, error: 'invalid_grant', aadsts: 50000 },
  expired_token: { status: 400, error: 'invalid_grant', aadsts: 700082 },
  permission_denied: { status: 400, error: 'unauthorized_client', aadsts: 700016 },
  invalid_client: { status: 401, error: 'invalid_client', aadsts: 7000215 },
  unknown_client: { status: 400, error: 'unauthorized_client', aadsts: 700016 },
  unknown_tenant: { status: 400, error: 'invalid_request', aadsts: 90002 },
  invalid_scope: { status: 400, error: 'invalid_scope', aadsts: 1002012 },
  unsupported_grant_type: { status: 400, error: 'unsupported_grant_type', aadsts: 70003 },
  missing_parameter: { status: 400, error: 'invalid_request', aadsts: 900144 },
  method_already_exists: { status: 400, error: 'invalid_request', aadsts: 900144 },
  method_prerequisite_missing: { status: 400, error: 'invalid_request', aadsts: 900144 },
  method_type_immutable: { status: 400, error: 'invalid_request', aadsts: 900144 },
  password_policy_violation: { status: 400, error: 'invalid_request', aadsts: 900144 },
  invalid_configuration: { status: 500, error: 'server_error', aadsts: 90033 },
  authorization_pending: { status: 400, error: 'authorization_pending', aadsts: 70016 },
  slow_down: { status: 400, error: 'slow_down', aadsts: 70016 },
  device_code_expired: { status: 400, error: 'expired_token', aadsts: 70019 },
  authorization_declined: { status: 400, error: 'access_denied', aadsts: 70020 },
  invalid_grant: { status: 400, error: 'invalid_grant', aadsts: 70000 },
  sync_run_in_progress: { status: 503, error: 'temporarily_unavailable', aadsts: 90033 },
  sync_deletion_threshold_exceeded: { status: 400, error: 'invalid_request', aadsts: 900144 },
} as const satisfies Record<ErrorCode, OAuthErrorShape>;

export function oauthErrorBody(
  shape: OAuthErrorShape,
  message: string,
  traceId: string,
  correlationId: string,
  now: Date,
) {
  const timestamp = now
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
  return {
    error: shape.error,
    error_description: `AADSTS${shape.aadsts}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [shape.aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
  };
}
