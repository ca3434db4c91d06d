import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Response } from 'supertest';
import {
  buildWorld,
  PERSONAS,
  ROLES,
  routeTable,
  sessionOf,
  type RoleName,
  type Session,
  type World,
} from './world.js';

/**
 * The outcome classes of one request:
 *  ok        2xx, or a redirect to content (not to the login page)
 *  refused   authorised, but the (empty) body or the row's state is refused: 409 or 422
 *  login     sent to log in: 303 to /?naeste=… for a GET, 401 for a POST
 *  forbidden 403
 *  notFound  404 (also for a row of another municipality or another person)
 */
type Outcome = 'ok' | 'refused' | 'login' | 'forbidden' | 'notFound';

function outcomeOf(res: Response): string {
  const s = res.status;
  if ((s === 302 || s === 303) && String(res.headers.location).startsWith('/?naeste=')) return 'login';
  if (s === 401) return 'login';
  if (s >= 200 && s < 400) return 'ok';
  if (s === 409 || s === 422) return 'refused';
  if (s === 403) return 'forbidden';
  if (s === 404) return 'notFound';
  return `status ${s}`;
}

/** What the CSP would block in a page: inline scripts, style elements and attributes, event handler attributes, javascript: URLs. */
function inlineCode(html: string): string[] {
  const found: string[] = [];
  for (const m of html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g)) {
    const [tag, name, attrs] = [m[0], m[1]!.toLowerCase(), m[2] ?? ''];
    const inlineScript = name === 'script' && !/\ssrc\s*=/i.test(attrs);
    if (
      inlineScript ||
      name === 'style' ||
      /\s(style|on[a-z]+)\s*=/i.test(attrs) ||
      /=\s*["']?\s*javascript:/i.test(attrs)
    )
      found.push(tag);
  }
  return found;
}

type Expect = Record<RoleName, Outcome>;
const all = (o: Outcome): Expect => Object.fromEntries(ROLES.map((r) => [r, o])) as Expect;
/** Anonymous is sent to log in, everyone else is forbidden, except the roles named. */
const only = (allowed: Partial<Record<RoleName, Outcome>>): Expect => ({
  ...all('forbidden'),
  anonymous: 'login',
  ...allowed,
});
/** Everyone may, except anonymous (sent to log in). */
const loggedIn = (o: Outcome = 'ok'): Expect => ({ ...all(o), anonymous: 'login' });

const learners = (o: Outcome = 'ok', other: Outcome = o) => ({
  caseworker: o,
  superuser: o,
  otherCaseworker: other,
});
const projectLeaders = (o: Outcome = 'ok', other: Outcome = o) => ({
  projectLeader: o,
  otherProjectLeader: other,
});

type Case = {
  path: (w: World, s: Session) => string | Promise<string>;
  /** Sent as a urlencoded form with the session's CSRF token; an empty form unless given. */
  body?: Record<string, string>;
  expect: Expect;
  /** Requests that end or replace the session run after all others. */
  last?: boolean;
};

const idp = async (_w: World, s: Session) => {
  const res = await s.agent.get('/saml/login');
  const url = new URL(String(res.headers.location));
  return url.pathname + url.search;
};

