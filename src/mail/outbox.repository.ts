import type { DbOrTrx } from '../db/knex.js';
import { isPostgres } from '../db/knex.js';

export type OutboxStatus = 'held' | 'pending' | 'sending' | 'sent' | 'failed';
export type MailKind = 'invitation' | 'reminder' | 'results' | 'kombit-results' | 'test-passed';

export type Attachment = { filename: string; contentType: string; content: Buffer };

export type NewMessage = {
  idempotencyKey: string;
  kind: MailKind;
  municipalityCode?: number | null;
  to: string[];
  subject: string;
  html: string;
  text: string;
  containsLink: boolean;
  messageId: string;
  attachments?: Attachment[];
};

export type OutboxMessage = {
  id: number;
  idempotencyKey: string;
  kind: MailKind;
  municipalityCode: number | null;
  to: string[];
  subject: string;
  html: string | null;
  text: string | null;
  containsLink: boolean;
  messageId: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
};

export type AttachmentInfo = { id: number; filename: string; contentType: string; size: number };

type Row = Record<string, unknown>;

const toDate = (v: unknown): Date =>
  v instanceof Date
    ? v
    : new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : (v as string | number));

const toMessage = (r: Row): OutboxMessage => ({
  id: Number(r.id),
  idempotencyKey: String(r.idempotency_key),
  kind: r.kind as MailKind,
  municipalityCode: r.municipality_code === null ? null : Number(r.municipality_code),
  to: JSON.parse(String(r.recipients)) as string[],
  subject: String(r.subject),
  html: (r.html as string | null) ?? null,
  text: (r.text as string | null) ?? null,
  containsLink: Boolean(r.contains_link),
  messageId: String(r.message_id),
  status: r.status as OutboxStatus,
  attempts: Number(r.attempts),
  nextAttemptAt: toDate(r.next_attempt_at),
  lastError: (r.last_error as string | null) ?? null,
  createdAt: toDate(r.created_at),
  sentAt: r.sent_at === null || r.sent_at === undefined ? null : toDate(r.sent_at),
});

/** Rows the worker may take: pending and due, or 'sending' whose lease ran out (a worker died mid-send). */
function claimable(q: import('knex').Knex.QueryBuilder, now: Date) {
  return q.where((w) =>
    w
      .where((a) => a.where('status', 'pending').andWhere('next_attempt_at', '<=', now))
      .orWhere((b) => b.where('status', 'sending').andWhere('claimed_until', '<', now)),
  );
}

