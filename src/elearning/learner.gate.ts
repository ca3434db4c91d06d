import type { Request, RequestHandler, Response } from 'express';
import { Forbidden, Unauthenticated } from '../shared/errors.js';
import type { LinkPurpose } from '../links/index.js';
import { handle } from '../web/http.js';
import type { Learner, LearnerIdentity } from './learners.js';
import type { LearnersService } from './learners.service.js';

/** The authorisation rule for learner pages, in one place: who may be a learner, and by which link purposes. */
async function identify(
  learners: LearnersService,
  req: Request,
  purposes: readonly LinkPurpose[],
): Promise<LearnerIdentity> {
  const identity = await learners.identify(req.session, purposes);
  if (identity) return identity;
  if (req.session.link) {
    throw new Forbidden(
      'Dit personlige link giver ikke adgang til denne side. Brug det link, du har fået til netop denne opgave, eller log ind.',
    );
  }
  if (!req.session.user) throw new Unauthenticated();
  throw new Forbidden(
    'E-læringen og den afsluttende test er for sagsbehandlere, superbrugere og informationssøgende medarbejdere.',
  );
}

/** Requires a learner (SAML user with a learner role or participant row, or a personal link of a given purpose). */
export function requireLearner(
  learners: LearnersService,
  purposes: readonly LinkPurpose[] = ['test'],
): RequestHandler {
  return handle(async (req, res, next) => {
    res.locals.learner = await learners.ensure(await identify(learners, req, purposes));
    next();
  });
}

/** Requires a person who may evaluate; no learner row is written, so evaluating leaves no trace there. */
export function requirePerson(learners: LearnersService, purposes: readonly LinkPurpose[]): RequestHandler {
  return handle(async (req, res, next) => {
    res.locals.person = await identify(learners, req, purposes);
    next();
  });
}

/** The learner the gate put on the response. */
export const learnerOf = (res: Response): Learner => res.locals.learner as Learner;
/** The person the evaluation gate put on the response. */
export const personOf = (res: Response): LearnerIdentity => res.locals.person as LearnerIdentity;
