/**
 * How long a web session's recorded last activity may lag behind before a page view writes it again. Writing it on
 * every page was a database write per page view (a third of an admin list page's SQL time). The lag only ever makes
 * an idle session end earlier than its idle timeout, never later.
 */
export const sessionActivityResolutionMs = 60_000;

/** Whether a page view at `now` must record the session's activity (stale by at least the resolution). */
export function sessionActivityDue(lastSeenAt: string, now: Date): boolean {
  return now.getTime() - Date.parse(lastSeenAt) >= sessionActivityResolutionMs;
}

/** Whether a session seen last at `lastSeenAt` has been idle too long at `now`, or has reached its hard expiry. */
export function sessionEnded(session: { lastSeenAt: string; expiresAt: string }, now: Date, idleMs: number): boolean {
  return now.getTime() >= Date.parse(session.expiresAt) || now.getTime() - Date.parse(session.lastSeenAt) >= idleMs;
}
