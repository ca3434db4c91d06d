import type { Request, Response, Router } from 'express';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { handle } from '../web/http.js';
import type { SessionUser } from './roles.js';
import { startPageFor } from './policy.js';
import { LoginRefused } from './login.service.js';
import { safeReturnPath, type AuthContext, type Refusal, type SamlSessionRef } from './auth.context.js';

type Inspected = { inResponseTo: string | null; encrypted: boolean };
type Verified = { user: SessionUser; saml: SamlSessionRef };
type Outcome = { result?: Verified; error?: unknown };

/** Reads the Response's InResponseTo and whether the assertion came encrypted, without trusting either. */
function inspectResponse(samlResponse: string): Inspected {
  try {
    const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
    if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return { inResponseTo: null, encrypted: false };
    const doc = new DOMParser({ onError: () => undefined }).parseFromString(xml, 'text/xml');
    const root = doc.documentElement;
    if (!root) return { inResponseTo: null, encrypted: false };
    const encrypted = Array.from(root.childNodes).some(
      (n) => (n as unknown as Element).localName === 'EncryptedAssertion',
    );
    return { inResponseTo: root.getAttribute('InResponseTo'), encrypted };
  } catch {
    return { inResponseTo: null, encrypted: false };
  }
}

/** Why a response is refused before its signature is even checked, or null. */
function refusalBeforeValidation(ctx: AuthContext, req: Request, inspected: Inspected): Refusal | null {
  if (ctx.deps.requireEncryptedAssertions && !inspected.encrypted)
    return { message: 'Login-svaret var ikke krypteret, som det skal være.', reason: 'unencrypted' };
  if (!ctx.binding.startedHere(req, inspected.inResponseTo))
    return {
      message: 'Login-svaret hører til et login, der ikke blev startet i denne browser. Log ind igen.',
      reason: 'other-browser',
    };
  return null;
}

/** passport-saml's checks (signature, decryption, conditions, InResponseTo), then the login rules. */
function validate(ctx: AuthContext, req: Request, res: Response): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    ctx.passport.authenticate(
      ctx.samlSp.current().strategy,
      { session: false },
      (error: unknown, result: unknown) =>
        resolve({ result: (result || undefined) as Verified | undefined, error }),
    )(req, res, (error: unknown) => resolve({ error }));
  });
}

/** The validated login, or why the response still cannot log in. */
function judge(outcome: Outcome): { verified: Verified } | { refusal: Refusal } {
  if (outcome.error instanceof LoginRefused)
    return { refusal: { message: outcome.error.message, reason: outcome.error.reason } };
  if (outcome.error || !outcome.result) {
    const reason = outcome.error instanceof Error ? outcome.error.message : 'no user';
    return {
      refusal: {
        message: 'Login-svaret fra identitetsudbyderen kunne ikke godkendes. Prøv at logge ind igen.',
        reason: `invalid: ${reason}`,
      },
    };
  }
  return { verified: outcome.result };
}

/** Starts the user's session under a new id and remembers it for single logout. */
async function startSession(
  ctx: AuthContext,
  req: Request,
  res: Response,
  verified: Verified,
): Promise<void> {
  const { user, saml } = verified;
  await new Promise<void>((resolve, reject) =>
    req.session.regenerate((err) => (err ? reject(err) : resolve())),
  );
  req.session.user = user;
  req.session.saml = saml;
  // Every page's "Log ud" form carries the CSRF token: made now, so the session is written once at login, not again on the first page.
  (res.locals.csrfToken as () => string)();
  await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
  await ctx.deps.samlSessions.remember({
    sid: req.sessionID,
    nameId: saml.nameId,
    sessionIndex: saml.sessionIndex,
  });
  ctx.deps.logger.info({ userId: user.id, roles: user.roles, municipality: user.municipalityCode }, 'login');
}

/** POST /saml/acs: the IdP's answer to our AuthnRequest, posted by the browser. */
export function registerAcs(router: Router, ctx: AuthContext): void {
  router.post(
    '/saml/acs',
    ctx.acsGuard.check,
    handle(async (req: Request, res: Response) => {
      const samlResponse = typeof req.body?.SAMLResponse === 'string' ? req.body.SAMLResponse : '';
      if (!samlResponse)
        return ctx.refuse(req, res, {
          message: 'Der blev ikke modtaget et login-svar.',
          reason: 'no-response',
        });
      const inspected = inspectResponse(samlResponse);
      const early = refusalBeforeValidation(ctx, req, inspected);
      if (early) return ctx.refuse(req, res, early);
      const judged = judge(await validate(ctx, req, res));
      if ('refusal' in judged) return ctx.refuse(req, res, judged.refusal);
      // startedHere() accepted it, so it names a request. A response is good once: two racing posts of the
      // same response cannot both log in. Only "used before" is a refusal; an outage goes on to the 503 page.
      const inResponseTo = inspected.inResponseTo!;
      if (!(await ctx.deps.samlSessions.markResponseUsed(inResponseTo)))
        return ctx.refuse(req, res, {
          message: 'Login-svaret er allerede brugt. Log ind igen.',
          reason: 'replayed',
        });
      ctx.binding.forget(req, res, inResponseTo);
      await startSession(ctx, req, res, judged.verified);
      res.redirect(303, safeReturnPath(req.body?.RelayState) ?? startPageFor(judged.verified.user));
    }),
  );
}
