import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import type { AuthenticationMethodService } from '../../services/authentication/authentication-method-service.js';
import { baseUrlOf, requestContextOf } from '../request-context.js';
import type { GraphVersion } from './user-representation.js';

export interface AuthenticationMethodsRouteOptions {
  readonly version: GraphVersion;
  readonly methods: () => AuthenticationMethodService;
  readonly publicUrl: string | undefined;
}

type Params = { id?: string; methodId?: string };

/**
 * `/users/{id | upn}/authentication/...` and `/me/authentication/...` (SPEC section 4 table).
 * Security questions have no route: no API ever exposes them.
 */
export async function authenticationMethodsRoutes(
  app: FastifyInstance,
  options: AuthenticationMethodsRouteOptions,
): Promise<void> {
  const service = () => options.methods();
  const contextUrl = (request: FastifyRequest, collection: string, entity = false) =>
    `${baseUrlOf(request, options.publicUrl)}/${options.version}/$metadata#users('${encodeURIComponent(targetOf(request))}')/authentication/${collection}${entity ? '/$entity' : ''}`;

  for (const base of ['/users/:id/authentication', '/me/authentication']) {
    app.get(`${base}/methods`, async (request) => ({
      '@odata.context': contextUrl(request, 'methods'),
      value: await service().listMethods(requestContextOf(request), targetOf(request)),
    }));

    app.get(`${base}/phoneMethods`, async (request) => ({
      '@odata.context': contextUrl(request, 'phoneMethods'),
      value: await service().listPhoneMethods(requestContextOf(request), targetOf(request)),
    }));
    app.get(`${base}/phoneMethods/:methodId`, async (request) => ({
      '@odata.context': contextUrl(request, 'phoneMethods', true),
      ...(await service().getPhoneMethod(requestContextOf(request), targetOf(request), methodIdOf(request))),
    }));
    app.post(`${base}/phoneMethods`, async (request, reply) => {
      const created = await service().addPhoneMethod(requestContextOf(request), targetOf(request), request.body);
      return reply.code(201).send({ '@odata.context': contextUrl(request, 'phoneMethods', true), ...created });
    });
    app.patch(`${base}/phoneMethods/:methodId`, async (request, reply) => {
      await service().updatePhoneMethod(
        requestContextOf(request),
        targetOf(request),
        methodIdOf(request),
        request.body,
      );
      return reply.code(204).send();
    });
    app.delete(`${base}/phoneMethods/:methodId`, async (request, reply) => {
      await service().deletePhoneMethod(requestContextOf(request), targetOf(request), methodIdOf(request));
      return reply.code(204).send();
    });

    app.get(`${base}/emailMethods`, async (request) => ({
      '@odata.context': contextUrl(request, 'emailMethods'),
      value: await service().listEmailMethods(requestContextOf(request), targetOf(request)),
    }));
    app.get(`${base}/emailMethods/:methodId`, async (request) => ({
      '@odata.context': contextUrl(request, 'emailMethods', true),
      ...(await service().getEmailMethod(requestContextOf(request), targetOf(request), methodIdOf(request))),
    }));
    app.post(`${base}/emailMethods`, async (request, reply) => {
      const created = await service().addEmailMethod(requestContextOf(request), targetOf(request), request.body);
      return reply.code(201).send({ '@odata.context': contextUrl(request, 'emailMethods', true), ...created });
    });
    app.patch(`${base}/emailMethods/:methodId`, async (request, reply) => {
      await service().updateEmailMethod(
        requestContextOf(request),
        targetOf(request),
        methodIdOf(request),
        request.body,
      );
      return reply.code(204).send();
    });
    app.delete(`${base}/emailMethods/:methodId`, async (request, reply) => {
      await service().deleteEmailMethod(requestContextOf(request), targetOf(request), methodIdOf(request));
      return reply.code(204).send();
    });

    app.get(`${base}/passwordMethods`, async (request) => ({
      '@odata.context': contextUrl(request, 'passwordMethods'),
      value: await service().listPasswordMethods(requestContextOf(request), targetOf(request)),
    }));
    app.get(`${base}/passwordMethods/:methodId`, async (request) => {
      const found = (await service().listPasswordMethods(requestContextOf(request), targetOf(request))).find(
        (method) => method.id === methodIdOf(request).toLowerCase(),
      );
      if (!found) throw new DomainError('resource_not_found', { resource: methodIdOf(request) });
      return { '@odata.context': contextUrl(request, 'passwordMethods', true), ...found };
    });

    app.get(`${base}/operations/:operationId`, async (request) => ({
      '@odata.context': contextUrl(request, 'operations', true),
      ...(await service().resetOperation(
        requestContextOf(request),
        targetOf(request),
        (request.params as { operationId: string }).operationId,
      )),
    }));

    app.post(`${base}/methods/:methodId/resetPassword`, async (request, reply) => {
      const result = await service().resetPassword(
        requestContextOf(request),
        targetOf(request),
        methodIdOf(request),
        request.body,
      );
      const location = `${baseUrlOf(request, options.publicUrl)}/${options.version}/users/${encodeURIComponent(targetOf(request))}/authentication/operations/${result.operationId}`;
      reply.code(202).header('location', location).header('retry-after', '0');
      return result.newPassword === undefined ? reply.send() : reply.send({ newPassword: result.newPassword });
    });
  }
}

function targetOf(request: FastifyRequest): string {
  const { id } = request.params as Params;
  if (id !== undefined) return id;
  const principal = request.principal;
  if (principal?.kind !== 'user') {
    throw new DomainError('invalid_request', {}, '/me request is only valid with delegated authentication flow.');
  }
  return principal.userId;
}

function methodIdOf(request: FastifyRequest): string {
  return (request.params as Params).methodId ?? '';
}
