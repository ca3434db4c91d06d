import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { csrfFrom } from '../support/saml.js';
import { addParticipant, agentWithLink, caseworkerAgent } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const complete = async (agent: Awaited<ReturnType<typeof caseworkerAgent>>['agent'], slug: string) => {
  const page = await agent.get(`/e-laering/moduler/${slug}`).expect(200);
  return agent
    .post(`/e-laering/moduler/${slug}/gennemfoert`)
    .type('form')
    .send({ _csrf: csrfFrom(page.text) })
    .expect(303);
};

describe('e-learning modules and progress', () => {
  it('when a caseworker opens the overview, then every module is listed as not started and everything is left to do', async () => {
    const { agent } = await caseworkerAgent(t);
    const html = (await agent.get('/e-laering').expect(200)).text;
    for (const title of [
      'Introduktion til KSD',
      'Hands-on træning',
      'Værktøjskasse',
      'Afslutning og opsummering af læringsmål',
    ])
      expect(html).toContain(title);
    expect(html).not.toContain('Guide og støt dine kolleger');
    expect(html).toContain('0 af 4 moduler er gennemført');
    expect(html).toContain('Sagsbehandlere i ydelsescenter');
  });

  it('when modules are taken in any order and repeated, then progress shows started, completed and times repeated', async () => {
    const { agent } = await caseworkerAgent(t);
    await complete(agent, 'afslutning');
    await agent.get('/e-laering/moduler/introduktion').expect(200);
    await complete(agent, 'afslutning');
    await complete(agent, 'afslutning');
    const html = (await agent.get('/e-laering').expect(200)).text;
    expect(html).toContain('1 af 4 moduler er gennemført');
    expect(html).toContain('Gennemført (gentaget 2 gange)');
    const left = html.slice(html.indexOf('Det mangler du'), html.indexOf('<h2>Moduler'));
    expect(left).toContain('Introduktion til KSD</a> – i gang');
    expect(left).toContain('Hands-on træning</a> – ikke startet');
    expect(left).not.toContain('Afslutning');
  });

  it('when a learner who is not a superuser opens the superuser module, then it does not exist for them', async () => {
    const { agent } = await caseworkerAgent(t);
    await agent.get('/e-laering/moduler/superbruger').expect(404);
  });

  it('when a superuser opens the overview, then the superuser module is shown and opens', async () => {
    const { agent } = await caseworkerAgent(t, { roles: ['sagsbehandler-ydelsescenter', 'superbruger'] });
    const html = (await agent.get('/e-laering').expect(200)).text;
    expect(html).toContain('Guide og støt dine kolleger');
    expect(html).toContain('Superbrugere');
    expect((await agent.get('/e-laering/moduler/superbruger').expect(200)).text).toContain(
      'Brugerfejl eller systemfejl?',
    );
  });

  it('when a participant flagged as superuser comes by test link, then the superuser module is visible too', async () => {
    const p = await addParticipant(t.db, { superuser: true, surveyGroup: 'sagsbehandler-udenfor' });
    const agent = await agentWithLink(t, p, 'test');
    await agent.get('/e-laering/moduler/superbruger').expect(200);
  });

  it('when a caseworker outside the benefits centre opens the overview, then no classroom course is offered', async () => {
    const { agent } = await caseworkerAgent(t, { roles: ['sagsbehandler-udenfor'] });
    const html = (await agent.get('/e-laering').expect(200)).text;
    expect(html).toContain('der er ikke et tilstedeværelseskursus for din gruppe');
    expect(html).not.toContain('evaluer kurset med koden');
  });

  it('when a module is rendered, then its Markdown becomes HTML with tables and the learning objectives are listed', async () => {
    const { agent } = await caseworkerAgent(t);
    const html = (await agent.get('/e-laering/moduler/introduktion').expect(200)).text;
    expect(html).toContain('<h1>Introduktion til KSD</h1>');
    expect(html).toContain('<table>');
    expect(html).toContain('LM01:');
  });
});