/** One row per route of the app; the test fails when a route is missing here or a row names no route. */
const MATRIX: Record<string, Case> = {
  'GET /healthz': { path: () => '/healthz', expect: all('ok') },
  'GET /readyz': { path: () => '/readyz', expect: all('ok') },
  // Supertest connects from loopback, which METRICS_ALLOW lets in by default.
  'GET /metrics': { path: () => '/metrics', expect: all('ok') },
  'GET /': { path: () => '/', expect: all('ok') },
  'GET /tilgaengelighed': { path: () => '/tilgaengelighed', expect: all('ok') },
  'GET /admin': { path: () => '/admin', expect: only({ administrator: 'ok' }) },

  // SAML and the development IdP are public; an empty ACS post is refused.
  'GET /saml/metadata': { path: () => '/saml/metadata', expect: all('ok') },
  'GET /saml/login': { path: () => '/saml/login', expect: all('ok') },
  'POST /saml/acs': { path: () => '/saml/acs', expect: all('forbidden') },
  'GET /saml/logout': { path: () => '/saml/logout', expect: all('ok') },
  'POST /saml/logout': { path: () => '/saml/logout', expect: all('ok'), last: true },
  'GET /saml/slo': { path: () => '/saml/slo', expect: all('ok') },
  'GET /dev-idp/metadata': { path: () => '/dev-idp/metadata', expect: all('ok') },
  'GET /dev-idp/sso': { path: idp, expect: all('ok') },
  'POST /dev-idp/sso': { path: () => '/dev-idp/sso', expect: all('refused') },
  'GET /l/:token': { path: (w) => `/l/${w.testLinkToken}`, expect: all('ok'), last: true },

  // Readiness surveys: participants of the round's municipality only.
  'GET /mine-opgaver': { path: () => '/mine-opgaver', expect: loggedIn() },
  'GET /undersoegelse/:roundId': {
    path: (w) => `/undersoegelse/${w.aarhusRound}`,
    expect: only({ caseworker: 'ok', superuser: 'ok' }),
  },
  'GET /undersoegelse/:roundId/side/:page': {
    path: (w) => `/undersoegelse/${w.aarhusRound}/side/1`,
    expect: only({ caseworker: 'ok', superuser: 'ok' }),
  },
  'POST /undersoegelse/:roundId/side/:page': {
    path: (w) => `/undersoegelse/${w.aarhusRound}/side/1`,
    expect: only({ caseworker: 'refused', superuser: 'refused' }),
  },
  'GET /undersoegelse/:roundId/gemt': {
    path: (w) => `/undersoegelse/${w.aarhusRound}/gemt`,
    expect: only({ caseworker: 'ok', superuser: 'ok' }),
  },
  'GET /undersoegelse/:roundId/tak': {
    path: (w) => `/undersoegelse/${w.aarhusRound}/tak`,
    expect: only({ caseworker: 'ok', superuser: 'ok' }),
  },

  // The project leader (and for reading, the head of the benefits centre) of the municipality.
  'GET /kommune': { path: () => '/kommune', expect: only({ ...projectLeaders(), leader: 'ok' }) },
  'GET /kommune/dashboard': {
    path: () => '/kommune/dashboard',
    expect: only({ ...projectLeaders(), leader: 'ok' }),
  },
  'GET /kommune/resultater/:roundId': {
    path: (w) => `/kommune/resultater/${w.aarhusRound}`,
    expect: only({ ...projectLeaders('ok', 'notFound'), leader: 'ok' }),
  },
  'GET /kommune/deltagere': { path: () => '/kommune/deltagere', expect: only(projectLeaders()) },
  'POST /kommune/deltagere': { path: () => '/kommune/deltagere', expect: only(projectLeaders('refused')) },
  'POST /kommune/deltagere/import': {
    path: () => '/kommune/deltagere/import',
    expect: only(projectLeaders('refused')),
  },
  'GET /kommune/deltagere/:id': {
    path: (w) => `/kommune/deltagere/${w.participant}`,
    expect: only(projectLeaders('ok', 'notFound')),
  },
  'POST /kommune/deltagere/:id': {
    path: (w) => `/kommune/deltagere/${w.participant}`,
    expect: only(projectLeaders('refused', 'notFound')),
  },
  'GET /kommune/deltagere/:id/data': {
    path: (w) => `/kommune/deltagere/${w.participant}/data`,
    expect: only(projectLeaders('ok', 'notFound')),
  },
  'POST /kommune/deltagere/:id/slet': {
    path: (w) => `/kommune/deltagere/${w.deletableParticipant}/slet`,
    expect: only(projectLeaders('ok', 'notFound')),
  },
  'POST /kommune/runder/:roundId/links': {
    path: (w) => `/kommune/runder/${w.aarhusRound}/links`,
    expect: only(projectLeaders('ok', 'notFound')),
  },
  'POST /kommune/runder/:roundId/invitationer': {
    path: (w) => `/kommune/runder/${w.aarhusRound}/invitationer`,
    expect: only(projectLeaders('ok', 'notFound')),
  },
  'GET /kommune/kurser': { path: () => '/kommune/kurser', expect: only(projectLeaders()) },
  'POST /kommune/kurser': { path: () => '/kommune/kurser', expect: only(projectLeaders('refused')) },

  // KOMBIT.
  'GET /national': { path: () => '/national', expect: only({ kombit: 'ok' }) },
  'GET /national/kommuner/:code': { path: () => '/national/kommuner/751', expect: only({ kombit: 'ok' }) },
  'GET /national/kommuner/:code/dashboard': {
    path: () => '/national/kommuner/751/dashboard',
    expect: only({ kombit: 'ok' }),
  },
  'POST /national/kommuner/:code/plan': {
    path: () => '/national/kommuner/751/plan',
    expect: only({ kombit: 'refused' }),
  },
  'GET /national/plan': { path: () => '/national/plan', expect: only({ kombit: 'ok' }) },
  'POST /national/plan': { path: () => '/national/plan', expect: only({ kombit: 'refused' }) },
  'POST /national/runder/:roundId/aabn': {
    path: (w) => `/national/runder/${w.odensePlannedRound}/aabn`,
    expect: only({ kombit: 'ok' }),
  },
  'POST /national/runder/:roundId/luk': {
    path: (w) => `/national/runder/${w.odenseOpenRound}/luk`,
    expect: only({ kombit: 'ok' }),
  },
  'POST /national/runder/:roundId/forlaeng': {
    path: (w) => `/national/runder/${w.odenseOpenRound}/forlaeng`,
    expect: only({ kombit: 'refused' }),
  },
  'GET /national/download/parathed.csv': {
    path: () => '/national/download/parathed.csv',
    expect: only({ kombit: 'ok' }),
  },
  'GET /national/download/parathed.xlsx': {
    path: () => '/national/download/parathed.xlsx',
    expect: only({ kombit: 'ok' }),
  },
  'GET /national/download/laering.csv': {
    path: () => '/national/download/laering.csv',
    expect: only({ kombit: 'ok' }),
  },

  // Administrator.
  'GET /admin/kommuner': { path: () => '/admin/kommuner', expect: only({ administrator: 'ok' }) },
  'POST /admin/kommuner/:code/cvr': {
    path: () => '/admin/kommuner/751/cvr',
    expect: only({ administrator: 'refused' }),
  },
  'GET /admin/audit': { path: () => '/admin/audit', expect: only({ administrator: 'ok' }) },
  'GET /admin/mail': { path: () => '/admin/mail', expect: only({ administrator: 'ok' }) },
  'POST /admin/mail/:id/send-igen': {
    path: (w) => `/admin/mail/${w.failedMail}/send-igen`,
    expect: only({ administrator: 'ok' }),
  },

  // The development mailbox: open outside production, where it does not exist.
  'GET /dev/postkasse': { path: () => '/dev/postkasse', expect: all('ok') },
  'GET /dev/postkasse/:id': { path: (w) => `/dev/postkasse/${w.mail}`, expect: all('ok') },
  'GET /dev/postkasse/:id/html': { path: (w) => `/dev/postkasse/${w.mail}/html`, expect: all('ok') },
  'GET /dev/postkasse/:id/vedhaeftning/:attachmentId': {
    path: (w) => `/dev/postkasse/${w.mail}/vedhaeftning/${w.attachment}`,
    expect: all('ok'),
  },

  // E-learning and the final test: learners (caseworkers, superusers); attempts belong to one learner.
  'GET /e-laering': { path: () => '/e-laering', expect: only(learners()) },
  'GET /e-laering/moduler/:slug': { path: (w) => `/e-laering/moduler/${w.module}`, expect: only(learners()) },
  'POST /e-laering/moduler/:slug/gennemfoert': {
    path: (w) => `/e-laering/moduler/${w.module}/gennemfoert`,
    expect: only(learners('refused')),
  },
  'GET /e-laering/huskesedler/:slug': {
    path: (w) => `/e-laering/huskesedler/${w.huskeseddel}`,
    expect: only(learners()),
  },
  'GET /e-laering/oevelser/:id': {
    path: (w) => `/e-laering/oevelser/${w.exercise}`,
    expect: only(learners()),
  },
  'GET /e-laering/oevelser/:id/trin/:n': {
    path: (w) => `/e-laering/oevelser/${w.exercise}/trin/1`,
    expect: only(learners()),
  },
  'POST /e-laering/oevelser/:id/trin/:n': {
    path: (w) => `/e-laering/oevelser/${w.exercise}/trin/1`,
    expect: only(learners('refused')),
  },
  'GET /e-laering/test': { path: () => '/e-laering/test', expect: only(learners()) },
  'POST /e-laering/test/start': { path: () => '/e-laering/test/start', expect: only(learners()) },
  'GET /e-laering/test/forsoeg/:id': {
    path: (w) => `/e-laering/test/forsoeg/${w.openAttempt}`,
    expect: only({ caseworker: 'ok', superuser: 'notFound', otherCaseworker: 'notFound' }),
  },
  'POST /e-laering/test/forsoeg/:id': {
    path: (w) => `/e-laering/test/forsoeg/${w.openAttempt}`,
    body: { side: '1', handling: 'gem' },
    expect: only({ caseworker: 'ok', superuser: 'notFound', otherCaseworker: 'notFound' }),
  },
  'GET /e-laering/test/forsoeg/:id/aflever': {
    path: (w) => `/e-laering/test/forsoeg/${w.openAttempt}/aflever`,
    expect: only({ caseworker: 'ok', superuser: 'notFound', otherCaseworker: 'notFound' }),
  },
  'POST /e-laering/test/forsoeg/:id/aflever': {
    path: (w) => `/e-laering/test/forsoeg/${w.submittedAttempt}/aflever`,
    expect: only({ caseworker: 'refused', superuser: 'notFound', otherCaseworker: 'notFound' }),
  },
  'GET /e-laering/test/forsoeg/:id/resultat': {
    path: (w) => `/e-laering/test/forsoeg/${w.submittedAttempt}/resultat`,
    expect: only({ caseworker: 'ok', superuser: 'notFound', otherCaseworker: 'notFound' }),
  },
  'GET /e-laering/certifikat': {
    path: () => '/e-laering/certifikat',
    expect: only({ caseworker: 'ok', superuser: 'notFound', otherCaseworker: 'notFound' }),
  },

  // Public certificate check.
  'GET /certifikat/verificer': { path: () => '/certifikat/verificer', expect: all('ok') },
  'GET /certifikat/verificer/:code': {
    path: (w) => `/certifikat/verificer/${w.certificateCode}`,
    expect: all('ok'),
  },

  // Course evaluations: e-learning for learners, the classroom course for its own municipality.
  'GET /evaluering': { path: () => '/evaluering', expect: all('ok') },
  'GET /evaluering/e-laering': { path: () => '/evaluering/e-laering', expect: only(learners()) },
  'POST /evaluering/e-laering': { path: () => '/evaluering/e-laering', expect: only(learners('refused')) },
  'GET /evaluering/kursus/:id': {
    path: (w) => `/evaluering/kursus/${w.courseSession}`,
    expect: only(learners('ok', 'forbidden')),
  },
  'POST /evaluering/kursus/:id': {
    path: (w) => `/evaluering/kursus/${w.courseSession}`,
    expect: only(learners('refused', 'forbidden')),
  },
};

