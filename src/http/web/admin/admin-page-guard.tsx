import { DomainError } from '../../../domain/errors.js';
import { sendPage } from '../page.js';
import { type AdminGuardOptions, type AdminHandler, AdminMessagePage, requireAdmin } from './admin-kit.js';

/**
 * `requireAdmin` for pages that are not about one user: a `permission_denied` from the use case becomes a 403 page
 * with `deniedText` (default: "Your directory roles don't allow this page or this action.").
 */
export function requireAdminPage(
  guard: AdminGuardOptions,
  handler: AdminHandler,
  deniedText?: (t: Parameters<AdminHandler>[2]['t']) => string,
): ReturnType<typeof requireAdmin> {
  return requireAdmin(guard, async (request, reply, view, form) => {
    try {
      return await handler(request, reply, view, form);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'permission_denied') {
        const text = deniedText ? deniedText(view.t) : view.t.pageDeniedText;
        return sendPage(reply, <AdminMessagePage view={view} heading={view.t.deniedHeading} text={text} />, 403);
      }
      throw error;
    }
  });
}