describe('hands-on exercises', () => {
  it('when an exercise opens, then it shows problem, principle, procedure and a KSD-like screen', async () => {
    const { agent } = await caseworkerAgent(t);
    const html = (await agent.get('/e-laering/oevelser/anette-poul').expect(200)).text;
    const order = ['1. Problem', '2. Princip', '3. Procedure', 'KSD – Sagsoverblik'].map((s) =>
      html.indexOf(s),
    );
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('when a step is shown, then it is one radio group in a form with the shortcuts and no answer key', async () => {
    const { agent } = await caseworkerAgent(t);
    const html = (await agent.get('/e-laering/oevelser/anette-poul/trin/1').expect(200)).text;
    expect(html.match(/type="radio" name="valg"/g)).toHaveLength(3);
    expect(html).toContain('<kbd>Alt</kbd>+<kbd>O</kbd>');
    expect(html).toContain('<legend>');
    expect(html).not.toContain('Sagen findes allerede');
    expect(html).not.toMatch(/correct/i);
  });

  it('when a wrong action is chosen, then the targeted feedback for that choice is shown and the step stays', async () => {
    const { agent } = await caseworkerAgent(t);
    const page = await agent.get('/e-laering/oevelser/anette-poul/trin/1').expect(200);
    const res = await agent
      .post('/e-laering/oevelser/anette-poul/trin/1')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), valg: 'b' })
      .expect(200);
    expect(res.text).toContain('Sagen findes allerede. KSD dannede den automatisk');
    expect(res.text).toContain('type="radio" name="valg"');
    expect(res.text).not.toContain('Næste trin');
  });

  it('when no action is chosen, then a Danish 422 asks for one', async () => {
    const { agent } = await caseworkerAgent(t);
    const page = await agent.get('/e-laering/oevelser/anette-poul/trin/1').expect(200);
    const res = await agent
      .post('/e-laering/oevelser/anette-poul/trin/1')
      .type('form')
      .send({ _csrf: csrfFrom(page.text) });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Vælg en af handlingerne');
  });

  it('when every step is answered correctly, then the exercise is recorded as done on the module page', async () => {
    const { agent } = await caseworkerAgent(t);
    const answers = ['a', 'b', 'c', 'b', 'c'];
    let last = '';
    for (const [i, valg] of answers.entries()) {
      const page = await agent.get(`/e-laering/oevelser/anette-poul/trin/${i + 1}`).expect(200);
      last = (
        await agent
          .post(`/e-laering/oevelser/anette-poul/trin/${i + 1}`)
          .type('form')
          .send({ _csrf: csrfFrom(page.text), valg })
          .expect(200)
      ).text;
      expect(last).toContain('Rigtigt.');
    }
    expect(last).toContain('Du har gennemført øvelsen.');
    const module = (await agent.get('/e-laering/moduler/hands-on').expect(200)).text;
    expect(module).toContain('Anette behandler Pouls sygedagpengesag</a> – gennemført');
  });
});

describe('toolbox', () => {
  it('when a job aid is opened, then it has the shortcuts table, the steps and the print stylesheet', async () => {
    const { agent } = await caseworkerAgent(t);
    const toolbox = (await agent.get('/e-laering/moduler/vaerktoejskasse').expect(200)).text;
    expect(toolbox).toContain('href="/e-laering/huskesedler/behandl-opgave"');
    const html = (await agent.get('/e-laering/huskesedler/behandl-opgave').expect(200)).text;
    expect(html).toContain('<h1>Behandl en opgave fra opgavelisten</h1>');
    expect(html.indexOf('<h2>Genvejstaster</h2>')).toBeGreaterThan(html.indexOf('<h1>'));
    expect(html.indexOf('<h2>Genvejstaster</h2>')).toBeLessThan(html.indexOf('Sådan gør du'));
    expect(html).toContain('href="/public/css/print.css" media="print"');
    await agent.get('/e-laering/huskesedler/findes-ikke').expect(404);
  });
});