let w: World;
const sessions = new Map<RoleName, Session>();
beforeAll(async () => {
  w = await buildWorld();
  sessions.set('anonymous', await sessionOf(w.t.app, null));
  for (const name of Object.keys(PERSONAS) as Array<keyof typeof PERSONAS>)
    sessions.set(name, await sessionOf(w.t.app, PERSONAS[name]));
});
afterAll(async () => w.t.close());

describe('authorisation matrix over the route table', () => {
  it('when HTML holds inline code, then the scanner finds it (and leaves script files and plain text alone)', () => {
    const html =
      '<script src="/public/js/a.js"></script><p>on=1 style=x</p><script>alert(1)</script><div style="color:red"><a href="javascript:x()" onclick="y()">z</a><style>p{}</style>';
    expect(inlineCode(html)).toEqual([
      '<script>',
      '<div style="color:red">',
      '<a href="javascript:x()" onclick="y()">',
      '<style>',
    ]);
  });

  it('when the routes of the real app are listed, then every one has a row in the matrix and every row is a route', () => {
    const routes = routeTable(w.t.app);
    expect(routes.length).toBeGreaterThan(50);
    expect(
      routes.filter((r) => !(r in MATRIX)),
      'routes without a row in the matrix',
    ).toEqual([]);
    expect(
      Object.keys(MATRIX).filter((r) => !routes.includes(r)),
      'rows that name no route',
    ).toEqual([]);
  });

  for (const role of ROLES) {
    it(`when ${role === 'anonymous' ? 'no one is logged in' : `the ${role} is logged in`}, then every route answers as the matrix says`, async () => {
      const s = sessions.get(role)!;
      const keys = Object.keys(MATRIX).sort(
        (a, b) => Number(Boolean(MATRIX[a]!.last)) - Number(Boolean(MATRIX[b]!.last)),
      );
      const actual: Record<string, string> = {};
      const expected: Record<string, string> = {};
      const inline: string[] = [];
      for (const key of keys) {
        const c = MATRIX[key]!;
        const path = await c.path(w, s);
        const res = key.startsWith('POST ')
          ? await s.agent
              .post(path)
              .type('form')
              .send({ _csrf: s.csrf, ...c.body })
          : await s.agent.get(path);
        actual[key] = outcomeOf(res);
        // A mail's HTML part is shown under its own sandbox CSP (checked in the headers suite).
        if (
          String(res.headers['content-type']).startsWith('text/html') &&
          key !== 'GET /dev/postkasse/:id/html'
        ) {
          for (const tag of inlineCode(res.text)) inline.push(`${key}: ${tag}`);
        }
        expected[key] = c.expect[role];
      }
      expect(actual).toEqual(expected);
      expect(inline, 'inline script, style or event handler that the CSP would block').toEqual([]);
    });
  }
});
