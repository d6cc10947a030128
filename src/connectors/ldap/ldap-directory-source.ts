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
  /**
   * Only members of this group are in scope. AD: `memberOf` with LDAP_MATCHING_RULE_IN_CHAIN (nested groups count).
   * OpenLDAP: the group's `member`/`uniqueMember` values, read once per run (direct members; works with or without
   * the memberof overlay).
   */
  readonly groupDn?: string;
}

/** AD's LDAP_MATCHING_RULE_IN_CHAIN: `memberOf` through nested groups. */
const inChainRuleOid = '1.2.840.113556.1.4.1941';

/** AD's show-deleted control: tombstones of deleted objects come back with `isDeleted: TRUE`. */
const showDeletedControlOid = '1.2.840.113556.1.4.417';
/** The well-known GUID of a domain's Deleted Objects container (`<WKGUID=...,DC=...>`). */
const deletedObjectsWellKnownGuid = '18e2ea80684f11d2b9aa00c04f79f805';

/**
 * The directory sync's source over an LDAP directory (the sync service's `DirectorySource`): full scans, delta
 * scans from a watermark, and for OpenLDAP, which keeps no tombstones, the anchor-only scan that finds deletions.
 * Watermarks: OpenLDAP's `contextCSN` of the base (changes are found by `entryCSN`), AD's `highestCommittedUSN`
 * (changes by `uSNChanged`).
 */
export class LdapDirectorySource {
  private readonly attributes: string[];
  private readonly filter: string;
  /** AD: the `highestCommittedUSN` this source last reported, the upper end of its delta searches. */
  private readWatermark: string | undefined;
  /** OpenLDAP group scope: the group's member DNs (normalised), read once per source (one run). */
  private members: Promise<ReadonlySet<string>> | undefined;

  constructor(
    private readonly directory: LdapDirectory,
    private readonly scope: LdapSourceScope,
  ) {
    this.attributes = mappedAttributes(scope.rules, scope.flavor);
    const base =
      scope.filter ??
      (scope.flavor === 'activeDirectory'
        ? '(&(objectCategory=person)(objectClass=user))'
        : '(objectClass=inetOrgPerson)');
    this.filter =
      scope.groupDn && scope.flavor === 'activeDirectory'
        ? `(&${base}(memberOf:${inChainRuleOid}:=${escapeFilterValue(scope.groupDn)}))`
        : base;
  }

  async *pages(): AsyncIterable<readonly DirectoryEntry[]> {
    yield* this.search(this.filter, this.attributes);
  }

