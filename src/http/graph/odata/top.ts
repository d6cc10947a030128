/** `$top`: the page size. */
import { DomainError } from '../../../domain/errors.js';
import { defaultPageSize, maxPageSize } from '../../../domain/user-query.js';

/** Absent → the default page size; otherwise a plain integer from 1 to 999. */
export function parseTop(text: string | undefined): number {
  if (text === undefined) return defaultPageSize;
  // Digits only: Number() would also accept ' 5', '5.0', '1e2' and '0x10'.
  const size = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(size) || size < 1 || size > maxPageSize) {
    throw new DomainError('invalid_page_size', { value: text });
  }
  return size;
}
