import type { Generated } from 'kysely';

/**
 * Table types. Both dialects use the same column types so repositories stay dialect-neutral:
 * booleans are integers 0/1, instants are ISO-8601 text, JSON is text.
 */
export interface Database {
  tenant: TenantTable;
  server_keys: ServerKeyTable;
  signing_keys: SigningKeyTable;
  users: UserTable;
  user_other_mails: UserOtherMailTable;
  directory_role_assignments: DirectoryRoleAssignmentTable;
  app_registrations: AppRegistrationTable;
  app_secrets: AppSecretTable;
  audit_events: AuditEventTable;
  authentication_phone_methods: AuthenticationPhoneMethodTable;
  authentication_email_methods: AuthenticationEmailMethodTable;
  security_question_answers: SecurityQuestionAnswerTable;
  custom_security_questions: CustomSecurityQuestionTable;
  sspr_policy_versions: SsprPolicyVersionTable;
  device_codes: DeviceCodeTable;
  refresh_tokens: RefreshTokenTable;
  self_service_flows: SelfServiceFlowTable;
  verification_codes: VerificationCodeTable;
  sspr_attempts: SsprAttemptTable;
  sspr_blocks: SsprBlockTable;
  send_events: SendEventTable;
  deliveries: DeliveryTable;
  outbox_messages: OutboxMessageTable;
  web_sessions: WebSessionTable;
  security_info_registrations: SecurityInfoRegistrationTable;
  directory_sync_settings: DirectorySyncSettingsTable;
  directory_sync_runs: DirectorySyncRunTable;
  directory_sync_errors: DirectorySyncErrorTable;
  directory_sync_lease: DirectorySyncLeaseTable;
  contact_import_jobs: ContactImportJobTable;
  contact_import_results: ContactImportResultTable;
  throttle_buckets: ThrottleBucketTable;
  held_contact_uploads: HeldContactUploadTable;
}

/** A throttling token bucket shared by server instances (PostgreSQL). */
export interface ThrottleBucketTable {
  key: string;
  tokens: number;
  updated_at_ms: number;
  granted: number;
}

/** A device authorization flow (RFC 8628); codes only as HMAC-SHA-256. */
export interface DeviceCodeTable {
  id: string;
  device_code_hash: string;
  user_code_hash: string;
  client_id: string;
  scopes: string;
  /** pending, approved, denied or redeemed. */
  status: string;
  user_id: string | null;
  created_at: string;
  expires_at: string;
  last_polled_at: string | null;
  decided_at: string | null;
  failed_attempts: Generated<number>;
}

/** A delegated refresh token, single use; only its HMAC-SHA-256 is kept. */
export interface RefreshTokenTable {
  token_hash: string;
  user_id: string;
  client_id: string;
  scopes: string;
  created_at: string;
  expires_at: string;
  consumed_at: string | null;
}

export interface AuthenticationPhoneMethodTable {
  user_id: string;
  phone_type: string;
  phone_number: string;
  created_at: string;
  updated_at: string;
}

export interface AuthenticationEmailMethodTable {
  user_id: string;
  email_address: string;
  created_at: string;
  updated_at: string;
}

export interface SecurityQuestionAnswerTable {
  user_id: string;
  question_id: string;
  /** argon2id of the normalised answer. */
  answer_hash: string;
  created_at: string;
}

export interface CustomSecurityQuestionTable {
  id: string;
  text: string;
  created_at: string;
}

export interface SsprPolicyVersionTable {
  version: Generated<number>;
  /** JSON of the whole policy after the change. */
  policy: string;
  changed_at: string;
  changed_by: string;
}

export interface TenantTable {
  id: string;
  default_domain: string;
  display_name: string;
  created_at: string;
}

/** Symmetric server keys (HMAC keys for client secrets, page tokens...), encrypted with the master key. */
export interface ServerKeyTable {
  name: string;
  encrypted_value: string;
  created_at: string;
}

export interface SigningKeyTable {
  kid: string;
  encrypted_private_key: string;
  public_jwk: string;
  created_at: string;
  retired_at: string | null;
}

export interface UserTable {
  id: string;
  user_principal_name: string;
  /** Lower-cased UPN: uniqueness and look-ups are case-insensitive. */
  upn_key: string;
  display_name: string | null;
  given_name: string | null;
  surname: string | null;
  mail: string | null;
  mail_nickname: string | null;
  job_title: string | null;
  office_location: string | null;
  preferred_language: string | null;
  account_enabled: number;
  mobile_phone: string | null;
  /** Graph allows at most one business phone, so it is one column. */
  business_phone: string | null;
  /** JSON array, in the order given; `user_other_mails` indexes it for filtering. */
  other_mails: string;
  created_at: string;
  updated_at: string;
  on_premises_sync_enabled: number | null;
  on_premises_immutable_id: string | null;
  on_premises_last_sync_at: string | null;
  on_premises_distinguished_name: string | null;
  on_premises_sam_account_name: string | null;
  on_premises_user_principal_name: string | null;
  on_premises_domain_name: string | null;
  on_premises_security_identifier: string | null;
  password_hash: string | null;
  password_changed_at: string | null;
  force_change_password: number;
  /** 1 when a cloud write set the mobile phone of a synced user: syncs leave it alone (SPEC section 2). */
  mobile_phone_cloud_override: Generated<number>;
  /** The directory sync run that last saw this (synced) user. */
  sync_seen_run: string | null;
  /** A synced user that left the scope: hidden from every read, purged 30 days later. */
  soft_deleted_at: string | null;
}

