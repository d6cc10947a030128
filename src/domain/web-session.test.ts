import { describe, expect, it } from 'vitest';
import { sessionActivityDue, sessionEnded } from './web-session.js';

const at = (time: string) => new Date(`2026-11-25T${time}Z`);

describe('web session activity', () => {
  it('records activity at most once a minute', () => {
    expect(sessionActivityDue('2026-11-25T10:00:00.000Z', at('10:00:59.999'))).toBe(false);
    expect(sessionActivityDue('2026-11-25T10:00:00.000Z', at('10:01:00.000'))).toBe(true);
  });

  it('ends a session idle for its timeout, or past its hard expiry, whichever comes first', () => {
    const session = { lastSeenAt: '2026-11-25T10:00:00.000Z', expiresAt: '2026-11-25T18:00:00.000Z' };
    const idle = 30 * 60_000;
    expect(sessionEnded(session, at('10:29:59.999'), idle)).toBe(false);
    expect(sessionEnded(session, at('10:30:00.000'), idle)).toBe(true);
    expect(sessionEnded({ ...session, lastSeenAt: '2026-11-25T17:59:00.000Z' }, at('18:00:00.000'), idle)).toBe(true);
  });
});