/** SQL for the outbox and its attachments. */
export const outboxRepository = {
  /** After a restore no worker holds a claim any more: messages being sent when the backup was taken are due again. */
  async releaseAllClaims(db: DbOrTrx): Promise<number> {
    return db('outbox')
      .where({ status: 'sending' })
      .update({ status: 'pending', claimed_until: null, claimed_by: null });
  },

  async exists(db: DbOrTrx, idempotencyKey: string): Promise<boolean> {
    return Boolean(await db('outbox').where({ idempotency_key: idempotencyKey }).first('id'));
  },

  /** Inserts a message unless its idempotency key is already there; returns the new id or null. */
  async insert(db: DbOrTrx, m: NewMessage, status: 'held' | 'pending', now: Date): Promise<number | null> {
    const rows = (await db('outbox')
      .insert({
        idempotency_key: m.idempotencyKey,
        kind: m.kind,
        municipality_code: m.municipalityCode ?? null,
        recipients: JSON.stringify(m.to),
        subject: m.subject,
        html: m.html,
        text: m.text,
        contains_link: m.containsLink,
        message_id: m.messageId,
        status,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
      })
      .onConflict('idempotency_key')
      .ignore()
      .returning('id')) as Array<{ id: number } | number>;
    const first = rows[0];
    if (first === undefined) return null;
    const id = Number(typeof first === 'object' ? first.id : first);
    for (const a of m.attachments ?? []) {
      await db('outbox_attachments').insert({
        outbox_id: id,
        filename: a.filename,
        content_type: a.contentType,
        content: a.content,
        size: a.content.length,
      });
    }
    return id;
  },

  /**
   * Marks up to `limit` due messages as 'sending' for this worker, with a lease. On PostgreSQL the rows are
   * locked with FOR UPDATE SKIP LOCKED so two workers never take the same row; SQLite has one writer, and
   * the conditional UPDATE alone decides.
   */
  async claim(
    db: DbOrTrx,
    opts: { now: Date; leaseUntil: Date; workerId: string; limit: number },
  ): Promise<number[]> {
    return db.transaction(async (trx) => {
      let q = claimable(trx('outbox').select('id'), opts.now).orderBy('id').limit(opts.limit);
      if (isPostgres(trx)) q = q.forUpdate().skipLocked();
      const ids = (await q).map((r: Row) => Number(r.id));
      const claimed: number[] = [];
      for (const id of ids) {
        const n = await claimable(trx('outbox').where({ id }), opts.now).update({
          status: 'sending',
          claimed_until: opts.leaseUntil,
          claimed_by: opts.workerId,
          attempts: trx.raw('attempts + 1'),
        });
        if (n) claimed.push(id);
      }
      return claimed;
    });
  },

  async byId(db: DbOrTrx, id: number): Promise<OutboxMessage | undefined> {
    const row = await db('outbox').where({ id }).first();
    return row ? toMessage(row) : undefined;
  },

  async attachmentsOf(db: DbOrTrx, outboxId: number): Promise<Array<Attachment & { id: number }>> {
    const rows = await db('outbox_attachments').where({ outbox_id: outboxId }).orderBy('id');
    return rows.map((r: Row) => ({
      id: Number(r.id),
      filename: String(r.filename),
      contentType: String(r.content_type),
      content: Buffer.from(r.content as Buffer),
    }));
  },

  async attachmentInfo(db: DbOrTrx, outboxIds: number[]): Promise<Map<number, AttachmentInfo[]>> {
    const out = new Map<number, AttachmentInfo[]>();
    if (!outboxIds.length) return out;
    const rows = await db('outbox_attachments')
      .whereIn('outbox_id', outboxIds)
      .orderBy('id')
      .select('id', 'outbox_id', 'filename', 'content_type', 'size');
    for (const r of rows as Row[]) {
      const list = out.get(Number(r.outbox_id)) ?? [];
      list.push({
        id: Number(r.id),
        filename: String(r.filename),
        contentType: String(r.content_type),
        size: Number(r.size),
      });
      out.set(Number(r.outbox_id), list);
    }
    return out;
  },

  async attachment(
    db: DbOrTrx,
    outboxId: number,
    attachmentId: number,
  ): Promise<(Attachment & { id: number }) | undefined> {
    const r = (await db('outbox_attachments').where({ outbox_id: outboxId, id: attachmentId }).first()) as
      Row | undefined;
    return r
      ? {
          id: Number(r.id),
          filename: String(r.filename),
          contentType: String(r.content_type),
          content: Buffer.from(r.content as Buffer),
        }
      : undefined;
  },

  /** Sent: only by the worker holding the lease; bodies with a personal link are cleared. */
  async markSent(
    db: DbOrTrx,
    id: number,
    workerId: string,
    now: Date,
    note: string | null,
    scrubBody: boolean,
  ): Promise<void> {
    await db('outbox')
      .where({ id, status: 'sending', claimed_by: workerId })
      .update({
        status: 'sent',
        sent_at: now,
        claimed_until: null,
        last_error: note,
        ...(scrubBody ? { html: null, text: null } : {}),
      });
  },

  async markRetry(
    db: DbOrTrx,
    id: number,
    workerId: string,
    nextAttemptAt: Date,
    error: string,
  ): Promise<void> {
    await db('outbox')
      .where({ id, status: 'sending', claimed_by: workerId })
      .update({ status: 'pending', next_attempt_at: nextAttemptAt, claimed_until: null, last_error: error });
  },

  async markFailed(db: DbOrTrx, id: number, workerId: string, error: string): Promise<void> {
    await db('outbox')
      .where({ id, status: 'sending', claimed_by: workerId })
      .update({ status: 'failed', claimed_until: null, last_error: error });
  },

  /** A failed message goes back in the queue with a fresh count of attempts. */
  async resetFailed(db: DbOrTrx, id: number, now: Date): Promise<boolean> {
    const n = await db('outbox').where({ id, status: 'failed' }).update({
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      claimed_by: null,
      claimed_until: null,
    });
    return n > 0;
  },

  async latest(db: DbOrTrx, opts: { limit: number; status?: OutboxStatus }): Promise<OutboxMessage[]> {
    const q = db('outbox').orderBy('id', 'desc').limit(opts.limit);
    if (opts.status) q.where({ status: opts.status });
    return (await q).map(toMessage);
  },

  async countByStatus(db: DbOrTrx): Promise<Record<string, number>> {
    const rows = (await db('outbox').groupBy('status').select('status').count({ n: '*' })) as Array<{
      status: string;
      n: number | string;
    }>;
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  },

  /** Creation time of the oldest message still to go out (queued, due or being sent); null when none. */
  async oldestPendingAt(db: DbOrTrx): Promise<Date | null> {
    const row = (await db('outbox')
      .whereIn('status', ['pending', 'sending'])
      .min({ at: 'created_at' })
      .first()) as { at: unknown } | undefined;
    return row?.at === null || row?.at === undefined ? null : toDate(row.at);
  },

  /** The idempotency keys that start with `prefix` (a feature reading back which of its own mails exist). */
  async keysWithPrefix(db: DbOrTrx, prefix: string): Promise<string[]> {
    // LIKE treats _ and % as wildcards; the exact prefix check below drops what they let through.
    const keys = (await db('outbox')
      .where('idempotency_key', 'like', `${prefix}%`)
      .pluck('idempotency_key')) as string[];
    return keys.filter((k) => k.startsWith(prefix));
  },

  /**
   * Forgets people's addresses (GDPR art. 17): mail to no one else that is not sent yet is dropped; in every
   * other message the address is removed from the recipients (a message left with none keeps "[slettet]").
   */
  async forgetAddresses(db: DbOrTrx, emails: readonly string[]): Promise<void> {
    for (const email of emails) {
      const address = email.toLowerCase();
      const rows = await db('outbox')
        .where('recipients', 'like', `%${address}%`)
        .select('id', 'recipients', 'status');
      for (const r of rows) {
        const list = (JSON.parse(r.recipients) as string[]).filter((a) => a.toLowerCase() !== address);
        if (!list.length && ['pending', 'held', 'failed'].includes(String(r.status)))
          await db('outbox').where({ id: r.id }).delete();
        else
          await db('outbox')
            .where({ id: r.id })
            .update({ recipients: JSON.stringify(list.length ? list : ['[slettet]']) });
      }
    }
  },
};
