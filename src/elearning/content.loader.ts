import fs from 'node:fs';
import path from 'node:path';
import { Marked } from 'marked';
import type { ZodType } from 'zod';
import { projectRoot } from '../shared/paths.js';
import {
  evaluationsSchema,
  exerciseSchema,
  huskeseddelFrontMatterSchema,
  moduleFrontMatterSchema,
  objectivesSchema,
  questionsSchema,
  type EvaluationForm,
  type EvaluationKind,
  type Exercise,
  type HuskeseddelFrontMatter,
  type ModuleFrontMatter,
  type Objective,
  type Question,
} from './content.schemas.js';

export type Module = ModuleFrontMatter & { html: string };
export type Huskeseddel = HuskeseddelFrontMatter & { html: string };

export type ElearningContent = {
  objectives: Objective[];
  modules: Module[];
  exercises: Exercise[];
  huskesedler: Huskeseddel[];
  questions: Question[];
  evaluations: Record<EvaluationKind, EvaluationForm>;
  objective(id: string): Objective | undefined;
  module(slug: string): Module | undefined;
  exercise(id: string): Exercise | undefined;
  huskeseddel(slug: string): Huskeseddel | undefined;
  question(id: string): Question | undefined;
};

/** Thrown at start-up when content is invalid; each problem names the file and the field. */
export class ContentError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Ugyldigt e-læringsindhold:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const escapeHtml = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

// Raw HTML in content is shown as text, never passed through: content files must not carry markup or script.
const markdown = new Marked({ gfm: true, renderer: { html: ({ text }) => escapeHtml(text) } });

/** Renders trusted-but-escaped Markdown to HTML. */
export function renderMarkdown(source: string): string {
  return markdown.parse(source, { async: false });
}

/** `[12].options` from a zod issue path. */
export function formatPath(p: ReadonlyArray<PropertyKey>): string {
  return p
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? String(seg) : `.${String(seg)}`))
    .join('');
}

function displayName(file: string): string {
  const rel = path.relative(projectRoot, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/');
}

type Problems = string[];

function readText(file: string, problems: Problems): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    problems.push(`${displayName(file)}: filen kan ikke læses`);
    return null;
  }
}

function validate<T>(schema: ZodType<T>, value: unknown, where: string, problems: Problems): T | null {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const field = formatPath(issue.path);
    problems.push(`${where}${field ? `: ${field}` : ''}: ${issue.message}`);
  }
  return null;
}

function readJson<T>(file: string, schema: ZodType<T>, problems: Problems): T | null {
  const raw = readText(file, problems);
  if (raw === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    problems.push(`${displayName(file)}: ugyldig JSON: ${(err as Error).message}`);
    return null;
  }
  return validate(schema, value, displayName(file), problems);
}

/** Markdown with JSON front matter between two `---` lines. */
function readMarkdown<T>(
  file: string,
  schema: ZodType<T>,
  problems: Problems,
): (T & { html: string }) | null {
  const raw = readText(file, problems);
  if (raw === null) return null;
  const m = raw.replace(/^\uFEFF/, '').match(/^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/);
  if (!m) {
    problems.push(`${displayName(file)}: mangler front matter mellem to linjer med ---`);
    return null;
  }
  let meta: unknown;
  try {
    meta = JSON.parse(m[1]!);
  } catch (err) {
    problems.push(`${displayName(file)}: front matter: ugyldig JSON: ${(err as Error).message}`);
    return null;
  }
  const data = validate(schema, meta, `${displayName(file)}: front matter`, problems);
  if (!data) return null;
  if (!m[2]!.trim()) {
    problems.push(`${displayName(file)}: teksten efter front matter er tom`);
    return null;
  }
  return { ...data, html: renderMarkdown(m[2]!) };
}

function listFiles(dir: string, ext: string, problems: Problems): string[] {
  if (!fs.existsSync(dir)) {
    problems.push(`${displayName(dir)}: mappen findes ikke`);
    return [];
  }
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => path.join(dir, f));
}

type Raw = {
  objectivesFile: string;
  questionsFile: string;
  objectives: Objective[];
  questions: Question[];
  evaluations: ElearningContent['evaluations'] | null;
  modules: Array<Module & { file: string }>;
  huskesedler: Array<Huskeseddel & { file: string }>;
  exercises: Array<Exercise & { file: string }>;
};

/** Every file read and validated on its own; what cannot be read is left out and named in `problems`. */
function readAll(dir: string, problems: Problems): Raw {
  const objectivesFile = path.join(dir, 'objectives.json');
  const questionsFile = path.join(dir, 'questions.json');
  const raw: Raw = {
    objectivesFile,
    questionsFile,
    objectives: readJson(objectivesFile, objectivesSchema, problems) ?? [],
    questions: readJson(questionsFile, questionsSchema, problems) ?? [],
    evaluations: readJson(path.join(dir, 'evaluations.json'), evaluationsSchema, problems),
    modules: [],
    huskesedler: [],
    exercises: [],
  };
  for (const file of listFiles(path.join(dir, 'modules'), '.md', problems)) {
    const m = readMarkdown(file, moduleFrontMatterSchema, problems);
    if (m) raw.modules.push({ ...m, file });
  }
  for (const file of listFiles(path.join(dir, 'huskesedler'), '.md', problems)) {
    const h = readMarkdown(file, huskeseddelFrontMatterSchema, problems);
    if (h) raw.huskesedler.push({ ...h, file });
  }
  for (const file of listFiles(path.join(dir, 'exercises'), '.json', problems)) {
    const e = readJson(file, exerciseSchema, problems);
    if (e) raw.exercises.push({ ...e, file });
  }
  return raw;
}

