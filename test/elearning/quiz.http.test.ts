import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/app.js';
import { csrfFrom } from '../support/saml.js';
import {
  addParticipant,
  agentWithLink,
  answersFor,
  caseworkerAgent,
  content,
  startAttempt,
  takeAttempt,
  uniqueEmail,
} from './support.js';
import { VERIFY_LIMIT } from '../../src/elearning/certificates.routes.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

async function csrfOf(agent: request.Agent, url = '/e-laering/test'): Promise<string> {
  return csrfFrom((await agent.get(url).expect(200)).text);
}

/** Answers page by page and hands in from the summary page. */
const submit = (agent: request.Agent, attemptId: number, correct: number) =>
  takeAttempt(agent, t.db, attemptId, correct);

describe('final test over HTTP', () => {
  it('when the attempt page is rendered, then it shows questions and options but never the answer key', async () => {
    const { agent } = await caseworkerAgent(t);
    const id = await startAttempt(agent, await csrfOf(agent));
    let html = '';
    for (let side = 1; side <= 4; side++)
      html += (await agent.get(`/e-laering/test/forsoeg/${id}?side=${side}`).expect(200)).text;
    expect(html.match(/<fieldset class="field question"/g)).toHaveLength(20);
    await agent.get(`/e-laering/test/forsoeg/${id}?side=5`).expect(404);
    expect(html).not.toMatch(/correct/i);
    expect(html).not.toMatch(/data-(answer|key|right)/i);
    for (const q of content.questions)
      if (q.explanation) expect(html).not.toContain(q.explanation.slice(0, 40));
    expect(html).toContain('Vælg alle rigtige svar.');
    // No content option id reaches the page: every value is the attempt's own token.
    const values = [...html.matchAll(/name="q\d+" id="q\d+-\d" value="([^"]+)"/g)].map((m) => m[1]!);
    const tokens = (await t.db('quiz_attempt_items').where({ attempt_id: id })).flatMap(
      (i) => JSON.parse(i.option_tokens) as string[],
    );
    expect(values.sort()).toEqual(tokens.sort());
    expect(values.every((v) => v.length >= 12)).toBe(true);
    const items = await t.db('quiz_attempt_items').where({ attempt_id: id });
    const objectives = new Set(items.map((i) => i.objective_id));
    for (const o of content.objectives.filter((x) => !x.superuserOnly))
      expect(objectives.has(o.id)).toBe(true);
  });

  it('when exactly 16 of 20 (80 %) are correct, then the attempt passes and a certificate is issued', async () => {
    const { agent } = await caseworkerAgent(t, { firstName: 'Petra', lastName: 'Pass' });
    const id = await startAttempt(agent, await csrfOf(agent));
    const res = await submit(agent, id, 16);
    expect(res.status).toBe(303);
    const result = (await agent.get(`/e-laering/test/forsoeg/${id}/resultat`).expect(200)).text;
    expect(result).toContain('16 af 20 rigtige (80 %)');
    expect(result).toContain('Du har bestået testen.');
    expect((await agent.get('/e-laering/certifikat').expect(200)).text).toContain('Petra Pass');
  });

  it('when the question bank changed under an unfinished attempt, then its page says so (409) and starting again draws a fresh attempt', async () => {
    const { agent } = await caseworkerAgent(t);
    const id = await startAttempt(agent, await csrfOf(agent));
    await t.db('quiz_attempt_items').where({ attempt_id: id, position: 1 }).update({ question_id: 'Q999' });
    const page = await agent.get(`/e-laering/test/forsoeg/${id}`);
    expect(page.status).toBe(409);
    expect(page.text).toContain('Spørgsmålene i testen er blevet opdateret');
    const fresh = await startAttempt(agent, await csrfOf(agent));
    expect(fresh).not.toBe(id);
    await agent.get(`/e-laering/test/forsoeg/${fresh}`).expect(200);
  });

  it('when a learner passes for the first time, then one "test passed" mail with the certificate link is queued, and a later pass queues none', async () => {
    const { agent, email } = await caseworkerAgent(t, { firstName: 'Mads', lastName: 'Mail' });
    const first = await startAttempt(agent, await csrfOf(agent));
    await submit(agent, first, 20);
    const second = await startAttempt(agent, await csrfOf(agent));
    await submit(agent, second, 18);
    const mails = await t
      .db('outbox')
      .where({ kind: 'test-passed' })
      .andWhere('recipients', 'like', `%${email.toLowerCase()}%`);
    expect(mails).toHaveLength(1);
    expect(mails[0].text).toContain('/e-laering/certifikat');
  });

  it('when 15 of 20 are correct, then it fails, names the objectives missed and the modules to revisit, and gives no certificate', async () => {
    const { agent } = await caseworkerAgent(t);
    const id = await startAttempt(agent, await csrfOf(agent));
    await submit(agent, id, 15);
    const result = (await agent.get(`/e-laering/test/forsoeg/${id}/resultat`).expect(200)).text;
    expect(result).toContain('15 af 20 rigtige (75 %)');
    expect(result).toContain('Du har ikke bestået testen');
    const missed = await t
      .db('quiz_attempt_items')
      .where({ attempt_id: id, correct: false })
      .distinct('objective_id');
    for (const m of missed) {
      const o = content.objective(m.objective_id)!;
      expect(result).toContain(`${o.id}:</strong>`);
      expect(result).toContain(`href="/e-laering/moduler/${o.module}"`);
    }
    await agent.get('/e-laering/certifikat').expect(404);
  });

  it('when a learner retakes the test many times, then every retake is allowed and the best attempt counts', async () => {
    const { agent } = await caseworkerAgent(t);
    const scores = [10, 18, 12, 5];
    for (const s of scores) {
      const id = await startAttempt(agent, await csrfOf(agent));
      expect((await submit(agent, id, s)).status).toBe(303);
    }
    const page = (await agent.get('/e-laering/test').expect(200)).text;
    expect(page.match(/<tr><td><a href="\/e-laering\/test\/forsoeg\/\d+\/resultat">/g)).toHaveLength(4);
    const overview = (await agent.get('/e-laering').expect(200)).text;
    expect(overview).toContain('Dit bedste forsøg: <strong>18 af 20 rigtige (90 %)</strong> – bestået');
    expect(overview).toContain('Udskriv kursusbevis');
  });

  it('when answers are saved and the learner logs in again, then the same attempt resumes with the saved answers', async () => {
    const email = uniqueEmail();
    const first = await caseworkerAgent(t, { email });
    const id = await startAttempt(first.agent, await csrfOf(first.agent));
    const answers = await answersFor(t.db, id, 20);
    const partial = { q1: answers.q1!, q2: answers.q2! };
    const csrf = csrfFrom((await first.agent.get(`/e-laering/test/forsoeg/${id}`)).text);
    await first.agent
      .post(`/e-laering/test/forsoeg/${id}`)
      .type('form')
      .send({ _csrf: csrf, side: '1', handling: 'gem', ...partial })
      .expect(303);

    const second = await caseworkerAgent(t, { email });
    const intro = (await second.agent.get('/e-laering/test').expect(200)).text;
    expect(intro).toContain(`href="/e-laering/test/forsoeg/${id}"`);
    expect(
      await startAttempt(second.agent, await csrfOf(second.agent, `/e-laering/test/forsoeg/${id}`)),
    ).toBe(id);
    const page = (await second.agent.get(`/e-laering/test/forsoeg/${id}`).expect(200)).text;
    expect(page).toContain('Du har besvaret 2 af 20 spørgsmål');
    const firstValue = Array.isArray(partial.q1) ? partial.q1[0] : partial.q1;
    expect(page).toMatch(new RegExp(`id="q1-\\d" value="${firstValue}" checked`));
  });

  it('when a submitted attempt is submitted again, then it is refused with a clear Danish message and nothing changes', async () => {
    const { agent } = await caseworkerAgent(t);
    const id = await startAttempt(agent, await csrfOf(agent));
    const csrf = csrfFrom((await agent.get(`/e-laering/test/forsoeg/${id}`)).text);
    expect((await submit(agent, id, 8)).status).toBe(303);
    const again = await agent
      .post(`/e-laering/test/forsoeg/${id}/aflever`)
      .type('form')
      .send({ _csrf: csrf });
    expect(again.status).toBe(409);
    expect(again.text).toContain('Testforsøget er allerede afleveret og kan ikke ændres');
    const { q1, q2 } = await answersFor(t.db, id, 20);
    const draft = await agent
      .post(`/e-laering/test/forsoeg/${id}`)
      .type('form')
      .send({ _csrf: csrf, side: '1', handling: 'gem', q1, q2 });
    expect(draft.status).toBe(409);
    const row = await t.db('quiz_attempts').where({ id }).first();
    expect(Number(row.correct_count)).toBe(8);
    expect(Boolean(row.passed)).toBe(false);
  });

  it('when two submits of one attempt arrive in parallel, then it counts once', async () => {
    const { agent } = await caseworkerAgent(t);
    const id = await startAttempt(agent, await csrfOf(agent));
    const csrf = csrfFrom((await agent.get(`/e-laering/test/forsoeg/${id}`)).text);
    const all = await answersFor(t.db, id, 17);
    for (let side = 1; side <= 4; side++) {
      const fields = Object.fromEntries(
        Object.entries(all).filter(([k]) => Math.ceil(Number(k.slice(1)) / 5) === side),
      );
      await agent
        .post(`/e-laering/test/forsoeg/${id}`)
        .type('form')
        .send({ _csrf: csrf, side: String(side), handling: 'naeste', ...fields })
        .expect(303);
    }
    const [a, b] = await Promise.all([
      agent.post(`/e-laering/test/forsoeg/${id}/aflever`).type('form').send({ _csrf: csrf }),
      agent.post(`/e-laering/test/forsoeg/${id}/aflever`).type('form').send({ _csrf: csrf }),
    ]);
    expect([a.status, b.status].sort()).toEqual([303, 409]);
    const learnerId = (await t.db('quiz_attempts').where({ id }).first()).learner_id;
    const submitted = await t
      .db('quiz_attempts')
      .where({ learner_id: learnerId })
      .whereNotNull('submitted_at');
    expect(submitted).toHaveLength(1);
    // Both hand in the same saved answers (17 of 20, a pass): whichever wins, one certificate.
    expect(await t.db('certificates').where({ learner_id: learnerId })).toHaveLength(1);
  });

  it('when a personal link with purpose "test" is used, then the test opens for that participant', async () => {
    const p = await addParticipant(t.db, { name: 'Lis Link', surveyGroup: 'sagsbehandler-udenfor' });
    const agent = await agentWithLink(t, p, 'test');
    const overview = (await agent.get('/e-laering').expect(200)).text;
    expect(overview).toContain('Øvrige brugere');
    const id = await startAttempt(agent, await csrfOf(agent));
    expect((await submit(agent, id, 20)).status).toBe(303);
    const learner = await t
      .db('learners')
      .where({ learner_key: `p:${p.id}` })
      .first();
    expect(learner.participant_id).toBe(p.id);
  });

  it('when a personal link with purpose "survey" is used, then it does not open the test', async () => {
    const p = await addParticipant(t.db);
    const agent = await agentWithLink(t, p, 'survey', { roundId: 1 });
    const res = await agent.get('/e-laering/test');
    expect(res.status).toBe(403);
    expect(res.text).toContain('Dit personlige link giver ikke adgang til denne side');
    expect((await agent.get('/e-laering')).status).toBe(403);
  });

  it('when someone without a learner role or link opens the test, then they are sent to log in or refused', async () => {
    expect((await request(t.app).get('/e-laering/test')).status).toBe(303);
    const { agent } = await caseworkerAgent(t, { roles: ['leder-jobcenter'] });
    expect((await agent.get('/e-laering/test')).status).toBe(403);
  });

  it("when another learner's attempt is opened, then it is not found", async () => {
    const a = await caseworkerAgent(t);
    const id = await startAttempt(a.agent, await csrfOf(a.agent));
    const b = await caseworkerAgent(t);
    await b.agent.get(`/e-laering/test/forsoeg/${id}`).expect(404);
  });
});