  async *changedSince(watermark: string): AsyncIterable<readonly DirectoryEntry[]> {
    if (await this.groupChangedSince(watermark)) {
      // Members added to the group are not changed entries themselves: read the whole (group) scope again.
      yield* this.search(this.filter, this.attributes);
      return;
    }
    if (this.scope.flavor !== 'activeDirectory') {
      yield* this.search(`(&${this.filter}(entryCSN>=${escapeFilterValue(watermark)}))`, this.attributes);
      return;
    }
    const controls = [new Control(showDeletedControlOid, { critical: true })];
    const namingContexts = await this.namingContexts();
    // Before anything is read: an account that cannot see tombstones would miss every deletion without a word.
    for (const namingContext of namingContexts) await this.assertDeletedObjectsReadable(namingContext, controls);
    // uSNChanged from the watermark up to this run's own (read first): later changes are the next run's.
    const usnRange = `(uSNChanged>=${BigInt(watermark) + 1n})${this.readWatermark ? `(uSNChanged<=${BigInt(this.readWatermark)})` : ''}`;
    const inScope = new Set<string>();
    for await (const page of this.search(`(&${this.filter}${usnRange})`, this.attributes)) {
      for (const entry of page) {
        const anchor = anchorOf(entry, this.scope.flavor);
        if (anchor) inScope.add(anchor);
      }
      yield page;
    }
    // Users that changed but are not in scope any more: deleted (tombstones live under CN=Deleted Objects, outside
    // any base DN, and need the show-deleted control), moved out of the base DNs, or no longer matching the filter.
    // Searched from the naming context, anchors only, and reported as deletions (`isDeleted: TRUE`).
    for (const namingContext of namingContexts) {
      const pages = this.directory.searchPages({
        baseDn: namingContext,
        filter: `(&(objectClass=user)(!(objectClass=computer))${usnRange})`,
        attributes: ['objectGUID', 'mS-DS-ConsistencyGuid'],
        pageSize: this.scope.pageSize ?? 1000,
        controls,
      });
      for await (const page of pages) {
        const gone = page.flatMap((entry): DirectoryEntry[] => {
          const anchor = anchorOf(entry, this.scope.flavor);
          if (!anchor || inScope.has(anchor)) return [];
          return [{ ...entry, attributes: { ...entry.attributes, isDeleted: ['TRUE'] } }];
        });
        if (gone.length > 0) yield gone;
      }
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
      this.readWatermark = usn;
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

  /**
   * AD shows deleted objects only to accounts that may read the Deleted Objects container (administrators, or an
   * account granted List Contents and Read Property on it): without that the tombstone search finds nothing.
   */
  private async assertDeletedObjectsReadable(namingContext: string, controls: readonly Control[]): Promise<void> {
    const pages = this.directory.searchPages({
      baseDn: `<WKGUID=${deletedObjectsWellKnownGuid},${namingContext}>`,
      scope: 'base',
      attributes: ['isDeleted'],
      controls,
    });
    let readable = false;
    for await (const page of pages) {
      readable ||= page.some((entry) =>
        Object.keys(entry.attributes).some((name) => name.toLowerCase() === 'isdeleted'),
      );
    }
    if (!readable) {
      throw new Error(
        `The bind account cannot read the deleted objects of ${namingContext}, so a delta run would miss deletions: grant it List Contents and Read Property on CN=Deleted Objects (dsacls /takeownership, then /G account:LCRP), or run full syncs.`,
      );
    }
  }

  /** The naming contexts (domains) holding the base DNs: the longest of the root DSE's that ends each base DN. */
  private async namingContexts(): Promise<string[]> {
    const contexts = await this.directory.namingContexts();
    const normalise = (dn: string) => dn.replace(/\s*,\s*/g, ',').toLowerCase();
    const found = new Set<string>();
    for (const baseDn of this.scope.baseDns) {
      const base = normalise(baseDn);
      const holder = contexts
        .filter((context) => base === normalise(context) || base.endsWith(`,${normalise(context)}`))
        .sort((a, b) => b.length - a.length)[0];
      found.add(holder ?? baseDn);
    }
    return [...found];
  }

  /** Whether the scope's group changed after the watermark (its membership may have). */
  private async groupChangedSince(watermark: string): Promise<boolean> {
    if (!this.scope.groupDn) return false;
    const ad = this.scope.flavor === 'activeDirectory';
    const entry = await this.directory.readEntry(this.scope.groupDn, [ad ? 'uSNChanged' : 'entryCSN']);
    if (!entry) throw new Error(`The scope's group ${this.scope.groupDn} does not exist.`);
    const value = Object.values(entry.attributes)[0]?.[0];
    if (!value) return true;
    return ad ? BigInt(value) > BigInt(watermark) : value >= watermark;
  }

  private memberDns(): Promise<ReadonlySet<string>> {
    this.members ??= (async () => {
      const groupDn = this.scope.groupDn as string;
      const entry = await this.directory.readEntry(groupDn, ['member', 'uniqueMember']);
      if (!entry) throw new Error(`The scope's group ${groupDn} does not exist.`);
      const dns = Object.entries(entry.attributes)
        .filter(([name]) => /^(member|uniqueMember)$/i.test(name))
        .flatMap(([, values]) => values);
      // uniqueMember values may end with an optional #'bitstring' UID.
      return new Set(dns.map((dn) => normalizeDn(dn.replace(/#'[01]*'B$/, ''))));
    })();
    return this.members;
  }

  private async *search(
    filter: string,
    attributes: readonly string[],
    controls?: readonly Control[],
  ): AsyncIterable<DirectoryEntry[]> {
    const members = this.scope.groupDn && this.scope.flavor !== 'activeDirectory' ? await this.memberDns() : undefined;
    for (const baseDn of this.scope.baseDns) {
      const pages = this.directory.searchPages({
        baseDn,
        filter,
        attributes,
        pageSize: this.scope.pageSize ?? 1000,
        ...(controls ? { controls } : {}),
      });
      if (!members) {
        yield* pages;
        continue;
      }
      for await (const page of pages) {
        const inGroup = page.filter((entry) => members.has(normalizeDn(entry.dn)));
        if (inGroup.length > 0) yield inGroup;
      }
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

/** A DN compared case-insensitively and without the spaces around `,` and `=`. */
function normalizeDn(dn: string): string {
  return dn.replace(/\s*([,=+])\s*/g, '$1').toLowerCase();
}

/** RFC 4515 escaping for a value inside a filter. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (char) => `\\${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
