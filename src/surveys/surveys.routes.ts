import { Router, type Request } from 'express';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import type { Db } from '../db/knex.js';
import { currentUser, handle, idParam, param, parseInput, requireRole, takeFlash } from '../web/http.js';
import { upload, view } from './surveys.view.js';
import { policy } from '../auth/policy.js';
import { participantFor } from '../links/participant-access.js';
import type { LinkService } from '../links/links.service.js';
import { Forbidden, NotFound, Unauthenticated, ValidationError } from '../shared/errors.js';
import { isoDay, type Clock } from '../shared/clock.js';
import { audit } from '../shared/audit.js';
import { municipalitiesRepository } from '../municipalities/municipalities.repository.js';
import { SURVEY_GROUP_LABELS } from './groups.js';
import { elementsOf, type Instrument } from './instrument.js';
import { ROUND_LABELS, ROUND_SHORT, type RoundsService } from './rounds.service.js';
import { ratesFor, totals } from './rates.js';
import { roundsRepository } from './rounds.repository.js';
import { IncompleteAnswers, type AnsweringService } from './answering.service.js';
import type { ParticipantsService, ImportProblem } from './participants.service.js';
import { participantSchema } from './participants.service.js';
import type { ResultsService } from './results.service.js';

type Deps = {
  db: Db;
  clock: Clock;
  instruments: Map<number, Instrument>;
  answering: AnsweringService;
  participants: ParticipantsService;
  results: ResultsService;
  links: LinkService;
  rounds: RoundsService;
};

const participantForm = z.object({
  name: z.string(),
  email: z.string().trim(),
  surveyGroup: z.string(),
  superuser: z.string().optional(),
});
const toParticipantInput = (body: unknown) => {
  const f = parseInput(participantForm, body);
  return parseInput(participantSchema, {
    name: f.name,
    email: f.email,
    surveyGroup: f.surveyGroup,
    superuser: f.superuser === 'ja',
  });
};

