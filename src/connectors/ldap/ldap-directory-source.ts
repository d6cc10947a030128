import { Control } from 'ldapts';
import type { DirectoryEntry, DirectoryFlavor, MappingRule } from '../../domain/directory-mapping.js';
import { anchorOf, mappedAttributes } from '../../domain/directory-mapping.js';
import type { LdapDirectory } from './ldap-directory.js';

export interface LdapSourceScope {
  readonly flavor: DirectoryFlavor;
  readonly baseDns: readonly string[];
  /** An LDAP filter for the users in scope; default: people (`inetOrgPerson`) or AD user accounts. */
  readonly filter?: string;
  readonly pageSize?: number;
  readonly rules: readonly MappingRule[];
}

/** AD's show-deleted control: tombstones of deleted objects come back with `isDeleted: TRUE`. */
const showDeletedControlOid = '1.2.840.113556.1.4.417';

/**
 * The directory sync's source over an LDAP directory (the sync service's `DirectorySource`): full scans, delta
 * scans from a watermark, and for OpenLDAP, which keeps no tombstones, the anchor-only scan that finds deletions.
 * Watermarks: OpenLDAP's `contextCSN` of the base (changes are found by `entryCSN`), AD's `highestCommittedUSN`
 * (changes by `uSNChanged`).
 */
export class LdapDirectorySource {
  private readonly attributes: string[];
  private readonly filter: string;

  constructor(
    private readonly directory: LdapDirectory,
    private readonly scope: LdapSourceScope,
  ) {
    this.attributes = mappedAttributes(scope.rules, scope.flavor);
    this.filter =
      scope.filter ??
      (scope.flavor === 'activeDirectory'
        ? '(&(objectCategory=person)(objectClass=user))'
        : '(objectClass=inetOrgPerson)');
  }

  async *pages(): AsyncIterable<readonly DirectoryEntry[]> {
    yield* this.search(this.filter, this.attributes);
  }

  async *changedSince(watermark: string): AsyncIterable<readonly DirectoryEntry[]> {
    const changed =
      this.scope.flavor === 'activeDirectory'
        ? `(&${this.filter}(uSNChanged>=${BigInt(watermark) + 1n}))`
        : `(&${this.filter}(entryCSN>=${escapeFilterValue(watermark)}))`;
    yield* this.search(changed, this.attributes);
    if (this.scope.flavor === 'activeDirectory') {
      // Deleted users, as tombstones: only their anchor matters.
      const deleted = `(&(isDeleted=TRUE)(objectClass=user)(uSNChanged>=${BigInt(watermark) + 1n}))`;
      yield* this.search(
        deleted,
        ['objectGUID', 'isDeleted'],
        [new Control(showDeletedControlOid, { critical: true })],
      );
    }
  }

  /** The entries in scope with these anchors (base64 of `entryUUID`, or of AD's GUID), 100 per search. */
  async *entriesByAnchor(anchors: readonly string[]): AsyncIterable<readonly DirectoryEntry[]> {
    for (let index = 0; index < anchors.length; index += 100) {
      const terms = anchors.slice(index, index + 100).map((anchor) => anchorFilter(anchor, this.scope.flavor));
      yield* this.search(`(&${this.filter}(|${terms.join('')}))`, this.attributes);
    }
  }

  /** OpenLDAP only: every anchor in scope, a page at a time. */
  async *anchors(): AsyncIterable<readonly string[]> {
    for await (const page of this.search(this.filter, ['entryUUID'])) {
      yield page.map((entry) => anchorOf(entry, this.scope.flavor)).filter((anchor): anchor is string => !!anchor);
    }
  }

  async currentWatermark(): Promise<string> {
    if (this.scope.flavor === 'activeDirectory') {
      const usn = await this.directory.highestCommittedUsn();
      if (!usn) throw new Error('The directory did not report highestCommittedUSN.');
      return usn;
    }
    // contextCSN sits on the database's suffix, which may be above the base DN: walk up until one answers.
    let newest = '';
    for (const baseDn of this.scope.baseDns) {
      const parts = baseDn.split(/,(?=[A-Za-z][\w-]*=)/);
      for (let index = 0; index < parts.length; index++) {
        const csn = await this.directory.contextCsn(parts.slice(index).join(','));
        if (csn) {
          if (csn > newest) newest = csn;
          break;
        }
      }
    }
    if (!newest) throw new Error('The directory reported no contextCSN (is the syncprov overlay on?).');
    return newest;
  }

  private async *search(
    filter: string,
    attributes: readonly string[],
    controls?: readonly Control[],
  ): AsyncIterable<DirectoryEntry[]> {
    for (const baseDn of this.scope.baseDns) {
      yield* this.directory.searchPages({
        baseDn,
        filter,
        attributes,
        pageSize: this.scope.pageSize ?? 1000,
        ...(controls ? { controls } : {}),
      });
    }
  }
}

/** A filter term matching the entry of an anchor (`anchorOf`'s base64). */
function anchorFilter(anchor: string, flavor: DirectoryFlavor): string {
  const hex = Buffer.from(anchor, 'base64').toString('hex');
  if (flavor === 'activeDirectory') {
    const escaped = hex.replace(/(..)/g, '\\$1');
    return `(|(objectGUID=${escaped})(mS-DS-ConsistencyGuid=${escaped}))`;
  }
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return `(entryUUID=${escapeFilterValue(uuid)})`;
}

/** RFC 4515 escaping for a value inside a filter. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (char) => `\\${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
