import { describe, expect, it } from 'vitest';
import { auditDraft, auditInitiator, type RequestContext } from '../domain/audit.js';
import { auditEventRow, timeOrderedUuid } from './audit-writer.js';

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID with the RFC variant and the time in its first 48 bits', () => {
    const at = new Date('2026-11-25T08:00:00.123Z');
    const id = timeOrderedUuid(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at.getTime());
  });

  it('sorts ids of later events after earlier ones, and never repeats', () => {
    const ids = Array.from({ length: 50 }, (_, index) => timeOrderedUuid(new Date(1_700_000_000_000 + index)));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 1000 }, () => timeOrderedUuid(new Date(0)))).size).toBe(1000);
  });
});

describe('auditEventRow', () => {
  const draft = (context: RequestContext) =>
    auditDraft(context, {
      activity: 'Update user',
      category: 'UserManagement',
      service: 'Core Directory',
      operationType: 'Update',
      targets: [],
    });
  const admin: RequestContext = {
    principal: { kind: 'operator', name: 'alice' },
    correlationId: 'c-1',
    ipAddress: '192.0.2.1',
  };
  const app: RequestContext = {
    principal: { kind: 'application', appId: 'app-1', permissions: new Set<string>() },
    correlationId: 'c-2',
    ipAddress: null,
  };

  it('writes each event with its own initiator and time, however events of one request reuse them', () => {
    const at = new Date('2026-11-25T08:00:00.000Z');
    const first = auditEventRow(draft(admin), at);
    const again = auditEventRow(draft(admin), at);
    const other = auditEventRow(draft(app), at);
    at.setTime(at.getTime() + 1000);
    const later = auditEventRow(draft(admin), at);
    expect(JSON.parse(first.initiated_by)).toEqual({
      user: { id: null, userPrincipalName: 'operator:alice', ipAddress: '192.0.2.1' },
    });
    expect(again.initiated_by).toBe(first.initiated_by);
    expect(JSON.parse(other.initiated_by)).toEqual({ app: { appId: 'app-1', displayName: null } });
    expect([first.activity_date_time, later.activity_date_time]).toEqual([
      '2026-11-25T08:00:00.000Z',
      '2026-11-25T08:00:01.000Z',
    ]);
  });

  it('shares one frozen initiator per request context, so nothing can change what later events record', () => {
    const initiator = auditInitiator(admin);
    expect(auditInitiator(admin)).toBe(initiator);
    expect(Object.isFrozen(initiator) && Object.isFrozen(initiator.user)).toBe(true);
    expect(auditInitiator({ ...admin, ipAddress: '192.0.2.2' }).user?.ipAddress).toBe('192.0.2.2');
  });
});
