import { describe, expect, it } from 'vitest';
import { timeOrderedUuid } from './audit-writer.js';

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
