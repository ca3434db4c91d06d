import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentError, loadElearningContent, renderMarkdown } from '../../src/elearning/content.loader.js';
import { ELEARNING_CONTENT_DIR } from '../../src/shared/paths.js';

const temps: string[] = [];
function copyContent(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parat-content-'));
  temps.push(dir);
  fs.cpSync(ELEARNING_CONTENT_DIR, dir, { recursive: true });
  return dir;
}
function problemsOf(dir: string): string[] {
  try {
    loadElearningContent(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(ContentError);
    return (err as ContentError).problems;
  }
  throw new Error('content loaded without error');
}
afterEach(() => {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('e-learning content', () => {
  it('when the shipped content is loaded, then it validates: 13 objectives, 5 modules, 58 questions, exercises and job aids', () => {
    const c = loadElearningContent(ELEARNING_CONTENT_DIR);
    expect(c.objectives).toHaveLength(13);
    expect(c.modules.map((m) => m.slug)).toEqual([
      'introduktion',
      'hands-on',
      'vaerktoejskasse',
      'afslutning',
      'superbruger',
    ]);
    expect(c.questions).toHaveLength(58);
    expect(c.exercises.length).toBeGreaterThanOrEqual(4);
    expect(c.huskesedler.length).toBeGreaterThanOrEqual(10);
    expect(c.objectives.filter((o) => o.superuserOnly).map((o) => o.id)).toEqual(['LM12', 'LM13']);
  });

  it('when a question has no correct option, then the error names the file and the field', () => {
    const dir = copyContent();
    const file = path.join(dir, 'questions.json');
    const questions = JSON.parse(fs.readFileSync(file, 'utf8'));
    questions[12].options = questions[12].options.map((o: { correct: boolean }) => ({
      ...o,
      correct: false,
    }));
    fs.writeFileSync(file, JSON.stringify(questions));
    const problems = problemsOf(dir);
    expect(problems).toContain(
      `${file}: [12].options: et single choice-spørgsmål skal have præcis ét rigtigt svar (har 0)`,
    );
  });

  it('when a field has the wrong type or is missing, then the error names the file and the field path', () => {
    const dir = copyContent();
    const file = path.join(dir, 'questions.json');
    const questions = JSON.parse(fs.readFileSync(file, 'utf8'));
    questions[3].type = 'essay';
    delete questions[5].text;
    fs.writeFileSync(file, JSON.stringify(questions));
    const text = problemsOf(dir).join('\n');
    expect(text).toMatch(/questions\.json: \[3\]\.type: /);
    expect(text).toMatch(/questions\.json: \[5\]\.text: /);
  });

  it('when a module front matter names an unknown objective, then the module file and field are named', () => {
    const dir = copyContent();
    const file = path.join(dir, 'modules', 'introduktion.md');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"LM01"', '"LM99"'));
    expect(problemsOf(dir).join('\n')).toMatch(
      /modules\/introduktion\.md: front matter: objectives\[0\]: ukendt læringsmål "LM99"/,
    );
  });

  it('when an exercise step lacks feedback for a wrong option, then the exercise file and step are named', () => {
    const dir = copyContent();
    const file = path.join(dir, 'exercises', 'anette-poul.json');
    const ex = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete ex.steps[1].feedback.a;
    fs.writeFileSync(file, JSON.stringify(ex));
    expect(problemsOf(dir).join('\n')).toMatch(/exercises\/anette-poul\.json: steps\[1\]\.feedback\.a: /);
  });

  it('when a JSON file is malformed, then the file is named', () => {
    const dir = copyContent();
    fs.writeFileSync(path.join(dir, 'evaluations.json'), '{ "elearning": ');
    expect(problemsOf(dir).join('\n')).toMatch(/evaluations\.json: ugyldig JSON/);
  });

  it('when Markdown contains raw HTML, then it is escaped, not passed through', () => {
    const html = renderMarkdown('# Titel\n\n<script>alert(1)</script>\n\nTekst med <b>fed</b> og **stærk**.');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<b>');
    expect(html).toContain('<strong>stærk</strong>');
  });
});