const dupes = (items: string[]) => items.filter((x, i) => items.indexOf(x) !== i);

/** Cross-references of objectives, modules, job aids and exercises: every objective, module and file name must agree. */
function checkReferences(raw: Raw, problems: Problems): void {
  const { objectives, modules, objectivesFile } = raw;
  const objectiveIds = new Set(objectives.map((o) => o.id));
  const moduleSlugs = new Set(modules.map((m) => m.slug));
  const checkObjectives = (file: string, field: string, ids: string[]) =>
    ids.forEach((oid, i) => {
      if (!objectiveIds.has(oid))
        problems.push(`${displayName(file)}: ${field}[${i}]: ukendt læringsmål "${oid}"`);
    });
  for (const d of dupes(objectives.map((o) => o.id)))
    problems.push(`${displayName(objectivesFile)}: læringsmål "${d}" findes flere gange`);
  objectives.forEach((o, i) => {
    if (modules.length && !moduleSlugs.has(o.module))
      problems.push(`${displayName(objectivesFile)}: [${i}].module: ukendt modul "${o.module}"`);
  });
  for (const m of [...modules, ...raw.huskesedler]) {
    if (path.basename(m.file, '.md') !== m.slug)
      problems.push(`${displayName(m.file)}: front matter: slug: skal svare til filnavnet`);
    checkObjectives(m.file, 'front matter: objectives', m.objectives);
  }
  for (const e of raw.exercises) {
    if (path.basename(e.file, '.json') !== e.id)
      problems.push(`${displayName(e.file)}: id: skal svare til filnavnet`);
    if (!moduleSlugs.has(e.module))
      problems.push(`${displayName(e.file)}: module: ukendt modul "${e.module}"`);
    checkObjectives(e.file, 'objectives', e.objectives);
  }
}

/** The question bank against the objectives: known, tested objectives only, each with questions, the key spread out. */
function checkQuestions({ objectives, questions, questionsFile }: Raw, problems: Problems): void {
  for (const d of dupes(questions.map((q) => q.id)))
    problems.push(`${displayName(questionsFile)}: spørgsmål "${d}" findes flere gange`);
  questions.forEach((q, i) => {
    const o = objectives.find((x) => x.id === q.objective);
    if (!o)
      problems.push(`${displayName(questionsFile)}: [${i}].objective: ukendt læringsmål "${q.objective}"`);
    else if (o.superuserOnly)
      problems.push(
        `${displayName(questionsFile)}: [${i}].objective: "${q.objective}" er kun for superbrugere og indgår ikke i testen`,
      );
  });
  if (objectives.length && questions.length) {
    for (const o of objectives.filter((x) => !x.superuserOnly)) {
      if (!questions.some((q) => q.objective === o.id))
        problems.push(`${displayName(questionsFile)}: ingen spørgsmål til læringsmål ${o.id}`);
    }
  }
  problems.push(...keyPositionProblems(displayName(questionsFile), questions));
}

/** Loads and validates content/elearning (or another directory in tests); throws ContentError listing every problem. */
export function loadElearningContent(dir: string): ElearningContent {
  const problems: Problems = [];
  const raw = readAll(dir, problems);
  checkReferences(raw, problems);
  checkQuestions(raw, problems);
  const { objectives, questions, evaluations } = raw;
  if (problems.length || !evaluations) throw new ContentError(problems);

  const strip = <T extends { file: string }>({ file: _file, ...rest }: T): Omit<T, 'file'> => rest;
  const sortedModules = raw.modules.map(strip).sort((a, b) => a.order - b.order);
  const sortedHuskesedler = raw.huskesedler.map(strip).sort((a, b) => a.title.localeCompare(b.title, 'da'));
  const plainExercises = raw.exercises.map(strip) as Exercise[];
  return {
    objectives,
    modules: sortedModules,
    exercises: plainExercises,
    huskesedler: sortedHuskesedler,
    questions,
    evaluations,
    objective: (oid) => objectives.find((o) => o.id === oid),
    module: (slug) => sortedModules.find((m) => m.slug === slug),
    exercise: (eid) => plainExercises.find((e) => e.id === eid),
    huskeseddel: (slug) => sortedHuskesedler.find((h) => h.slug === slug),
    question: (qid) => questions.find((q) => q.id === qid),
  };
}

/** No option position may be correct in more than this share of the questions: the order in the file must not tell the key. */
export const MAX_KEY_POSITION_SHARE = 0.6;

/** Refuses a bank whose correct options cluster at one position (e.g. always the first), naming the position. */
export function keyPositionProblems(file: string, questions: readonly Question[]): string[] {
  if (!questions.length) return [];
  const counts = new Map<number, number>();
  for (const q of questions)
    q.options.forEach((o, i) => o.correct && counts.set(i, (counts.get(i) ?? 0) + 1));
  return [...counts]
    .filter(([, n]) => n / questions.length > MAX_KEY_POSITION_SHARE)
    .map(
      ([i, n]) =>
        `${file}: svarmulighed nr. ${i + 1} er rigtig i ${n} af ${questions.length} spørgsmål (over ${MAX_KEY_POSITION_SHARE * 100} %); fordel de rigtige svar på flere pladser`,
    );
}
