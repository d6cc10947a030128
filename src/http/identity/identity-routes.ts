import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import type { DeviceCodeService } from '../../services/identity/device-code-service.js';
import type { TokenService } from '../../services/identity/token-service.js';
import type { TenantContext } from '../../services/tenant/tenant-context.js';
import { baseUrlOf } from '../request-context.js';
import { deviceLoginRoutes } from './device-login-page.js';

export interface IdentityRouteOptions {
  readonly tokens: () => TokenService;
  readonly deviceCodes: () => DeviceCodeService;
  readonly tenant: TenantContext;
  readonly publicUrl: string | undefined;
}

type Form = Record<string, string | undefined>;

/** RFC 8628's grant type; Entra (and so MSAL, which sends it) also accepts the short `device_code`. */
const deviceCodeGrant = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * The identity platform endpoints MSAL needs: token, OpenID configuration, JWKS and instance discovery.
 * Every URL in them uses the host the client called, because MSAL refuses metadata naming another host.
 */
export async function identityRoutes(app: FastifyInstance, options: IdentityRouteOptions): Promise<void> {
  const { tenant } = options;

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  const assertTenant = (segment: string) => {
    if (!options.tokens().isThisTenant(segment)) throw new DomainError('unknown_tenant', { tenant: segment });
  };

  app.post('/:tenant/oauth2/v2.0/token', async (request, reply) => {
    const { tenant: segment } = request.params as { tenant: string };
    const form = formFields(request);
    const basic = basicCredentials(request);
    const grantType = form.grant_type;
    if (!grantType) throw new DomainError('missing_parameter', { parameter: 'grant_type' });
    const isDeviceCode = grantType === deviceCodeGrant || grantType === 'device_code';
    if (isDeviceCode || grantType === 'refresh_token') {
      const common = {
        tenant: segment,
        clientId: basic?.clientId ?? form.client_id,
        issuerBase: baseUrlOf(request, options.publicUrl),
        clientInfo: form.client_info === '1',
      };
      const issued = isDeviceCode
        ? await options.deviceCodes().redeemDeviceCode({ ...common, deviceCode: form.device_code })
        : await options
            .deviceCodes()
            .redeemRefreshToken({ ...common, refreshToken: form.refresh_token, scope: form.scope });
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(issued);
    }
    if (grantType !== 'client_credentials') throw new DomainError('unsupported_grant_type', { grantType });
    const issued = await options.tokens().issueForClientCredentials({
      tenant: segment,
      clientId: basic?.clientId ?? form.client_id,
      clientSecret: basic?.clientSecret ?? form.client_secret,
      scope: form.scope,
      issuerBase: baseUrlOf(request, options.publicUrl),
    });
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(issued);
  });

  // RFC 8628 device authorization: a public client (no secret) asks for a code the user enters at /devicelogin.
  app.post('/:tenant/oauth2/v2.0/devicecode', async (request, reply) => {
    const { tenant: segment } = request.params as { tenant: string };
    const form = formFields(request);
    const started = await options.deviceCodes().start({
      tenant: segment,
      clientId: form.client_id,
      scope: form.scope,
      verificationUri: `${baseUrlOf(request, options.publicUrl)}/devicelogin`,
    });
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(started);
  });

  await app.register(deviceLoginRoutes, { deviceCodes: options.deviceCodes });

  app.get('/:tenant/v2.0/.well-known/openid-configuration', async (request) => {
    const { tenant: segment } = request.params as { tenant: string };
    assertTenant(segment);
    const base = baseUrlOf(request, options.publicUrl);
    const host = new URL(base).host;
    // Entra answers with the tenant segment the client used in endpoint URLs, and the tenant id in the issuer.
    const endpoints = `${base}/${segment}`;
    return {
      token_endpoint: `${endpoints}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      jwks_uri: `${endpoints}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/${tenant.tenantId}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${base}/oidc/userinfo`,
      authorization_endpoint: `${endpoints}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${endpoints}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${endpoints}/oauth2/v2.0/logout`,
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'nbf',
        'tid',
        'oid',
        'roles',
        'scp',
        'wids',
        'appid',
        'azp',
      ],
      kerberos_endpoint: `${endpoints}/kerberos`,
      tenant_region_scope: null,
      cloud_instance_name: host,
      cloud_graph_host_name: host,
      msgraph_host: host,
      rbac_url: base,
    };
  });

  app.get('/:tenant/discovery/v2.0/keys', async (request, reply) => {
    const { tenant: segment } = request.params as { tenant: string };
    assertTenant(segment);
    return reply.header('cache-control', 'public, max-age=3600').send({ keys: tenant.jwks });
  });

  // MSAL's cloud instance discovery (`/common/discovery/instance?api-version=1.1&authorization_endpoint=...`).
  app.get('/:tenant/discovery/instance', async (request) => {
    const base = baseUrlOf(request, options.publicUrl);
    const host = new URL(base).host;
    return {
      tenant_discovery_endpoint: `${base}/${tenant.tenantId}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    };
  });
}

/**
 * The token request's parameters: only a form-encoded body counts, as at Entra (a JSON body reads as missing
 * `grant_type`), and only string values, so a value of another type can never reach the token service.
 */
function formFields(request: FastifyRequest): Form {
  const contentType = request.headers['content-type'] ?? '';
  const body = request.body;
  if (!/^application\/x-www-form-urlencoded\b/i.test(contentType) || typeof body !== 'object' || body === null)
    return {};
  return Object.fromEntries(
    Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/** HTTP Basic client authentication (RFC 6749 section 2.3.1: both parts form-url-encoded). */
function basicCredentials(request: FastifyRequest): { clientId: string; clientSecret: string } | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header) : null;
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new DomainError('invalid_client', {}, 'The HTTP Basic credentials are malformed.');
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      clientSecret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    throw new DomainError('invalid_client', {}, 'The HTTP Basic credentials are malformed.');
  }
}
