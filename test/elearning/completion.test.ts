import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from 'supertest';
import { createTestApp, type TestApp } from '../support/app.js';
import { csrfFrom } from '../support/saml.js';
import { caseworkerAgent, content } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const exercisesOf = (slug: string) => content.exercises.filter((e) => e.module === slug);

/** Presses the completion button from the module page; the response is returned whatever its status. */
async function pressComplete(agent: Agent, slug: string) {
  const page = await agent.get(`/e-laering/moduler/${slug}`).expect(200);
  return agent
    .post(`/e-laering/moduler/${slug}/gennemfoert`)
    .type('form')
    .send({ _csrf: csrfFrom(page.text) });
}

/** Answers one step; the step page's HTML. */
async function answer(agent: Agent, exerciseId: string, n: number, valg: string): Promise<string> {
  const page = await agent.get(`/e-laering/oevelser/${exerciseId}/trin/${n}`).expect(200);
  return (
    await agent
      .post(`/e-laering/oevelser/${exerciseId}/trin/${n}`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), valg })
      .expect(200)
  ).text;
}

async function solve(agent: Agent, exerciseId: string): Promise<string> {
  let last = '';
  for (const [i, step] of content.exercise(exerciseId)!.steps.entries())
    last = await answer(agent, exerciseId, i + 1, step.correct);
  return last;
}

/** The "Det mangler du" list of the overview. */
async function leftToDo(agent: Agent): Promise<string> {
  const html = (await agent.get('/e-laering').expect(200)).text;
  return html.slice(html.indexOf('Det mangler du'), html.indexOf('<h2>Moduler'));
}

async function completedAt(email: string, slug: string): Promise<unknown> {
  const row = await t
    .db('elearning_progress as p')
    .join('learners as l', 'l.id', 'p.learner_id')
    .join('users as u', 'u.id', 'l.user_id')
    .where({ 'u.email': email, 'p.module_slug': slug })
    .first('p.completed_at');
  return row?.completed_at ?? null;
}

