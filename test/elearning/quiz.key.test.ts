import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from 'supertest';
import { createTestApp, type TestApp } from '../support/app.js';
import { csrfFrom } from '../support/saml.js';
import { caseworkerAgent, content, startAttempt } from './support.js';
import {
  ContentError,
  keyPositionProblems,
  loadElearningContent,
} from '../../src/elearning/content.loader.js';
import { ELEARNING_CONTENT_DIR } from '../../src/shared/paths.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

type RenderedOption = { features: Record<string, string>; correct: boolean };
type RenderedQuestion = { attempt: number; options: RenderedOption[] };

const attrs = (tag: string): Record<string, string> =>
  Object.fromEntries([...tag.matchAll(/([\w:-]+)(?:="([^"]*)")?/g)].slice(1).map((m) => [m[1]!, m[2] ?? '']));

/** Renders every page of an attempt and reads each option as the page gives it: every attribute, its place, the rank of its value. */
async function renderAttempt(agent: Agent, attemptId: number, seq: number): Promise<RenderedQuestion[]> {
  const items = await t.db('quiz_attempt_items').where({ attempt_id: attemptId }).orderBy('position');
  const truth = new Map<string, boolean>();
  for (const item of items) {
    const order = JSON.parse(item.option_order) as string[];
    const tokens = JSON.parse(item.option_tokens) as string[];
    const q = content.question(item.question_id)!;
    order.forEach((id, i) => truth.set(tokens[i]!, q.options.find((o) => o.id === id)!.correct));
  }
  const out: RenderedQuestion[] = [];
  for (let side = 1; side <= 4; side++) {
    const html = (await agent.get(`/e-laering/test/forsoeg/${attemptId}?side=${side}`).expect(200)).text;
    for (const fieldset of html.matchAll(/<fieldset class="field question"([^>]*)>([\s\S]*?)<\/fieldset>/g)) {
      const wrappers = [...fieldset[2]!.matchAll(/<div ([^>]*)>\s*<input ([^>]*)>\s*<label ([^>]*)>/g)];
      const values = wrappers.map((w) => attrs(`<input ${w[2]}`).value!);
      const ranks = [...values].sort();
      out.push({
        attempt: seq,
        options: wrappers.map((w, i) => {
          const input = attrs(`<input ${w[2]}`);
          const features: Record<string, string> = {
            place: String(i),
            valueRank: String(ranks.indexOf(input.value!)),
          };
          for (const [k, v] of Object.entries(input)) if (k !== 'checked') features[`input.${k}`] = v;
          for (const [k, v] of Object.entries(attrs(`<div ${w[1]}`))) features[`div.${k}`] = v;
          for (const [k, v] of Object.entries(attrs(`<label ${w[3]}`))) features[`label.${k}`] = v;
          return { features, correct: truth.get(input.value!) ?? false };
        }),
      });
    }
  }
  return out;
}

/**
 * For one feature: learn from the first half how often each of its values was correct, then in the second
 * half pick, per question, the option whose value scored best. Returns that accuracy and chance's.
 */
function predictWith(feature: string, train: RenderedQuestion[], test: RenderedQuestion[]) {
  const seen = new Map<string, { right: number; all: number }>();
  for (const q of train) {
    for (const o of q.options) {
      const s = seen.get(o.features[feature] ?? '') ?? { right: 0, all: 0 };
      s.all += 1;
      if (o.correct) s.right += 1;
      seen.set(o.features[feature] ?? '', s);
    }
  }
  const rate = (v: string) => {
    const s = seen.get(v);
    return s ? (s.right + 1) / (s.all + 4) : -1;
  };
  let hits = 0;
  let chance = 0;
  for (const q of test) {
    let best = 0;
    q.options.forEach((o, i) => {
      if (rate(o.features[feature] ?? '') > rate(q.options[best]!.features[feature] ?? '')) best = i;
    });
    if (q.options[best]!.correct) hits += 1;
    chance += q.options.filter((o) => o.correct).length / q.options.length;
  }
  return { feature, accuracy: hits / test.length, chance: chance / test.length };
}

describe('the final test keeps its key', () => {
  it('when 200 attempts are rendered, then no attribute value, id or position of an option predicts correctness better than chance', async () => {
    const learners = [];
    for (let i = 0; i < 4; i++) learners.push(await caseworkerAgent(t, { firstName: `Nøgle${i}` }));
    const rendered: RenderedQuestion[][] = Array.from({ length: 200 }, () => []);
    await Promise.all(
      learners.map(async ({ agent }, l) => {
        const csrf = csrfFrom((await agent.get('/e-laering/test').expect(200)).text);
        for (let n = 0; n < 50; n++) {
          const seq = l * 50 + n;
          const id = await startAttempt(agent, csrf);
          rendered[seq] = await renderAttempt(agent, id, seq);
          await agent
            .post(`/e-laering/test/forsoeg/${id}/aflever`)
            .type('form')
            .send({ _csrf: csrf })
            .expect(303);
        }
      }),
    );
    const all = rendered.flat();
    expect(all).toHaveLength(200 * 20);
    const train = all.filter((q) => q.attempt % 2 === 0);
    const test = all.filter((q) => q.attempt % 2 === 1);
    const features = [...new Set(all.flatMap((q) => q.options.flatMap((o) => Object.keys(o.features))))];
    expect(features).toEqual(
      expect.arrayContaining([
        'place',
        'valueRank',
        'input.value',
        'input.id',
        'input.name',
        'input.type',
        'label.for',
      ]),
    );
    const results = features.map((f) => predictWith(f, train, test));
    const best = results.reduce((a, b) => (b.accuracy - b.chance > a.accuracy - a.chance ? b : a));
    console.info(
      `key check over ${test.length} questions of 100 attempts (learnt from 100 others): best predictor ${best.feature}, ` +
        `${(best.accuracy * 100).toFixed(1)} % right against ${(best.chance * 100).toFixed(1)} % by chance`,
    );
    for (const r of results)
      expect(r.accuracy - r.chance, `${r.feature}: ${r.accuracy} vs ${r.chance}`).toBeLessThan(0.05);
  }, 240_000);
});

describe('the question bank', () => {
  it('when one option position is correct in more than 60 % of the questions, then the loader refuses the bank, naming the file and the position', () => {
    const skewed = content.questions.map((q) => ({
      ...q,
      options: [...q.options].sort((a, b) => Number(b.correct) - Number(a.correct)),
    }));
    expect(keyPositionProblems('questions.json', skewed)).toEqual([
      expect.stringMatching(
        /^questions\.json: svarmulighed nr\. 1 er rigtig i \d+ af 58 spørgsmål \(over 60 %\)/,
      ),
    ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parat-content-'));
    fs.cpSync(ELEARNING_CONTENT_DIR, dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'questions.json'), JSON.stringify(skewed));
    try {
      expect(() => loadElearningContent(dir)).toThrow(ContentError);
      expect(() => loadElearningContent(dir)).toThrow(/questions\.json: svarmulighed nr\. 1 er rigtig/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when the shipped bank is read, then no position holds the key in more than 60 % of the questions', () => {
    expect(keyPositionProblems('questions.json', content.questions)).toEqual([]);
  });
});
