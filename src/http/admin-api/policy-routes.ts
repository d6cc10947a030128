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
}