/** Readiness surveys: answering, and the project leader's participants, links and results. */
export function surveysRoutes(deps: Deps): Router {
  const router = Router();
  const { db } = deps;

  async function access(req: Request) {
    const a = await participantFor(db, req, 'survey');
    if (!a && !req.session.user && !req.session.link) throw new Unauthenticated();
    if (!a)
      throw new Forbidden(
        'Du står ikke på deltagerlisten for denne undersøgelse. Kontakt din KSD-projektleder.',
      );
    return a;
  }

  // ---- Mine opgaver
  router.get(
    '/mine-opgaver',
    handle(async (req, res) => {
      if (!req.session.user && !req.session.link) return res.redirect(303, '/?naeste=%2Fmine-opgaver');
      const a = await participantFor(db, req, 'survey');
      let tasks: Array<{ roundId: number; label: string; closesOn: string; started: boolean }> = [];
      let done: Array<{ label: string }> = [];
      if (a) {
        const rounds = (await roundsRepository.forMunicipality(db, a.municipalityCode)).filter(
          (r) => r.state === 'open',
        );
        const parts = await db('survey_participation')
          .where({ participant_id: a.participantId })
          .whereIn(
            'round_id',
            rounds.map((r) => r.id),
          );
        const byRound = new Map(parts.map((p) => [Number(p.round_id), p]));
        tasks = rounds
          .filter((r) => !byRound.get(r.id)?.submitted)
          .map((r) => ({
            roundId: r.id,
            label: ROUND_LABELS[r.roundNo],
            closesOn: r.closesOn,
            started: Boolean(byRound.get(r.id)?.draft),
          }));
        done = rounds
          .filter((r) => byRound.get(r.id)?.submitted)
          .map((r) => ({ label: ROUND_LABELS[r.roundNo] }));
      }
      res.render('surveys/my-tasks', { title: 'Mine opgaver', matched: Boolean(a), tasks, done, ...view });
    }),
  );

  // ---- Answering
  router.get(
    '/undersoegelse/:roundId',
    handle(async (req, res) => {
      const roundId = idParam(req, 'roundId');
      const state = await deps.answering.open(await access(req), roundId);
      if (state.submitted) return res.redirect(303, `/undersoegelse/${roundId}/tak`);
      const elements = elementsOf(state.instrument);
      const firstOpen = elements.findIndex((e) =>
        e.items.some((i) => state.draft.answers[i.id] === undefined),
      );
      res.redirect(
        303,
        `/undersoegelse/${roundId}/side/${firstOpen === -1 ? elements.length + 1 : firstOpen + 1}`,
      );
    }),
  );

  async function renderPage(
    req: Request,
    res: import('express').Response,
    roundId: number,
    page: number,
    errors: Record<string, string> = {},
    posted?: Record<string, unknown>,
  ) {
    const state = await deps.answering.open(await access(req), roundId);
    if (state.submitted) return res.redirect(303, `/undersoegelse/${roundId}/tak`);
    const elements = elementsOf(state.instrument);
    if (page < 1 || page > elements.length + 1) throw new NotFound();
    const answered = elements
      .flatMap((e) => e.items)
      .filter((i) => state.draft.answers[i.id] !== undefined).length;
    const total = elements.reduce((s, e) => s + e.items.length, 0);
    res.status(Object.keys(errors).length ? 422 : 200).render('surveys/answer', {
      title: `${state.instrument.title} – side ${page} af ${elements.length + 1}`,
      round: state.round,
      instrument: state.instrument,
      element: elements[page - 1] ?? null,
      page,
      pages: elements.length + 1,
      answered,
      total,
      draft: state.draft,
      posted: posted ?? {},
      errors,
      ...view,
    });
  }

  router.get(
    '/undersoegelse/:roundId/side/:page',
    handle(async (req, res) => renderPage(req, res, idParam(req, 'roundId'), Number(param(req, 'page')))),
  );

  router.post(
    '/undersoegelse/:roundId/side/:page',
    handle(async (req, res) => {
      const roundId = idParam(req, 'roundId');
      const page = Number(param(req, 'page'));
      const a = await access(req);
      const action = req.body?.handling;
      if (action === 'indsend') {
        // Saves the page and submits; errors on the page show it again, a still incomplete draft is refused.
        try {
          await deps.answering.submitPage(a, roundId, page, req.body ?? {});
        } catch (err) {
          if (err instanceof ValidationError && !(err instanceof IncompleteAnswers))
            return renderPage(req, res, roundId, page, err.fields, req.body);
          throw err;
        }
        return res.redirect(303, `/undersoegelse/${roundId}/tak`);
      }
      try {
        await deps.answering.savePage(a, roundId, page, req.body ?? {});
      } catch (err) {
        if (err instanceof ValidationError && action !== 'forrige')
          return renderPage(req, res, roundId, page, err.fields, req.body);
        if (!(err instanceof ValidationError)) throw err;
      }
      if (action === 'forrige')
        return res.redirect(303, `/undersoegelse/${roundId}/side/${Math.max(1, page - 1)}`);
      if (action === 'gem') return res.redirect(303, `/undersoegelse/${roundId}/gemt`);
      res.redirect(303, `/undersoegelse/${roundId}/side/${page + 1}`);
    }),
  );

  router.get(
    '/undersoegelse/:roundId/gemt',
    handle(async (req, res) => {
      const roundId = idParam(req, 'roundId');
      const state = await deps.answering.open(await access(req), roundId);
      res.render('surveys/saved', { title: 'Dine svar er gemt', round: state.round, ...view });
    }),
  );

  router.get(
    '/undersoegelse/:roundId/tak',
    handle(async (req, res) => {
      const roundId = idParam(req, 'roundId');
      const a = await access(req);
      const round = await roundsRepository.byId(db, roundId);
      if (!round) throw new NotFound('Undersøgelsen findes ikke.');
      if (round.municipalityCode !== a.municipalityCode || (a.via === 'link' && a.roundId !== roundId))
        throw new Forbidden('Undersøgelsen hører til en anden kommune.');
      res.render('surveys/thanks', { title: 'Tak for dit svar' });
    }),
  );

  // ---- Project leader: municipality overview, participants, links, results
  router.get(
    '/kommune',
    requireRole('projektleder', 'leder-ydelsescenter'),
    handle(async (req, res) => {
      const user = currentUser(req);
      const code = policy.municipalityReader(user);
      const municipality = await municipalitiesRepository.byCode(db, code);
      const rounds = await roundsRepository.forMunicipality(db, code);
      const count = await db('participants')
        .where({ municipality_code: code })
        .count<{ n: number }[]>({ n: '*' })
        .first();
      // A closed round shows its frozen figures, which an erasure or purge of people does not change.
      const rates = await ratesFor(db, rounds);
      const figures = new Map(rounds.map((r) => [r.id, totals(rates.get(r.id)!)]));
      const canManage = policy.canManageMunicipality(user, code);
      const notInvited = new Map<number, number>();
      if (canManage)
        for (const r of rounds.filter((x) => x.state === 'open'))
          notInvited.set(r.id, (await deps.rounds.notInvited(db, r)).length);
      res.render('surveys/municipality', {
        title: `${municipality!.name} Kommune`,
        municipality,
        rounds,
        participantCount: Number(count?.n ?? 0),
        figures,
        notInvited,
        canManage,
        notice: takeFlash(req),
        ...view,
      });
    }),
  );

  router.get(
    '/kommune/resultater/:roundId',
    requireRole('projektleder', 'leder-ydelsescenter'),
    handle(async (req, res) => {
      const user = currentUser(req);
      const code = policy.municipalityReader(user);
      const results = await deps.results.forRound(code, idParam(req, 'roundId'));
      const municipality = await municipalitiesRepository.byCode(db, code);
      res.render('surveys/results', {
        title: `Resultater ${ROUND_SHORT[results.round.roundNo]} – ${municipality!.name} Kommune`,
        municipality,
        results,
        showComments: policy.canReadComments(user, code),
        ...view,
      });
    }),
  );

  router.get(
    '/kommune/deltagere',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const code = policy.municipalityManager(currentUser(req));
      res.render('surveys/participants', {
        title: 'Deltagere',
        participants: await deps.participants.list(code),
        values: {},
        errors: {},
        problems: [],
        notice: takeFlash(req),
        ...view,
      });
    }),
  );

  router.post(
    '/kommune/deltagere',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const user = currentUser(req);
      const code = policy.municipalityManager(user);
      try {
        await deps.participants.add(code, toParticipantInput(req.body), user.id);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        return res
          .status(422)
          .render('surveys/participants', {
            title: 'Deltagere',
            participants: await deps.participants.list(code),
            values: req.body,
            errors: err.fields,
            problems: [],
            notice: null,
            ...view,
          });
      }
      req.session.flash = 'Deltageren er tilføjet.';
      res.redirect(303, '/kommune/deltagere');
    }),
  );

  router.post(
    '/kommune/deltagere/import',
    requireRole('projektleder'),
    upload.single('fil'),
    handle(async (req, res) => {
      const user = currentUser(req);
      const code = policy.municipalityManager(user);
      const text = req.file
        ? req.file.buffer.toString('utf8')
        : typeof req.body?.csv === 'string'
          ? req.body.csv
          : '';
      try {
        if (!text.trim())
          throw Object.assign(new ValidationError('Vælg en CSV-fil.'), {
            problems: [{ line: 1, reason: 'Ingen fil valgt.' }],
          });
        const result = await deps.participants.importCsv(code, text, user.id);
        req.session.flash = `Importen lykkedes: ${result.created} nye og ${result.updated} opdaterede deltagere.`;
        res.redirect(303, '/kommune/deltagere');
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        const problems = (err as ValidationError & { problems?: ImportProblem[] }).problems ?? [];
        res
          .status(422)
          .render('surveys/participants', {
            title: 'Deltagere',
            participants: await deps.participants.list(code),
            values: {},
            errors: {},
            problems,
            importError: err.message,
            notice: null,
            ...view,
          });
      }
    }),
  );

  router.get(
    '/kommune/deltagere/:id',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const code = policy.municipalityManager(currentUser(req));
      const p = await deps.participants.get(code, idParam(req, 'id'));
      res.render('surveys/participant-edit', {
        title: `Ret deltager: ${p.name}`,
        participant: p,
        values: { ...p, superuser: p.superuser ? 'ja' : '' },
        errors: {},
        ...view,
      });
    }),
  );

  router.post(
    '/kommune/deltagere/:id',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const user = currentUser(req);
      const code = policy.municipalityManager(user);
      const id = idParam(req, 'id');
      const p = await deps.participants.get(code, id);
      try {
        await deps.participants.update(code, id, toParticipantInput(req.body), user.id);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        return res
          .status(422)
          .render('surveys/participant-edit', {
            title: `Ret deltager: ${p.name}`,
            participant: p,
            values: req.body,
            errors: err.fields,
            ...view,
          });
      }
      req.session.flash = 'Deltageren er opdateret.';
      res.redirect(303, '/kommune/deltagere');
    }),
  );

  router.get(
    '/kommune/deltagere/:id/data',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const user = currentUser(req);
      const data = await deps.participants.exportPerson(
        policy.municipalityManager(user),
        idParam(req, 'id'),
        user.id,
      );
      res.setHeader('Content-Disposition', 'attachment; filename="persondata.json"');
      res.setHeader('Cache-Control', 'no-store');
      res.type('application/json').send(JSON.stringify(data, null, 2));
    }),
  );

  router.post(
    '/kommune/deltagere/:id/slet',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const user = currentUser(req);
      await deps.participants.remove(policy.municipalityManager(user), idParam(req, 'id'), user.id);
      req.session.flash = 'Deltageren er fjernet.';
      res.redirect(303, '/kommune/deltagere');
    }),
  );

  /** Invitations by mail, with personal links, to everyone added since the round opened. */
  router.post(
    '/kommune/runder/:roundId/invitationer',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const user = currentUser(req);
      const sent = await deps.rounds.inviteNew(
        policy.municipalityManager(user),
        idParam(req, 'roundId'),
        user.id,
      );
      req.session.flash = sent
        ? `${sent === 1 ? 'Én invitation er' : `${sent} invitationer er`} lagt i kø til afsendelse.`
        : 'Alle deltagere har allerede fået en invitation til runden.';
      res.redirect(303, '/kommune');
    }),
  );

  /** Personal links for one round: new links for everyone (old ones revoked), as a CSV shown once. */
  router.post(
    '/kommune/runder/:roundId/links',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const user = currentUser(req);
      const code = policy.municipalityManager(user);
      const round = await roundsRepository.byId(db, idParam(req, 'roundId'));
      if (!round || round.municipalityCode !== code) throw new NotFound('Runden findes ikke.');
      if (round.state === 'closed')
        throw new ValidationError('Runden er lukket; der kan ikke laves nye links.');
      const participants = await deps.participants.list(code);
      const now = deps.clock.now();
      const expiresAt = deps.links.surveyLinkExpiry(round.closesOn, isoDay(now));
      const lines = await db.transaction(async (trx) => {
        await trx('personal_links')
          .where({ round_id: round.id, purpose: 'survey' })
          .whereNull('revoked_at')
          .update({ revoked_at: now });
        const out: string[][] = [];
        for (const p of participants) {
          const link = await deps.links.issue(trx, {
            purpose: 'survey',
            municipalityCode: code,
            participantId: p.id,
            roundId: round.id,
            expiresAt,
          });
          out.push([p.name, p.email, SURVEY_GROUP_LABELS[p.surveyGroup], link.url]);
        }
        await audit(trx, {
          actorUserId: user.id,
          action: 'links.issue',
          subject: `runde:${round.id}`,
          details: { count: out.length },
          at: now,
        });
        return out;
      });
      const csv =
        '\uFEFF' +
        stringify([['navn', 'email', 'gruppe', 'link'], ...lines], {
          delimiter: ';',
          record_delimiter: '\r\n',
        });
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader(
        'Content-Disposition',
        `attachment; filename="links-runde-${ROUND_SHORT[round.roundNo].replace('/', '-af-')}.csv"`,
      );
      res.setHeader('Cache-Control', 'no-store');
      res.send(csv);
    }),
  );

  return router;
}
