import type { FastifyInstance } from 'fastify';
import type { SsprPolicyService } from '../../services/policy/sspr-policy-service.js';
import { requestContextOf } from '../request-context.js';

/**
 * OpenSSPR's own admin endpoint for the password reset policy (Entra has no Graph API for it):
 * `GET`/`PATCH /api/admin/v1/passwordResetPolicy` and `GET .../history`, bearer-authenticated,
 * errors in Graph's shape. PATCH takes any subset of the fields and returns the policy now in force.
 */
export async function policyRoutes(
  app: FastifyInstance,
  options: { readonly policies: () => SsprPolicyService },
): Promise<void> {
  app.get('/passwordResetPolicy', async (request) => options.policies().get(requestContextOf(request)));
  app.patch('/passwordResetPolicy', async (request) =>
    options.policies().change(requestContextOf(request), request.body),
  );
  app.get('/passwordResetPolicy/history', async (request) => ({
    value: await options.policies().history(requestContextOf(request)),
  }));
  app.get('/securityQuestions', async (request) => ({
    value: await options.policies().securityQuestions(requestContextOf(request)),
  }));
  app.post('/securityQuestions', async (request, reply) => {
    const body = (request.body ?? {}) as { text?: unknown };
    return reply.code(201).send(await options.policies().addCustomQuestion(requestContextOf(request), body.text));
  });
  app.delete('/securityQuestions/:id', async (request, reply) => {
    await options.policies().removeCustomQuestion(requestContextOf(request), (request.params as { id: string }).id);
    return reply.code(204).send();
  });
}
