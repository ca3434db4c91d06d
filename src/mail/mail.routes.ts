import { Router } from 'express';
import type { Config } from '../config.js';
import { currentUser, handle, idParam, requireRole, takeFlash } from '../web/http.js';
import { NotFound } from '../shared/errors.js';
import { formatDanishDate, formatDanishDateTime, formatNumber } from '../web/format.js';
import { outboxRepository, type MailKind, type OutboxStatus } from './outbox.repository.js';
import type { MailAdminService } from './mail.service.js';
import type { Db } from '../db/knex.js';

export const MAIL_STATUS_LABELS: Record<OutboxStatus, string> = {
  held: 'Holdt tilbage (ingen SMTP)',
  pending: 'Venter',
  sending: 'Sendes',
  sent: 'Sendt',
  failed: 'Mislykket',
};

export const MAIL_KIND_LABELS: Record<MailKind, string> = {
  invitation: 'Invitation',
  reminder: 'Påmindelse',
  results: 'Kommunens resultater',
  'kombit-results': 'Samlet resultat til KOMBIT',
  'test-passed': 'Bestået test',
};

/** The development mailbox exists outside production only. */
export function devMailboxEnabled(config: Pick<Config, 'env'>): boolean {
  return config.env !== 'production';
}

/** A sandboxed message body may show its own inline styles and data: images, nothing else. */
export const MAIL_HTML_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; form-action 'none'; base-uri 'none'; sandbox";

/** Content-Disposition with a safe ASCII fallback and the UTF-8 name. */
const disposition = (name: string) =>
  `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`;

/** Development mailbox and the administrator's mail log. */
export function mailRoutes(deps: {
  db: Db;
  config: Pick<Config, 'env' | 'mail'>;
  mailAdmin: MailAdminService;
}): Router {
  const router = Router();
  const { db } = deps;
  const admin = deps.mailAdmin;
  const view = { MAIL_STATUS_LABELS, MAIL_KIND_LABELS, formatDanishDate, formatDanishDateTime, formatNumber };

  if (devMailboxEnabled(deps.config)) {
    router.get(
      '/dev/postkasse',
      handle(async (_req, res) => {
        const { messages, attachments } = await admin.latest(200);
        res.setHeader('Cache-Control', 'no-store');
        res.render('mail/mailbox', {
          title: 'Udviklingspostkasse',
          messages,
          attachments,
          smtp: Boolean(deps.config.mail.smtpUrl),
          ...view,
        });
      }),
    );

    router.get(
      '/dev/postkasse/:id',
      handle(async (req, res) => {
        const m = await outboxRepository.byId(db, idParam(req, 'id'));
        if (!m) throw new NotFound('Beskeden findes ikke.');
        const attachments = (await outboxRepository.attachmentInfo(db, [m.id])).get(m.id) ?? [];
        res.setHeader('Cache-Control', 'no-store');
        res.render('mail/message', { title: m.subject, m, attachments, ...view });
      }),
    );

    router.get(
      '/dev/postkasse/:id/html',
      handle(async (req, res) => {
        const m = await outboxRepository.byId(db, idParam(req, 'id'));
        if (!m?.html) throw new NotFound('Beskeden har ingen HTML-del.');
        res.setHeader('Content-Security-Policy', MAIL_HTML_CSP);
        res.setHeader('X-Frame-Options', 'SAMEORIGIN');
        res.setHeader('Cache-Control', 'no-store');
        res.type('html').send(m.html);
      }),
    );

    router.get(
      '/dev/postkasse/:id/vedhaeftning/:attachmentId',
      handle(async (req, res) => {
        const a = await outboxRepository.attachment(db, idParam(req, 'id'), idParam(req, 'attachmentId'));
        if (!a) throw new NotFound('Vedhæftningen findes ikke.');
        res.setHeader('Content-Type', a.contentType);
        res.setHeader('Content-Disposition', disposition(a.filename));
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Cache-Control', 'no-store');
        res.send(a.content);
      }),
    );
  }

  router.get(
    '/admin/mail',
    requireRole('administrator'),
    handle(async (req, res) => {
      const { messages, counts } = await admin.latest(200);
      const notice = takeFlash(req);
      res.render('mail/admin-log', {
        title: 'Mail-log',
        messages,
        counts,
        notice,
        devMailbox: devMailboxEnabled(deps.config),
        ...view,
      });
    }),
  );

  router.post(
    '/admin/mail/:id/send-igen',
    requireRole('administrator'),
    handle(async (req, res) => {
      const id = idParam(req, 'id');
      await admin.resend(id, currentUser(req).id);
      req.session.flash = `Besked nr. ${id} er sat i kø til at blive sendt igen.`;
      res.redirect(303, '/admin/mail');
    }),
  );

  return router;
}
