import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/app.js';
import { agentWithLink, content } from '../elearning/support.js';
import { seedDemoData } from '../../src/demo/demo.seed.js';
import { CODE_LENGTH, formatCode } from '../../src/elearning/certificates.js';
import { CODE_ALPHABET } from '../../src/shared/random.js';
import { modulePages, moduleExercises } from '../../src/elearning/elearning.service.js';
import { progressByMunicipalityAndGroup } from '../../src/elearning/elearning.stats.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await seedDemoData(t.deps);
}, 300_000);
afterAll(async () => t.close());

describe('demo data', () => {
  it('when the demo is seeded, then every certificate has a code in the app’s format that the public verification page confirms', async () => {
    const certificates = await t.db('certificates').select('code', 'name');
    expect(certificates.length).toBeGreaterThan(20);
    const format = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`);
    const answers: Array<[string, number]> = [];
    for (const c of certificates) {
      expect(String(c.code)).toMatch(format);
      const res = await request(t.app).get(`/certifikat/verificer/${c.code}`);
      answers.push([String(c.code), res.status]);
      if (res.status === 200) expect(res.text).toContain(String(c.name));
    }
    expect(answers.filter(([, status]) => status !== 200)).toEqual([]);
    // Typed from the paper certificate (with the dash), one of them is found too.
    const printed = formatCode(String(certificates[0]!.code));
    expect(
      (
        await request(t.app)
          .get(`/certifikat/verificer?kode=${encodeURIComponent(printed)}`)
          .redirects(1)
      ).status,
    ).toBe(200);
  });

  it('when the demo is seeded, then e-learning evaluations are marked under the scope the app reads, so a demo learner who evaluated is not asked again', async () => {
    const scopes = (await t.db('evaluation_participation').distinct('scope')).map((r) => String(r.scope));
    expect(scopes).toContain('e-laering');
    expect(scopes.filter((s) => s !== 'e-laering' && !s.startsWith('kursus:'))).toEqual([]);
    const evaluated = await t
      .db('evaluation_participation')
      .where({ scope: 'e-laering' })
      .first('person_key');
    const participantId = Number(String(evaluated.person_key).replace(/^p:/, ''));
    const p = await t.db('participants').where({ id: participantId }).first('id', 'municipality_code');
    const agent = await agentWithLink(
      t,
      { id: Number(p.id), municipalityCode: Number(p.municipality_code) },
      'test',
    );
    const overview = (await agent.get('/e-laering').expect(200)).text;
    expect(overview).toContain('Tak, du har evalueret e-læringen.');
    expect((await agent.get('/evaluering/e-laering').expect(200)).text).toContain(
      'Du har allerede evalueret e-læringen.',
    );
  });

  it('when the demo is seeded, then every completed module rests on seen pages and solved exercises, so every demo completion counts', async () => {
    const completed = await t
      .db('elearning_progress')
      .whereNotNull('completed_at')
      .select('learner_id', 'module_slug');
    expect(completed.length).toBeGreaterThan(50);
    const visits = await t.db('elearning_page_visits').select('learner_id', 'module_slug', 'page');
    const solved = await t.db('elearning_exercise_results').select('learner_id', 'exercise_id');
    const seen = new Set(visits.map((v) => `${v.learner_id}|${v.module_slug}|${v.page}`));
    const done = new Set(solved.map((s) => `${s.learner_id}|${s.exercise_id}`));
    const gaps: string[] = [];
    for (const c of completed) {
      const module = content.module(String(c.module_slug))!;
      for (const page of modulePages(content, module))
        if (!seen.has(`${c.learner_id}|${module.slug}|${page.key}`)) gaps.push(`${c.learner_id} ${page.key}`);
      for (const e of moduleExercises(content, module))
        if (!done.has(`${c.learner_id}|${e.id}`)) gaps.push(`${c.learner_id} ${e.id}`);
    }
    expect(gaps).toEqual([]);

    const cells = await progressByMunicipalityAndGroup(t.db, content);
    const counted = cells.reduce(
      (sum, c) => sum + Object.values(c.completedByModule).reduce((a, b) => a + b, 0),
      0,
    );
    expect(counted).toBe(completed.length);

    // And a demo learner who completed the hands-on module sees it as completed.
    const learner = await t
      .db('elearning_progress as p')
      .join('learners as l', 'l.id', 'p.learner_id')
      .where({ 'p.module_slug': 'hands-on' })
      .whereNotNull('p.completed_at')
      .first('l.participant_id', 'l.municipality_code');
    const agent = await agentWithLink(
      t,
      { id: Number(learner.participant_id), municipalityCode: Number(learner.municipality_code) },
      'test',
    );
    expect((await agent.get('/e-laering/moduler/hands-on').expect(200)).text).toContain('Status: Gennemført');
  });
});
