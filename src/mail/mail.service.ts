import crypto from 'node:crypto';
import type { Config } from '../config.js';
import type { Db, DbOrTrx } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { audit } from '../shared/audit.js';
import { Conflict, NotFound } from '../shared/errors.js';
import {
  outboxRepository,
  type AttachmentInfo,
  type NewMessage,
  type OutboxMessage,
} from './outbox.repository.js';
import { renderMail } from './templates.js';

type Deps = { config: Pick<Config, 'mail' | 'publicUrl'>; clock: Clock };

/** A stable Message-ID per idempotency key, so even a receiving system can tell a repeat. */
export function messageIdFor(idempotencyKey: string, from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'parat.invalid';
  return `<${crypto.createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@${domain}>`;
}

/** Lower-cased, de-duplicated, empty ones dropped. */
export function uniqueAddresses(list: Array<string | null | undefined>): string[] {
  return [
    ...new Set(list.filter((a): a is string => Boolean(a && a.trim())).map((a) => a.trim().toLowerCase())),
  ];
}

/** Writes mail to the outbox inside the caller's transaction; the worker sends it later. */
export function createMailService(deps: Deps) {
  const { config, clock } = deps;

  async function enqueue(trx: DbOrTrx, m: Omit<NewMessage, 'messageId'>): Promise<number | null> {
    if (!m.to.length) return null;
    // Without SMTP the message is held for the development mailbox instead of waiting to be sent.
    const status = config.mail.smtpUrl ? 'pending' : 'held';
    return outboxRepository.insert(
      trx,
      { ...m, messageId: messageIdFor(m.idempotencyKey, config.mail.from) },
      status,
      clock.now(),
    );
  }

  return {
    enqueue,

    /** Whether a message with this key is already in the outbox (checked before issuing links for it). */
    async enqueueExists(trx: DbOrTrx, idempotencyKey: string): Promise<boolean> {
      return outboxRepository.exists(trx, idempotencyKey);
    },

    /** Mail to a learner who passed the final test, with the certificate link; once per certificate. */
    async enqueueTestPassed(
      trx: DbOrTrx,
      args: { to: string; name: string; certificateUrl: string },
    ): Promise<number | null> {
      const key = `test-passed:${crypto.createHash('sha256').update(`${args.to.toLowerCase()}|${args.certificateUrl}`).digest('hex')}`;
      const { html, text } = await renderMail('test-passed', {
        name: args.name,
        certificateUrl: args.certificateUrl,
        publicUrl: config.publicUrl,
      });
      return enqueue(trx, {
        idempotencyKey: key,
        kind: 'test-passed',
        to: uniqueAddresses([args.to]),
        subject: 'Du har bestået den afsluttende test i KSD',
        html,
        text,
        containsLink: false,
      });
    },
  };
}
export type MailService = ReturnType<typeof createMailService>;

/** Puts a failed message back in the queue, audited; anything else is refused. */
async function resend(deps: { db: Db; clock: Clock }, id: number, actorUserId: number): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    const m = await outboxRepository.byId(trx, id);
    if (!m) throw new NotFound('Beskeden findes ikke.');
    if (!(await outboxRepository.resetFailed(trx, id, now)))
      throw new Conflict('Kun en mislykket besked kan sendes igen.');
    await audit(trx, {
      actorUserId,
      action: 'mail.resend',
      subject: `mail:${id}`,
      details: { kind: m.kind },
      at: now,
    });
  });
}

/** The administrator's use cases on the mail log, and what the development mailbox shows. */
export function createMailAdminService(deps: { db: Db; clock: Clock }) {
  const { db } = deps;
  return {
    /** The newest messages, their attachments (without content) and the count per state. */
    async latest(limit = 200) {
      const messages = await outboxRepository.latest(db, { limit });
      const attachments = await outboxRepository.attachmentInfo(
        db,
        messages.map((m) => m.id),
      );
      const counts = await outboxRepository.countByStatus(db);
      return { messages, attachments, counts };
    },

    /** One message and its attachments (without content), or null. */
    async message(id: number): Promise<{ message: OutboxMessage; attachments: AttachmentInfo[] } | null> {
      const message = await outboxRepository.byId(db, id);
      if (!message) return null;
      const attachments = (await outboxRepository.attachmentInfo(db, [message.id])).get(message.id) ?? [];
      return { message, attachments };
    },

    /** One attachment of a message, with its content, or undefined. */
    attachment: (id: number, attachmentId: number) => outboxRepository.attachment(db, id, attachmentId),

    resend: (id: number, actorUserId: number): Promise<void> => resend(deps, id, actorUserId),
  };
}
export type MailAdminService = ReturnType<typeof createMailAdminService>;