export interface UserOtherMailTable {
  user_id: string;
  address_key: string;
}

export interface DirectoryRoleAssignmentTable {
  id: string;
  user_id: string;
  role_template_id: string;
  created_at: string;
}

export interface AppRegistrationTable {
  id: string;
  app_id: string;
  display_name: string;
  /** JSON array of granted application permissions (Graph app-role names). */
  permissions: string;
  created_at: string;
}

export interface AppSecretTable {
  key_id: string;
  app_id: string;
  /** HMAC-SHA-256 of the secret with the server's client-secret key; never the secret. */
  secret_hash: string;
  hint: string;
  created_at: string;
  expires_at: string;
}

export interface AuditEventTable {
  seq: Generated<number>;
  id: string;
  activity_date_time: string;
  category: string;
  activity_display_name: string;
  logged_by_service: string;
  operation_type: string;
  result: string;
  result_reason: string;
  correlation_id: string;
  initiated_by: string;
  target_resources: string;
  additional_details: string;
}

export interface SelfServiceFlowTable {
  id: string;
  kind: string;
  schema_version: number;
  revision: number;
  state: string;
  user_id: string | null;
  data: string;
  csrf_hash: string;
  binding_hash: string;
  ip_address: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
}

export interface VerificationCodeTable {
  id: string;
  flow_id: string;
  channel: string;
  destination_key: string;
  code_hash: string;
  created_at: string;
  expires_at: string;
  consumed_at: string | null;
  delivery_status: string;
}

export interface SsprAttemptTable {
  id: string;
  subject_key: string;
  kind: string;
  at: string;
}

export interface SsprBlockTable {
  subject_key: string;
  user_id: string | null;
  blocked_until: string;
  reason: string;
  blocked_at: string;
}

export interface SendEventTable {
  id: string;
  destination_key: string;
  ip_address: string | null;
  channel: string;
  at: string;
}

export interface DeliveryTable {
  id: string;
  channel: string;
  purpose: string;
  recipient_masked: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface OutboxMessageTable {
  id: string;
  channel: string;
  recipient: string;
  subject: string | null;
  body: string;
  created_at: string;
}

export interface WebSessionTable {
  id_hash: string;
  user_id: string;
  csrf_hash: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface SecurityInfoRegistrationTable {
  user_id: string;
  registered_at: string | null;
  confirmed_at: string | null;
  skipped_at: string | null;
}

/** Directory sync's one settings row (`id` 1); JSON is text, the bind password sealed. */
export interface DirectorySyncSettingsTable {
  id: number;
  flavor: string;
  urls: string;
  bind_dn: string;
  bind_password: string;
  base_dns: string;
  filter: string | null;
  group_dn: string | null;
  page_size: number;
  timeout_ms: number;
  tls: string;
  interval_minutes: Generated<number>;
  mappings: string;
  mappings_version: Generated<number>;
  bypass_dir_sync_overrides_enabled: Generated<number>;
  writeback_enabled: Generated<number>;
  /** Migration 0011: a run soft-deletes at most this many users unless allowed (0: no limit). */
  deletion_threshold: Generated<number>;
  updated_at: string;
}

export interface DirectorySyncRunTable {
  id: string;
  kind: string;
  dry_run: number;
  status: string;
  started_at: string;
  finished_at: string | null;
  counts: string;
  watermark: string | null;
  message: string | null;
  /** Migration 0007: the mapping version the run used. */
  mappings_version: number | null;
  /** Migration 0011: a run stopped by the deletion threshold: the deletions it held back, and that threshold. */
  pending_deletions: number | null;
  deletion_threshold: number | null;
}

export interface DirectorySyncErrorTable {
  id: string;
  run_id: string;
  dn: string;
  anchor: string | null;
  user_id: string | null;
  type: string;
  attribute: string | null;
  message: string;
  severity: string;
}

export interface DirectorySyncLeaseTable {
  name: string;
  holder: string | null;
  expires_at: string | null;
}

/** Migration 0008: a bulk contact import of one file (docs/bulk-import.md). */
export interface ContactImportJobTable {
  id: string;
  file_hash: string;
  options: string;
  status: string;
  total_rows: number;
  rows_done: number;
  batch_size: number;
  counts: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  message: string | null;
}

export interface ContactImportResultTable {
  job_id: string;
  first_line: number;
  outcomes: string;
}

/** A CSV previewed in the admin portal and waiting to be applied (migration 0012). */
export interface HeldContactUploadTable {
  id_hash: string;
  owner_hash: string;
  filename: string;
  data: Buffer;
  size: number;
  options: string;
  created_at: string;
  expires_at: string;
}
