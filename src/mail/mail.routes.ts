import { Router } from 'express';
import type { Config } from '../config.js';
import { currentUser, handle, idParam, requireRole, takeFlash } from '../web/http.js';
import { NotFound } from '../shared/errors.js';
import type { MailAdminService } from './mail.service.js';
import { MAIL_VIEW } from './mail.presenter.js';

type Deps = { config: Pick<Config, 'env' | 'mail'>; mailAdmin: MailAdminService };

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

/** The development mailbox's list and one message's page. */
function registerMailbox(router: Router, deps: Deps): void {
  router.get(
    '/dev/postkasse',
    handle(async (_req, res) => {
      const { messages, attachments } = await deps.mailAdmin.latest(200);
      res.setHeader('Cache-Control', 'no-store');
      res.render('mail/mailbox', {
        title: 'Udviklingspostkasse',
        messages,
        attachments,
        smtp: Boolean(deps.config.mail.smtpUrl),
        ...MAIL_VIEW,
      });
    }),
  );

  router.get(
    '/dev/postkasse/:id',
    handle(async (req, res) => {
      const found = await deps.mailAdmin.message(idParam(req, 'id'));
      if (!found) throw new NotFound('Beskeden findes ikke.');
      res.setHeader('Cache-Control', 'no-store');
      res.render('mail/message', {
        title: found.message.subject,
        m: found.message,
        attachments: found.attachments,
        ...MAIL_VIEW,
      });
    }),
  );
}

/** A message's HTML body in a sandbox, and its attachments as downloads. */
function registerMailboxContent(router: Router, deps: Deps): void {
  router.get(
    '/dev/postkasse/:id/html',
    handle(async (req, res) => {
      const html = (await deps.mailAdmin.message(idParam(req, 'id')))?.message.html;
      if (!html) throw new NotFound('Beskeden har ingen HTML-del.');
      res.setHeader('Content-Security-Policy', MAIL_HTML_CSP);
      res.setHeader('X-Frame-Options', 'SAMEORIGIN');
      res.setHeader('Cache-Control', 'no-store');
      res.type('html').send(html);
    }),
  );

  router.get(
    '/dev/postkasse/:id/vedhaeftning/:attachmentId',
    handle(async (req, res) => {
      const a = await deps.mailAdmin.attachment(idParam(req, 'id'), idParam(req, 'attachmentId'));
      if (!a) throw new NotFound('Vedhæftningen findes ikke.');
      res.setHeader('Content-Type', a.contentType);
      res.setHeader('Content-Disposition', disposition(a.filename));
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Cache-Control', 'no-store');
      res.send(a.content);
    }),
  );
}

/** The administrator's mail log, where a failed message can be sent again. */
function registerMailLog(router: Router, deps: Deps): void {
  router.get(
    '/admin/mail',
    requireRole('administrator'),
    handle(async (req, res) => {
      const { messages, counts } = await deps.mailAdmin.latest(200);
      const notice = takeFlash(req);
      res.render('mail/admin-log', {
        title: 'Mail-log',
        messages,
        counts,
        notice,
        devMailbox: devMailboxEnabled(deps.config),
        ...MAIL_VIEW,
      });
    }),
  );

  router.post(
    '/admin/mail/:id/send-igen',
    requireRole('administrator'),
    handle(async (req, res) => {
      const id = idParam(req, 'id');
      await deps.mailAdmin.resend(id, currentUser(req).id);
      req.session.flash = `Besked nr. ${id} er sat i kø til at blive sendt igen.`;
      res.redirect(303, '/admin/mail');
    }),
  );
}

/** Development mailbox and the administrator's mail log. */
export function mailRoutes(deps: Deps): Router {
  const router = Router();
  if (devMailboxEnabled(deps.config)) {
    registerMailbox(router, deps);
    registerMailboxContent(router, deps);
  }
  registerMailLog(router, deps);
  return router;
}
