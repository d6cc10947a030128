import type { Kysely } from 'kysely';
import type { AuditEventDraft } from '../domain/audit.js';
import type { StoredCode, StoredFlow } from '../domain/self-service-records.js';
import { insertAuditEvent } from './audit-writer.js';
import type { Database } from './schema.js';

/** Flows and their verification codes; satisfies the self-service services' `FlowStore`. */
export class SqlSelfServiceFlowRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(flow: StoredFlow): Promise<void> {
    await this.db.insertInto('self_service_flows').values(toRow(flow)).execute();
  }

  async find(id: string): Promise<StoredFlow | undefined> {
    const row = await this.db.selectFrom('self_service_flows').selectAll().where('id', '=', id).executeTakeFirst();
    return (
      row && {
        id: row.id,
        kind: row.kind as StoredFlow['kind'],
        schemaVersion: row.schema_version,
        revision: row.revision,
        state: row.state,
        userId: row.user_id,
        data: row.data,
        csrfHash: row.csrf_hash,
        bindingHash: row.binding_hash,
        ipAddress: row.ip_address,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        expiresAt: row.expires_at,
      }
    );
  }

  /**
   * Saves the flow only if nobody saved it since it was loaded (`flow.revision - 1`), with its audit events in
   * the same transaction. False when another request won the race.
   */
  async save(flow: StoredFlow, audits: readonly AuditEventDraft[] = []): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('self_service_flows')
        .set({
          state: flow.state,
          user_id: flow.userId,
          data: flow.data,
          revision: flow.revision,
          updated_at: flow.updatedAt,
          binding_hash: flow.bindingHash,
          csrf_hash: flow.csrfHash,
        })
        .where('id', '=', flow.id)
        .where('revision', '=', flow.revision - 1)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return false;
      for (const audit of audits) await insertAuditEvent(trx, audit, new Date(flow.updatedAt));
      return true;
    });
  }

  /** A new code for the flow; any earlier unconsumed code of the flow stops working at once. */
  async replaceCode(code: StoredCode): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('verification_codes')
        .set({ consumed_at: code.createdAt })
        .where('flow_id', '=', code.flowId)
        .where('consumed_at', 'is', null)
        .execute();
      await trx
        .insertInto('verification_codes')
        .values({
          id: code.id,
          flow_id: code.flowId,
          channel: code.channel,
          destination_key: code.destinationKey,
          code_hash: code.codeHash,
          created_at: code.createdAt,
          expires_at: code.expiresAt,
          consumed_at: null,
          delivery_status: code.deliveryStatus,
        })
        .execute();
    });
  }

  async setDeliveryStatus(codeId: string, status: string): Promise<void> {
    await this.db.updateTable('verification_codes').set({ delivery_status: status }).where('id', '=', codeId).execute();
  }

  /** The flow's usable code: not consumed, not expired. */
  async activeCode(flowId: string, now: string): Promise<StoredCode | undefined> {
    const row = await this.db
      .selectFrom('verification_codes')
      .selectAll()
      .where('flow_id', '=', flowId)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return (
      row && {
        id: row.id,
        flowId: row.flow_id,
        channel: row.channel,
        destinationKey: row.destination_key,
        codeHash: row.code_hash,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        deliveryStatus: row.delivery_status,
      }
    );
  }

  /** Single use: true for exactly one caller, however many race (`UPDATE ... WHERE consumed_at IS NULL`). */
  async consumeCode(codeId: string, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('verification_codes')
      .set({ consumed_at: now })
      .where('id', '=', codeId)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async invalidateCodes(flowId: string, now: string): Promise<void> {
    await this.db
      .updateTable('verification_codes')
      .set({ consumed_at: now })
      .where('flow_id', '=', flowId)
      .where('consumed_at', 'is', null)
      .execute();
  }

  /** Removes flows (and, by cascade, their codes) that expired before `now`. */
  async purgeExpired(now: string): Promise<number> {
    const result = await this.db.deleteFrom('self_service_flows').where('expires_at', '<', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toRow(flow: StoredFlow) {
  return {
    id: flow.id,
    kind: flow.kind,
    schema_version: flow.schemaVersion,
    revision: flow.revision,
    state: flow.state,
    user_id: flow.userId,
    data: flow.data,
    csrf_hash: flow.csrfHash,
    binding_hash: flow.bindingHash,
    ip_address: flow.ipAddress,
    created_at: flow.createdAt,
    updated_at: flow.updatedAt,
    expires_at: flow.expiresAt,
  };
}