describe('certificate verification', () => {
  it('when a valid code is checked, then only name, municipality and date are shown', async () => {
    const { agent, email } = await caseworkerAgent(t, { firstName: 'Vera', lastName: 'Verificeret' });
    const id = await startAttempt(agent, await csrfOf(agent));
    await submit(agent, id, 19);
    const cert = await t
      .db('certificates as c')
      .join('learners as l', 'l.id', 'c.learner_id')
      .where('c.attempt_id', id)
      .first('c.code');
    const code = String(cert.code);
    expect(code).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{10}$/);
    const res = await request(t.app)
      .get(`/certifikat/verificer/${code.toLowerCase().slice(0, 5)}-${code.slice(5).toLowerCase()}`)
      .expect(200);
    const main = res.text.slice(res.text.indexOf('<main'), res.text.indexOf('</main>'));
    expect(main).toContain('Kursusbeviset er gyldigt');
    expect(main).toContain('Vera Verificeret');
    expect(main).toContain('København Kommune');
    expect(main).toMatch(/<dt>Bestået<\/dt><dd>\d{1,2}\. \S+ \d{4}<\/dd>/);
    expect(main.match(/<dt>/g)).toHaveLength(3);
    expect(main).not.toContain(email);
    expect(main).not.toMatch(/\d+ af 20|%/);
    const form = await request(t.app).get(`/certifikat/verificer?kode=${code}`).expect(303);
    expect(form.headers.location).toBe(`/certifikat/verificer/${code}`);
  });

  it('when an unknown code is checked, then it says so with 404', async () => {
    const res = await request(t.app).get('/certifikat/verificer/ABCDEFGHJK').expect(404);
    expect(res.text).toContain('Der findes ikke et kursusbevis med koden ABCDE-FGHJK');
  });

  it('when codes are guessed in bulk, then the rate limit stops it', async () => {
    const local = await createTestApp();
    try {
      const statuses: number[] = [];
      for (let i = 0; i <= VERIFY_LIMIT.limit; i++)
        statuses.push(
          (await request(local.app).get('/certifikat/verificer/ABCDEFGHJ' + ((i % 9) + 2))).status,
        );
      expect(statuses.slice(0, VERIFY_LIMIT.limit).every((s) => s === 404)).toBe(true);
      expect(statuses.at(-1)).toBe(429);
    } finally {
      await local.close();
    }
  });
});