describe('module completion', () => {
  it('when the hands-on module is marked before its exercises are solved, then a Danish 422 names each unsolved exercise, and once they are solved it is completed', async () => {
    const { agent, email } = await caseworkerAgent(t);
    const exercises = exercisesOf('hands-on');
    expect(exercises.length).toBeGreaterThan(1);
    await solve(agent, exercises[0]!.id);

    const refused = await pressComplete(agent, 'hands-on');
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Modulet kan ikke markeres som gennemført endnu.');
    const notice = refused.text.slice(
      refused.text.indexOf('role="alert"'),
      refused.text.indexOf('</div>', refused.text.indexOf('role="alert"')),
    );
    expect(notice).toContain('Du mangler at løse disse øvelser:');
    for (const e of exercises.slice(1))
      expect(notice).toContain(`<a href="/e-laering/oevelser/${e.id}">${e.title}</a>`);
    expect(notice).not.toContain(exercises[0]!.title);
    expect(notice).not.toContain('Du mangler at se');
    expect(await completedAt(email, 'hands-on')).toBeNull();

    for (const e of exercises.slice(1)) await solve(agent, e.id);
    const done = await pressComplete(agent, 'hands-on');
    expect(done.status).toBe(303);
    expect(await completedAt(email, 'hands-on')).not.toBeNull();
    const module = (await agent.get('/e-laering/moduler/hands-on').expect(200)).text;
    expect(module).toContain('Status: Gennemført');
    expect(module).toContain('Hands-on træning&#34; er markeret som gennemført.');
    expect(await leftToDo(agent)).not.toContain('Hands-on træning');
  });

  it('when the toolbox is marked before every job aid is opened, then the 422 names the job aids not yet seen, and after opening them it is completed', async () => {
    const { agent, email } = await caseworkerAgent(t);
    const [first, second, ...rest] = content.huskesedler;
    for (const h of rest) await agent.get(`/e-laering/huskesedler/${h.slug}`).expect(200);

    const refused = await pressComplete(agent, 'vaerktoejskasse');
    expect(refused.status).toBe(422);
    const notice = refused.text.slice(
      refused.text.indexOf('role="alert"'),
      refused.text.indexOf('</div>', refused.text.indexOf('role="alert"')),
    );
    expect(notice).toContain('Du mangler at se disse sider:');
    expect(notice).toContain(
      `<a href="/e-laering/huskesedler/${first!.slug}">Huskeseddel: ${first!.title}</a>`,
    );
    expect(notice).toContain(
      `<a href="/e-laering/huskesedler/${second!.slug}">Huskeseddel: ${second!.title}</a>`,
    );
    for (const h of rest) expect(notice).not.toContain(`/e-laering/huskesedler/${h.slug}"`);
    expect(notice).not.toContain('Du mangler at løse');
    expect(await completedAt(email, 'vaerktoejskasse')).toBeNull();

    await agent.get(`/e-laering/huskesedler/${first!.slug}`).expect(200);
    const stillOne = await pressComplete(agent, 'vaerktoejskasse');
    expect(stillOne.status).toBe(422);
    expect(stillOne.text).toContain('Du mangler at se denne side:');
    await agent.get(`/e-laering/huskesedler/${second!.slug}`).expect(200);
    expect((await pressComplete(agent, 'vaerktoejskasse')).status).toBe(303);
    expect(await completedAt(email, 'vaerktoejskasse')).not.toBeNull();
  });

  it('when a module has one page and no exercises, then seeing it is enough to complete it', async () => {
    const { agent, email } = await caseworkerAgent(t);
    expect(exercisesOf('introduktion')).toEqual([]);
    expect((await pressComplete(agent, 'introduktion')).status).toBe(303);
    expect(await completedAt(email, 'introduktion')).not.toBeNull();
  });

  it('when a learner answers only the last step of an exercise, then it is not solved and the page names the steps still to do', async () => {
    const { agent } = await caseworkerAgent(t);
    const e = exercisesOf('hands-on')[0]!;
    const n = e.steps.length;
    const html = await answer(agent, e.id, n, e.steps[n - 1]!.correct);
    expect(html).toContain('Rigtigt.');
    expect(html).not.toContain('Du har gennemført øvelsen.');
    expect(html).toContain('Øvelsen tæller først som løst, når du har svaret rigtigt i alle trin.');
    expect(html).toContain(`href="/e-laering/oevelser/${e.id}/trin/1"`);
    const module = (await agent.get('/e-laering/moduler/hands-on').expect(200)).text;
    expect(module).toContain(`${e.title}</a> – ikke løst endnu`);

    // The other steps, then the last one again: now the exercise is solved.
    for (let i = 1; i < n; i++) await answer(agent, e.id, i, e.steps[i - 1]!.correct);
    expect(await answer(agent, e.id, n, e.steps[n - 1]!.correct)).toContain('Du har gennemført øvelsen.');
    expect((await agent.get('/e-laering/moduler/hands-on').expect(200)).text).toContain(
      `${e.title}</a> – gennemført`,
    );
  });

  it('when a learner has done part of a module, then the overview shows per module what is missing', async () => {
    const { agent } = await caseworkerAgent(t);
    const [e1, ...others] = exercisesOf('hands-on');
    await solve(agent, e1!.id);
    await agent.get('/e-laering/moduler/vaerktoejskasse').expect(200);
    await agent.get(`/e-laering/huskesedler/${content.huskesedler[0]!.slug}`).expect(200);
    await agent.get('/e-laering/moduler/introduktion').expect(200);

    const left = await leftToDo(agent);
    const titles = others.map((e) => `»${e.title}«`);
    const listed = `${titles.slice(0, -1).join(', ')} og ${titles[titles.length - 1]}`;
    expect(left).toContain(
      `Hands-on træning</a> – i gang: du mangler at læse modulet og løse øvelserne ${listed}`,
    );
    expect(left).toContain(
      `Værktøjskasse</a> – i gang: du mangler at se ${content.huskesedler.length - 1} huskesedler`,
    );
    expect(left).toContain('Introduktion til KSD</a> – i gang: klar til at blive markeret som gennemført');
    expect(left).toContain('Afslutning og opsummering af læringsmål</a> – ikke startet');
    const html = (await agent.get('/e-laering').expect(200)).text;
    expect(html).toContain('Du mangler at læse modulet.');
  });

  it('when a completion was recorded without the pages and exercises behind it, then the module does not count as completed', async () => {
    const { agent, email } = await caseworkerAgent(t);
    await agent.get('/e-laering').expect(200);
    const learner = await t
      .db('learners as l')
      .join('users as u', 'u.id', 'l.user_id')
      .where({ 'u.email': email })
      .first('l.id');
    // As the button alone recorded it before pages and exercises were counted.
    await t.db('elearning_progress').insert({
      learner_id: learner.id,
      module_slug: 'hands-on',
      started_at: new Date(),
      last_visited_at: new Date(),
      completed_at: new Date(),
      times_completed: 1,
    });
    const html = (await agent.get('/e-laering').expect(200)).text;
    expect(html).toContain('0 af 4 moduler er gennemført');
    expect(html.slice(html.indexOf('Det mangler du'), html.indexOf('<h2>Moduler'))).toContain(
      'Hands-on træning</a> – i gang',
    );
  });
});
