import { NotFound, ValidationError } from '../shared/errors.js';
import type { PostedAnswers } from './quiz.views.js';

const OPTION_TOKEN = /^[A-Za-z0-9_-]{1,40}$/;

/** Reads `q<position>` fields (a string for radios, an array for checkboxes) into answers; anything but option tokens is refused. */
export function parseAnswers(body: unknown): PostedAnswers {
  const answers: PostedAnswers = new Map();
  if (!body || typeof body !== 'object') return answers;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const m = key.match(/^q(\d{1,3})$/);
    if (!m) continue;
    const values = Array.isArray(value) ? value : [value];
    if (!values.every((v): v is string => typeof v === 'string' && OPTION_TOKEN.test(v))) {
      throw new ValidationError(
        'Svaret passer ikke til spørgsmålene i dit testforsøg. Genindlæs siden, og prøv igen.',
        { [key]: 'Ukendt svarmulighed' },
      );
    }
    answers.set(Number(m[1]), [...new Set(values)]);
  }
  return answers;
}

/** An attempt id from the URL; anything else is a 404. */
export function attemptIdOf(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new NotFound('Testforsøget findes ikke.');
  return n;
}

/** A page number of an attempt (query `side` or form field); anything else is a 404. */
export function pageParam(raw: unknown): number {
  const n = typeof raw === 'string' && /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1) throw new NotFound('Siden findes ikke i testforsøget.');
  return n;
}

/** Where the attempt form's buttons lead: a page picked in the panel, next/previous, or the hand-in summary. */
export function nextStepOf(
  body: Record<string, unknown>,
  page: number,
  pageCount: number,
): number | 'aflever' | null {
  if (typeof body.gaa === 'string' && /^\d{1,3}$/.test(body.gaa)) {
    const goTo = Math.min(Math.max(Number(body.gaa), 1), pageCount);
    if (goTo) return goTo;
  }
  if (body.handling === 'naeste' && page < pageCount) return page + 1;
  if (body.handling === 'forrige' && page > 1) return page - 1;
  if (body.handling === 'aflever' || body.handling === 'naeste') return 'aflever';
  return null;
}