describe('configuration', () => {
  it('when TEST_PASS_PERCENT is 90, then 17 of 20 fails', async () => {
    const local = await createTestApp({ env: { TEST_PASS_PERCENT: '90' } });
    try {
      const { agent } = await caseworkerAgent(local);
      const csrf = csrfFrom((await agent.get('/e-laering/test').expect(200)).text);
      const id = await startAttempt(agent, csrf);
      expect((await takeAttempt(agent, local.db, id, 17)).status).toBe(303);
      const result = (await agent.get(`/e-laering/test/forsoeg/${id}/resultat`)).text;
      expect(result).toContain('Der skal 90 % rigtige til for at bestå');
    } finally {
      await local.close();
    }
  });
});

describe('the test in pages, the summary before handing in, and the review', () => {
  const pageFields = (all: Record<string, string | string[]>, side: number) =>
    Object.fromEntries(Object.entries(all).filter(([k]) => Math.ceil(Number(k.slice(1)) / 5) === side));

  it('when only the first page is answered, then the summary lists the 15 unanswered questions with links to their pages', async () => {
    const { agent } = await caseworkerAgent(t);
    const id = await startAttempt(agent, await csrfOf(agent));
    const page1 = (await agent.get(`/e-laering/test/forsoeg/${id}`).expect(200)).text;
    expect(page1).toContain('side 1 af 4');
    expect(page1.match(/<fieldset class="field question"/g)).toHaveLength(5);
    expect(page1).toMatch(
      /aria-current=page><span class="visually-hidden">Spørgsmål <\/span>1<span class="visually-hidden">, ikke besvaret, på denne side/,
    );
    const all = await answersFor(t.db, id, 20);
    const next = await agent
      .post(`/e-laering/test/forsoeg/${id}`)
      .type('form')
      .send({ _csrf: csrfFrom(page1), side: '1', handling: 'naeste', ...pageFields(all, 1) });
    expect(next.headers.location).toBe(`/e-laering/test/forsoeg/${id}?side=2`);
    const page2 = (await agent.get(next.headers.location as string).expect(200)).text;
    expect(page2).toContain('Du har besvaret 5 af 20 spørgsmål');
    expect(page2).toMatch(
      /class="test-nav-item is-answered"[^>]*><span class="visually-hidden">Spørgsmål <\/span>5<span class="visually-hidden">, besvaret/,
    );
    const toSummary = await agent
      .post(`/e-laering/test/forsoeg/${id}`)
      .type('form')
      .send({ _csrf: csrfFrom(page2), side: '2', handling: 'aflever' });
    expect(toSummary.headers.location).toBe(`/e-laering/test/forsoeg/${id}/aflever`);
    const summary = (await agent.get(`/e-laering/test/forsoeg/${id}/aflever`).expect(200)).text;
    expect(summary).toContain('<strong>5 af 20</strong>');
    expect(summary).toContain('15 spørgsmål er ikke besvaret');
    expect(summary).toContain(`href="/e-laering/test/forsoeg/${id}?side=2#spoergsmaal-6"`);
    expect(summary).toContain(`href="/e-laering/test/forsoeg/${id}?side=4#spoergsmaal-20"`);
    expect(summary).not.toContain('#spoergsmaal-5"');
    expect((await t.db('quiz_attempts').where({ id }).first()).submitted_at).toBeNull();
  });

  it('when a token of another attempt or question, a question off the page or not in the attempt, or a page out of range is posted, then it is a Danish 4xx and nothing is stored', async () => {
    const { agent } = await caseworkerAgent(t);
    const other = await caseworkerAgent(t);
    const otherId = await startAttempt(other.agent, await csrfOf(other.agent));
    const foreign = await answersFor(t.db, otherId, 20);
    const id = await startAttempt(agent, await csrfOf(agent));
    const own = await answersFor(t.db, id, 20);
    const csrf = csrfFrom((await agent.get(`/e-laering/test/forsoeg/${id}`)).text);
    const post = (fields: Record<string, unknown>) =>
      agent
        .post(`/e-laering/test/forsoeg/${id}`)
        .type('form')
        .send({ _csrf: csrf, handling: 'naeste', ...fields });
    const swapped = { q1: own.q2!, q2: own.q1! };
    for (const fields of [
      { side: '1', q1: foreign.q1! },
      { side: '1', ...swapped },
      { side: '1', q6: own.q6! },
      { side: '1', q99: own.q1! },
    ]) {
      const res = await post(fields);
      expect(res.status).toBe(422);
      expect(res.text).toContain('Svaret passer ikke til spørgsmålene i dit testforsøg');
    }
    expect((await post({ side: '9', q1: own.q1! })).status).toBe(404);
    expect((await post({ q1: own.q1! })).status).toBe(404);
    expect((await agent.get(`/e-laering/test/forsoeg/${id}?side=0`)).status).toBe(404);
    const saved = await t.db('quiz_attempt_items').where({ attempt_id: id }).whereNotNull('selected');
    expect(saved).toHaveLength(0);
  });

  it('when an attempt is failed, then its review shows each answer, right or wrong, the explanation and the module, but not the key; after a pass the key is shown', async () => {
    const { agent } = await caseworkerAgent(t);
    const failed = await startAttempt(agent, await csrfOf(agent));
    expect((await takeAttempt(agent, t.db, failed, 10)).status).toBe(303);
    const review = (await agent.get(`/e-laering/test/forsoeg/${failed}/resultat`).expect(200)).text;
    expect(review).toContain('Gennemgang af dine svar');
    expect(review).toMatch(/Startet \d{1,2}\. \w+ \d{4}/);
    expect(review).toMatch(/\(\d+ minut(ter)?\)/);
    expect(review.match(/review-verdict-ok">Rigtigt/g)).toHaveLength(10);
    expect(review.match(/review-verdict-bad">Forkert/g)).toHaveLength(10);
    expect(review).toContain('● Dit svar: ');
    expect(review).not.toContain('(rigtigt svar)');
    expect(review).toContain('De rigtige svar vises, når du har bestået testen.');
    const first = await t.db('quiz_attempt_items').where({ attempt_id: failed, position: 1 }).first();
    const q1 = content.question(first.question_id)!;
    if (q1.explanation)
      expect(review).toContain(q1.explanation.replace(/&/g, '&amp;').replace(/"/g, '&#34;').slice(0, 40));
    expect(review).toContain(`href="/e-laering/moduler/${content.objective(first.objective_id)!.module}"`);

    const passed = await startAttempt(agent, await csrfOf(agent));
    expect((await takeAttempt(agent, t.db, passed, 20)).status).toBe(303);
    const again = (await agent.get(`/e-laering/test/forsoeg/${failed}/resultat`).expect(200)).text;
    expect(again.match(/\(rigtigt svar\)/g)!.length).toBeGreaterThanOrEqual(20);
  });

  it('when TEST_REVIEW_SHOWS_KEY is never, then even a passed attempt does not show the key; when always, a failed one does', async () => {
    for (const [setting, expected] of [
      ['never', false],
      ['always', true],
    ] as const) {
      const local = await createTestApp({ env: { TEST_REVIEW_SHOWS_KEY: setting } });
      try {
        const { agent } = await caseworkerAgent(local);
        const id = await startAttempt(agent, csrfFrom((await agent.get('/e-laering/test').expect(200)).text));
        expect((await takeAttempt(agent, local.db, id, setting === 'never' ? 20 : 3)).status).toBe(303);
        const text = (await agent.get(`/e-laering/test/forsoeg/${id}/resultat`).expect(200)).text;
        expect(text.includes('(rigtigt svar)'), setting).toBe(expected);
      } finally {
        await local.close();
      }
    }
  });
});
