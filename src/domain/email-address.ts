/**
 * Alternate e-mail addresses (`otherMails`, SPEC section 2) and their masked form
 * for the reset flow (SPEC section 7). Pure: no I/O.
 */

export const maxEmailAddressLength = 254;
export const maxLocalPartLength = 64;
const maxDomainLabelLength = 63;

// RFC 5322 "atext": the characters of a dot-atom, without the dot.
const localPartAtom = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
const domainLabel = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const topLevelDomain = /^[A-Za-z]{2,}$/;

/**
 * Whether a value is acceptable as an `otherMails` entry: a plain ASCII address
 * (Entra refuses accented characters) with a dot-atom local part and a host name
 * domain. Quoted local parts, IP-literal domains and surrounding whitespace are
 * refused: they are legal in RFC 5322 but never useful as a reset destination.
 */
export function isValidAlternateEmail(value: string): boolean {
  if (value.length === 0 || value.length > maxEmailAddressLength) return false;

  const parts = value.split('@');
  if (parts.length !== 2) return false;
  const [localPart = '', domain = ''] = parts;

  if (localPart.length === 0 || localPart.length > maxLocalPartLength) return false;
  // Splitting on dots and requiring every atom to be non-empty rules out leading,
  // trailing and doubled dots in one go.
  if (!localPart.split('.').every((atom) => localPartAtom.test(atom))) return false;

  const labels = domain.split('.');
  if (labels.length < 2) return false;
  if (!labels.every((label) => label.length <= maxDomainLabelLength && domainLabel.test(label))) return false;
  return topLevelDomain.test(labels[labels.length - 1] ?? '');
}

// A fixed number of asterisks, so the mask does not reveal the local part's length.
const emailMask = '*****';

/**
 * Shows the first two characters of the local part and the whole domain:
 * `emily@contoso.com` → `em*****@contoso.com`. A local part of one or two characters
 * keeps only its first (`ab@contoso.com` → `a*****@contoso.com`), so a mask never
 * shows a whole local part. A value without `@` is treated as all local part.
 */
export function maskEmailAddress(value: string): string {
  const atIndex = value.lastIndexOf('@');
  const localPart = atIndex === -1 ? value : value.slice(0, atIndex);
  const domainWithAt = atIndex === -1 ? '' : value.slice(atIndex);
  // Code points, not UTF-16 units, so a mask never splits a surrogate pair.
  const characters = [...localPart];
  const visibleCount = characters.length > 2 ? 2 : Math.min(characters.length, 1);
  return `${characters.slice(0, visibleCount).join('')}${emailMask}${domainWithAt}`;
}
