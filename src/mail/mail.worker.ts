import crypto from 'node:crypto';
import { createTransport } from 'nodemailer';
import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { outboxRepository } from './outbox.repository.js';
import { safeError } from '../shared/logger.js';
import { isDatabaseUnavailable } from '../db/retry.js';

/** The part of a Nodemailer transport the worker uses; tests may pass their own. */
export type MailTransport = {
  sendMail(message: {
    from: string;
    to: string | string[];
    envelope?: { from: string; to: string[] };
    subject: string;
    html?: string;
    text?: string;
    messageId: string;
    attachments: Array<{ filename: string; contentType: string; content: Buffer }>;
  }): Promise<{ rejected?: unknown[] }>;
  close(): void;
};

export type WorkerOptions = {
  transport?: MailTransport;
  workerId?: string;
  /** How long a claimed message is ours before another worker may take it over. */
  leaseMs?: number;
  /** First retry after this long, doubling each attempt, up to backoffMaxMs. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  batchSize?: number;
  /** Told of every failed send: 'temporary' when it will be tried again, 'permanent' when it is given up. */
  onSendFailure?: (failure: 'temporary' | 'permanent') => void;
};

export type RunResult = { sent: number; retried: number; failed: number };

type SmtpError = Error & { code?: string; responseCode?: number; response?: string };

/** 5xx replies are permanent; connection trouble and 4xx replies are worth another try. */
export function isPermanent(err: SmtpError): boolean {
  if (typeof err.responseCode === 'number') return err.responseCode >= 500 && err.responseCode < 600;
  return err.code === 'ECONFIG' || err.code === 'EENVELOPE' || err.code === 'EMESSAGE';
}

/** Delay before the next try after `attempts` tries: base · 2^(attempts−1), capped. */
export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

/** What the administrator sees about a failure; may name an address, so it goes to the page, never the log. */
function describe(err: SmtpError): string {
  const text = (err.response ?? err.message ?? String(err)).slice(0, 1000);
  return err.code && !text.includes(err.code) ? `${err.code}: ${text}` : text;
}

/** Sends outbox messages over SMTP (pooled); safe with several workers on one PostgreSQL. */
export function createMailWorker(
  deps: { db: Db; clock: Clock; config: Pick<Config, 'mail'>; logger: Logger },
  opts: WorkerOptions = {},
) {
  const { db, clock, config, logger } = deps;
  const workerId = opts.workerId ?? `w-${crypto.randomBytes(6).toString('hex')}`;
  const leaseMs = opts.leaseMs ?? 5 * 60_000;
  const baseMs = opts.backoffBaseMs ?? 60_000;
  const maxMs = opts.backoffMaxMs ?? 6 * 3600_000;
  const batchSize = opts.batchSize ?? 20;
  let transport: MailTransport | null = opts.transport ?? null;

  function transportOf(): MailTransport | null {
    if (transport) return transport;
    if (!config.mail.smtpUrl) return null;
    // Timeouts well inside the lease, so a hung connection cannot outlive our claim on the message.
    transport = createTransport({
      url: config.mail.smtpUrl,
      pool: true,
      maxConnections: 3,
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
    }) as unknown as MailTransport;
    return transport;
  }

  async function sendOne(id: number): Promise<keyof RunResult | null> {
    const m = await outboxRepository.byId(db, id);
    if (!m || m.status !== 'sending') return null;
    const t = transportOf();
    if (!t) return null;
    const attachments = await outboxRepository.attachmentsOf(db, id);
    const claimedAt = Date.now();
    let info: { rejected?: unknown[] };
    try {
      // Several recipients (a municipality's results) do not see each other's addresses.
      const fromAddress = /<([^>]+)>/.exec(config.mail.from)?.[1] ?? config.mail.from;
      info = await t.sendMail({
        from: config.mail.from,
        to: m.to.length > 1 ? 'Modtagere:;' : m.to,
        envelope: { from: fromAddress, to: m.to },
        subject: m.subject,
        html: m.html ?? undefined,
        text: m.text ?? undefined,
        messageId: m.messageId,
        attachments: attachments.map((a) => ({
          filename: a.filename,
          contentType: a.contentType,
          content: a.content,
        })),
      });
    } catch (e) {
      const err = e as SmtpError;
      const error = describe(err);
      const logFields = {
        outboxId: id,
        kind: m.kind,
        attempts: m.attempts,
        code: err.code,
        responseCode: err.responseCode,
      };
      if (isPermanent(err) || m.attempts >= config.mail.maxAttempts) {
        await outboxRepository.markFailed(db, id, workerId, error);
        opts.onSendFailure?.('permanent');
        logger.warn(logFields, 'mail failed');
        return 'failed';
      }
      const next = new Date(clock.now().getTime() + backoffMs(m.attempts, baseMs, maxMs));
      await outboxRepository.markRetry(db, id, workerId, next, error);
      opts.onSendFailure?.('temporary');
      logger.info({ ...logFields, nextAttemptAt: next.toISOString() }, 'mail will be retried');
      return 'retried';
    }
    // The mail server has it. Recording that must not be mistaken for a failed send (which would send it
    // again), and a database that is briefly away is waited for, well inside our lease on the message.
    const rejected = info.rejected?.length ?? 0;
    const note = rejected ? `${rejected} modtager(e) blev afvist af mailserveren.` : null;
    for (let attempt = 1; ; attempt++) {
      try {
        await outboxRepository.markSent(db, id, workerId, clock.now(), note, m.containsLink);
        break;
      } catch (err) {
        const pause = Math.min(250 * 2 ** attempt, 5_000);
        if (!isDatabaseUnavailable(err) || Date.now() + pause > claimedAt + leaseMs / 2) throw err;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
    logger.info({ outboxId: id, kind: m.kind, attempts: m.attempts, rejected }, 'mail sent');
    return 'sent';
  }

  /** One pass: claim due messages and try each once. Does nothing when no SMTP is configured. */
  async function runOnce(): Promise<RunResult> {
    const result: RunResult = { sent: 0, retried: 0, failed: 0 };
    if (!transportOf()) return result;
    const now = clock.now();
    const ids = await outboxRepository.claim(db, {
      now,
      leaseUntil: new Date(now.getTime() + leaseMs),
      workerId,
      limit: batchSize,
    });
    for (const id of ids) {
      const outcome = await sendOne(id);
      if (outcome) result[outcome] += 1;
    }
    return result;
  }

  return {
    workerId,
    runOnce,

    /** Runs a pass every intervalMs (and straight after a full batch); returns stop(). */
    start(intervalMs: number): () => void {
      if (!config.mail.smtpUrl && !opts.transport) return () => undefined;
      let running = false;
      let stopped = false;
      const run = async () => {
        if (running || stopped) return;
        running = true;
        try {
          let r: RunResult;
          do {
            r = await runOnce();
            logger.debug({ workerId, ...r }, 'mail worker pass');
          } while (!stopped && r.sent + r.retried + r.failed >= batchSize);
        } catch (err) {
          if (isDatabaseUnavailable(err))
            logger.warn({ err: safeError(err) }, 'mail worker pass skipped: database unavailable');
          else logger.error({ err: safeError(err) }, 'mail worker pass failed');
        } finally {
          running = false;
        }
      };
      void run();
      const timer = setInterval(() => void run(), intervalMs);
      timer.unref();
      return () => {
        stopped = true;
        clearInterval(timer);
        transport?.close();
      };
    },

    close(): void {
      transport?.close();
      transport = null;
    },
  };
}
export type MailWorker = ReturnType<typeof createMailWorker>;
