import crypto from 'node:crypto';
import { createTransport } from 'nodemailer';
import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { outboxRepository, type Attachment, type OutboxMessage } from './outbox.repository.js';
import { safeError } from '../shared/logger.js';
import { isDatabaseUnavailable } from '../db/errors.js';

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

type WorkerDeps = { db: Db; clock: Clock; config: Pick<Config, 'mail'>; logger: Logger };

/** One worker's settings and its (lazily opened) SMTP transport, shared by the functions below. */
type Worker = WorkerDeps & {
  opts: WorkerOptions;
  workerId: string;
  leaseMs: number;
  baseMs: number;
  maxMs: number;
  batchSize: number;
  transport: MailTransport | null;
};

/** The pooled SMTP transport, opened on first use; null when no SMTP server is configured. */
function transportOf(w: Worker): MailTransport | null {
  if (w.transport) return w.transport;
  if (!w.config.mail.smtpUrl) return null;
  // Timeouts well inside the lease, so a hung connection cannot outlive our claim on the message.
  w.transport = createTransport({
    url: w.config.mail.smtpUrl,
    pool: true,
    maxConnections: 3,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  }) as unknown as MailTransport;
  return w.transport;
}

/** Hands one message to the SMTP server. */
async function deliver(
  w: Worker,
  t: MailTransport,
  m: OutboxMessage,
  attachments: Attachment[],
): Promise<{ rejected?: unknown[] }> {
  // Several recipients (a municipality's results) do not see each other's addresses.
  const fromAddress = /<([^>]+)>/.exec(w.config.mail.from)?.[1] ?? w.config.mail.from;
  return t.sendMail({
    from: w.config.mail.from,
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
}

/** Records a failed send: given up when permanent or out of attempts, otherwise tried again after a backoff. */
async function recordFailure(w: Worker, m: OutboxMessage, err: SmtpError): Promise<'failed' | 'retried'> {
  const error = describe(err);
  const logFields = {
    outboxId: m.id,
    kind: m.kind,
    attempts: m.attempts,
    code: err.code,
    responseCode: err.responseCode,
  };
  if (isPermanent(err) || m.attempts >= w.config.mail.maxAttempts) {
    await outboxRepository.markFailed(w.db, m.id, w.workerId, error);
    w.opts.onSendFailure?.('permanent');
    w.logger.warn(logFields, 'mail failed');
    return 'failed';
  }
  const next = new Date(w.clock.now().getTime() + backoffMs(m.attempts, w.baseMs, w.maxMs));
  await outboxRepository.markRetry(w.db, m.id, w.workerId, next, error);
  w.opts.onSendFailure?.('temporary');
  w.logger.info({ ...logFields, nextAttemptAt: next.toISOString() }, 'mail will be retried');
  return 'retried';
}

/**
 * The mail server has it. Recording that must not be mistaken for a failed send (which would send it
 * again), and a database that is briefly away is waited for, well inside our lease on the message.
 * `claimedAt` is wall time, like the lease's own expiry, not the app's injectable clock.
 */
async function recordSent(
  w: Worker,
  m: OutboxMessage,
  note: string | null,
  claimedAt: number,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await outboxRepository.markSent(w.db, m.id, w.workerId, w.clock.now(), note, m.containsLink);
      return;
    } catch (err) {
      const pause = Math.min(250 * 2 ** attempt, 5_000);
      if (!isDatabaseUnavailable(err) || Date.now() + pause > claimedAt + w.leaseMs / 2) throw err;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/** Tries one claimed message once; null when it is no longer ours to send. */
async function sendOne(w: Worker, id: number): Promise<keyof RunResult | null> {
  const m = await outboxRepository.byId(w.db, id);
  if (!m || m.status !== 'sending') return null;
  const t = transportOf(w);
  if (!t) return null;
  // Read before the send, so a database error here is not taken for a failed send.
  const attachments = await outboxRepository.attachmentsOf(w.db, id);
  const claimedAt = Date.now();
  let info: { rejected?: unknown[] };
  try {
    info = await deliver(w, t, m, attachments);
  } catch (e) {
    return recordFailure(w, m, e as SmtpError);
  }
  const rejected = info.rejected?.length ?? 0;
  await recordSent(w, m, rejected ? `${rejected} modtager(e) blev afvist af mailserveren.` : null, claimedAt);
  w.logger.info({ outboxId: id, kind: m.kind, attempts: m.attempts, rejected }, 'mail sent');
  return 'sent';
}

/** One pass: claim due messages and try each once. Does nothing when no SMTP is configured. */
async function runOnce(w: Worker): Promise<RunResult> {
  const result: RunResult = { sent: 0, retried: 0, failed: 0 };
  if (!transportOf(w)) return result;
  const now = w.clock.now();
  const ids = await outboxRepository.claim(w.db, {
    now,
    leaseUntil: new Date(now.getTime() + w.leaseMs),
    workerId: w.workerId,
    limit: w.batchSize,
  });
  for (const id of ids) {
    const outcome = await sendOne(w, id);
    if (outcome) result[outcome] += 1;
  }
  return result;
}

/** Runs a pass every intervalMs (and straight after a full batch); returns stop(). */
function start(w: Worker, intervalMs: number): () => void {
  if (!w.config.mail.smtpUrl && !w.opts.transport) return () => undefined;
  let running = false;
  let stopped = false;
  const run = async () => {
    if (running || stopped) return;
    running = true;
    try {
      let r: RunResult;
      do {
        r = await runOnce(w);
        w.logger.debug({ workerId: w.workerId, ...r }, 'mail worker pass');
      } while (!stopped && r.sent + r.retried + r.failed >= w.batchSize);
    } catch (err) {
      if (isDatabaseUnavailable(err))
        w.logger.warn({ err: safeError(err) }, 'mail worker pass skipped: database unavailable');
      else w.logger.error({ err: safeError(err) }, 'mail worker pass failed');
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
    w.transport?.close();
  };
}

/** Sends outbox messages over SMTP (pooled); safe with several workers on one PostgreSQL. */
export function createMailWorker(deps: WorkerDeps, opts: WorkerOptions = {}) {
  const w: Worker = {
    ...deps,
    opts,
    workerId: opts.workerId ?? `w-${crypto.randomBytes(6).toString('hex')}`,
    leaseMs: opts.leaseMs ?? 5 * 60_000,
    baseMs: opts.backoffBaseMs ?? 60_000,
    maxMs: opts.backoffMaxMs ?? 6 * 3600_000,
    batchSize: opts.batchSize ?? 20,
    transport: opts.transport ?? null,
  };
  return {
    workerId: w.workerId,
    runOnce: () => runOnce(w),
    start: (intervalMs: number) => start(w, intervalMs),
    close(): void {
      w.transport?.close();
      w.transport = null;
    },
  };
}
export type MailWorker = ReturnType<typeof createMailWorker>;
