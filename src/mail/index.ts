// What other features may use from mail (the outbox); everything else in this folder is internal.
// Features put mail in the outbox inside their own transaction; the worker sends it later.

/** Enqueueing mail, and the address rules every sender shares. */
export { uniqueAddresses, messageIdFor, type MailService } from './mail.service.js';
/** Rendering a message's HTML and text parts from views/mail/messages/. */
export { renderMail, type TemplateName } from './templates.js';
/** The outbox table's owner: for the personal-data service's erasure and the rounds' idempotency keys. */
export { outboxRepository, type MailKind, type OutboxStatus } from './outbox.repository.js';
